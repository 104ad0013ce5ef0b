"""Unit tests of pypvm_tx.locks (SPEC T7, T1.2, T1.8), with real threads."""

import subprocess
import sys
import threading
import time

import pytest
from oslo_concurrency import lockutils

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks

WAIT = 10  # seconds: a bound on every wait, so a bug fails instead of hanging


class RecordingProvider(locks.LockProvider):
    """An in-process provider that records every acquire and release."""

    def __init__(self):
        self.inner = locks.InProcessLockProvider()
        self.events = []

    def _acquire(self, name, uuid, timeout):
        handle = self.inner._acquire(name, uuid, timeout)
        self.events.append(("lock", name))
        return handle

    def _release(self, handle):
        self.events.append(("unlock",))
        self.inner._release(handle)


@pytest.fixture
def default_provider():
    """Restore the process-wide default provider after the test."""
    saved = locks.get_default_provider()
    yield
    locks.set_default_provider(saved)


def run_in_thread(func):
    result = {}

    def target():
        try:
            result["value"] = func()
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


# ------------------------------------------------------------ names (T1.8)

def test_t1_8_lock_names_prefixed_and_case_insensitive():
    """T1.8: names are the lower-cased UUID behind a private prefix."""
    assert locks.LockProvider.lock_name("AbC-1") == "pypvm_tx-entry-abc-1"
    assert locks.lock_key("AbC-1") == "abc-1"


@pytest.mark.parametrize("bad", [None, ""])
def test_t1_8_lock_key_needs_a_uuid(bad):
    """T1.8: a missing UUID is refused with a message saying what is needed."""
    with pytest.raises(ValueError, match="non-empty string"):
        locks.lock_key(bad)


def test_t1_8_same_uuid_in_other_case_is_the_same_lock():
    """T1.8: 'ABC' and 'abc' are one lock."""
    provider = locks.InProcessLockProvider()
    handle = provider.acquire("ABC")
    try:
        with pytest.raises(locks.LockTimeout):
            provider.acquire("abc", timeout=0)
    finally:
        provider.release(handle)


def test_t1_8_kept_apart_from_other_oslo_lock_users():
    """T1.8: an oslo lockutils lock named like the UUID does not block ours."""
    provider = locks.InProcessLockProvider()
    with lockutils.lock("abc"), lockutils.lock(locks.LOCK_PREFIX + "abc"):
        handle = provider.acquire("abc", timeout=0)
        provider.release(handle)


# ------------------------------------------------------ in-process (T7) ---

def test_t7_same_uuid_serialises_across_threads():
    """T7/T1.1: a second thread waits until the first releases."""
    provider = locks.InProcessLockProvider()
    order = []
    handle = provider.acquire("u1")

    def second():
        with provider.lock("u1"):
            order.append("second")

    thread, result = run_in_thread(second)
    time.sleep(0.05)
    order.append("first releases")
    provider.release(handle)
    thread.join(WAIT)
    assert not thread.is_alive() and "error" not in result
    assert order == ["first releases", "second"]


def test_t7_different_uuids_overlap():
    """T7/T1.1: locks on different UUIDs are held at the same time."""
    provider = locks.InProcessLockProvider()
    both_held = threading.Barrier(2, timeout=WAIT)

    def hold_and_meet(uuid):
        with provider.lock(uuid):
            both_held.wait()  # BrokenBarrierError if they cannot overlap
        return True

    threads = [run_in_thread(lambda u=u: hold_and_meet(u))
               for u in ("u1", "u2")]
    for thread, result in threads:
        thread.join(WAIT)
        assert result == {"value": True}


def test_t7_acquire_timeout_raises_lock_timeout():
    """T7: a bounded wait raises LockTimeout naming the UUID."""
    provider = locks.InProcessLockProvider()
    handle = provider.acquire("busy")
    try:
        thread, result = run_in_thread(
            lambda: provider.acquire("busy", timeout=0.05))
        thread.join(WAIT)
        assert isinstance(result["error"], locks.LockTimeout)
        assert "busy" in str(result["error"])
    finally:
        provider.release(handle)
    provider.release(provider.acquire("busy", timeout=0))


def test_t7_lock_table_does_not_grow_with_distinct_uuids():
    """T7: locking 100,000 distinct UUIDs keeps no lock objects alive."""
    provider = locks.InProcessLockProvider()
    most_alive = 0
    for i in range(100_000):
        with locks.hold("uuid-%d" % i, provider=provider):
            most_alive = max(most_alive, len(provider))
    assert most_alive == 1
    assert len(provider) == 0


def test_t7_default_provider_table_does_not_grow(default_provider):
    """T7: the same holds for the process-wide default provider."""
    provider = locks.InProcessLockProvider()
    locks.set_default_provider(provider)
    for i in range(100_000):
        with locks.hold("default-%d" % i):
            pass
    assert len(provider) == 0


# ------------------------------------------------ held record (T1.2) -------

def test_t1_2_hold_is_reentrant_per_thread():
    """T1.2: a nested hold on a held UUID (any case) does not lock again."""
    provider = RecordingProvider()
    with locks.hold("ABC", provider=provider):
        assert locks.is_held("abc")
        with locks.hold("abc", provider=provider):
            with locks.hold("other", provider=provider):
                assert locks.held_uuids() == {"abc", "other"}
            assert locks.held_uuids() == {"abc"}
    assert locks.held_uuids() == frozenset()
    assert provider.events == [("lock", "pypvm_tx-entry-abc"),
                               ("lock", "pypvm_tx-entry-other"), ("unlock",),
                               ("unlock",)]


def test_t1_2_hold_releases_on_exception():
    """T1.6/T1.2: the lock and the record are released when an error flies."""
    provider = locks.InProcessLockProvider()
    with pytest.raises(KeyError):
        with locks.hold("x", provider=provider):
            raise KeyError("boom")
    assert not locks.is_held("x")
    assert len(provider) == 0
    provider.release(provider.acquire("x", timeout=0))


def test_t1_2_held_record_is_per_thread():
    """T1.2: another thread does not see this thread's held UUIDs."""
    provider = locks.InProcessLockProvider()
    with locks.hold("mine", provider=provider):
        thread, result = run_in_thread(lambda: locks.is_held("mine"))
        thread.join(WAIT)
    assert result == {"value": False}


def test_t1_2_inherited_uuids_are_not_locked_again():
    """T1.2/T6: inside inherited(...), a hold on those UUIDs does not lock."""
    provider = RecordingProvider()
    with locks.hold("parent", provider=provider):
        keys = locks.held_uuids()

        def child():
            with locks.inherited(keys):
                with locks.hold("PARENT", provider=provider):
                    inside = locks.held_uuids()
            return inside, locks.held_uuids()

        thread, result = run_in_thread(child)
        thread.join(WAIT)
    assert result["value"] == ({"parent"}, frozenset())
    assert provider.events == [("lock", "pypvm_tx-entry-parent"),
                               ("unlock",)]


# --------------------------------------------------------- default ---------

def test_t7_set_and_get_default_provider(default_provider):
    """T7: set_default_provider installs one process-wide; None resets."""
    provider = RecordingProvider()
    locks.set_default_provider(provider)
    assert locks.get_default_provider() is provider
    with locks.hold("d1"):
        pass
    assert provider.events == [("lock", "pypvm_tx-entry-d1"), ("unlock",)]
    locks.set_default_provider(None)
    assert isinstance(locks.get_default_provider(),
                      locks.InProcessLockProvider)


def test_t7_set_default_provider_rejects_non_providers(default_provider):
    """T7: anything else raises TypeError naming what is accepted."""
    with pytest.raises(TypeError, match="needs a LockProvider"):
        locks.set_default_provider("file")
    with pytest.raises(TypeError, match="must be a LockProvider or None"):
        locks.check_provider(object(), "entry_transaction")
    assert locks.check_provider(None, "x") is None


# --------------------------------------------------------- file locks -----

def test_t7_file_provider_rejects_missing_lock_path():
    """T7: FileLockProvider needs a lock_path and says so."""
    for bad in (None, "", 3):
        with pytest.raises(ValueError, match="needs lock_path"):
            locks.FileLockProvider(bad)


def test_t7_file_provider_serialises_threads(tmp_path):
    """T7: file locks also exclude threads of the same process."""
    provider = locks.FileLockProvider(lock_path=tmp_path / "locks")
    handle = provider.acquire("F1")
    assert (tmp_path / "locks" / "pypvm_tx-entry-f1").exists()
    thread, result = run_in_thread(lambda: provider.acquire("f1", timeout=0.1))
    thread.join(WAIT)
    assert isinstance(result["error"], locks.LockTimeout)
    provider.release(handle)
    with provider.lock("f1", timeout=1):
        pass


CHILD = """
import sys
from pypvm_tx import locks
provider = eval(sys.argv[1])
handle = provider.acquire("SHARED")
print("locked", flush=True)
sys.stdin.readline()
provider.release(handle)
getattr(provider, "close", lambda: None)()
"""


def assert_other_process_excludes(provider, provider_expr):
    """A lock held by a child process (building its provider from
    ``provider_expr``) excludes ``provider`` until the child releases it."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, provider_expr],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(locks.LockTimeout):
            provider.acquire("shared", timeout=0.2)
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(WAIT) == 0
        with provider.lock("shared", timeout=WAIT):
            pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_t7_file_provider_serialises_processes(tmp_path):
    """T7: a lock held by another process excludes this one until released."""
    assert_other_process_excludes(
        locks.FileLockProvider(lock_path=str(tmp_path)),
        "locks.FileLockProvider(lock_path=%r)" % str(tmp_path))


def test_t7_tooz_provider_rejects_missing_url():
    """T7: ToozLockProvider needs a backend URL and says which kinds."""
    pytest.importorskip("tooz")
    for bad in (None, "", 3):
        with pytest.raises(ValueError, match="backend URL"):
            locks.ToozLockProvider(bad)


def test_t7_tooz_provider_hides_url_credentials():
    """T7/A1.5: the repr of a tooz provider never shows its URL's password."""
    pytest.importorskip("tooz")
    provider = locks.ToozLockProvider("redis://:s3cret@127.0.0.1:1")
    assert "s3cret" not in repr(provider)


def test_t7_tooz_provider_serialises_threads_and_processes(tmp_path):
    """T7: a tooz (file://) lock excludes other threads and other processes."""
    pytest.importorskip("tooz")
    url = "file://%s" % tmp_path
    provider = locks.ToozLockProvider(url)
    try:
        handle = provider.acquire("T1")
        thread, result = run_in_thread(
            lambda: provider.acquire("t1", timeout=0.1))
        thread.join(WAIT)
        assert isinstance(result["error"], locks.LockTimeout)
        provider.release(handle)
        assert_other_process_excludes(
            provider, "locks.ToozLockProvider(%r)" % url)
    finally:
        provider.close()


# ------------------------------------------------------------ D1 (no Redis)

@pytest.mark.parametrize("url, shown", [
    ("redis://:s3cret@redis.example:6379", "redis://redis.example:6379"),
    ("redis://user:s3cret@10.0.0.1:6379/0?socket_timeout=1",
     "redis://10.0.0.1:6379/0"),
    ("redis://redis.example?sentinel=m&sentinel_password=s3cret",
     "redis://redis.example"),
    ("file:///var/lib/locks", "file:///var/lib/locks"),
    ("redis://:s3cret@host:notaport", "redis://..."),
])
def test_d1_3_url_without_credentials(url, shown):
    """D1.3/A1.5: the URL messages show has no user, password or query."""
    assert locks.url_without_credentials(url) == shown


def test_d1_2_still_held_is_true_for_locks_that_cannot_be_lost(tmp_path):
    """D1.2: in-process and file locks are never lost while held."""
    for provider in (locks.InProcessLockProvider(),
                     locks.FileLockProvider(lock_path=str(tmp_path))):
        with locks.hold("S1", provider, timeout=WAIT):
            assert provider.still_held("s1") is True


def test_d1_tooz_provider_rejects_bad_timeouts():
    """D1: lock_timeout and acquire_timeout are positive seconds."""
    pytest.importorskip("tooz")
    for options in ({"lock_timeout": 0}, {"lock_timeout": "30"},
                    {"acquire_timeout": -1}, {"acquire_timeout": True}):
        with pytest.raises(ValueError, match="positive number of seconds"):
            locks.ToozLockProvider("redis://127.0.0.1:1", **options)


def test_d1_2_tooz_file_lock_still_held(tmp_path):
    """D1.2: still_held on a tooz file:// lock: True while held, False
    (not held here) once released."""
    pytest.importorskip("tooz")
    provider = locks.ToozLockProvider("file://%s" % tmp_path)
    try:
        with locks.hold("F1", provider, timeout=WAIT):
            assert provider.still_held("F1") is True
        assert provider.still_held("F1") is False
    finally:
        provider.close()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts and never answers: a lock
    backend that hangs rather than refuses."""

    def __init__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def test_d1_3_silent_backend_is_lock_error_within_the_timeout():
    """D1.3: a Redis backend that accepts connections and never answers
    makes acquire raise LockError once its timeout has passed (not after
    the client's socket timeouts and retries), without the password."""
    pytest.importorskip("tooz")
    pytest.importorskip("redis")
    server = SilentServer()
    provider = locks.ToozLockProvider(
        "redis://:s3cret@127.0.0.1:%d" % server.port)
    try:
        start = time.monotonic()
        with pytest.raises(locks.LockError) as info:
            provider.acquire("silent", timeout=0.5)
        assert time.monotonic() - start < 3
        assert not isinstance(info.value, locks.LockTimeout)
        assert "s3cret" not in str(info.value)
        assert "127.0.0.1:%d" % server.port in str(info.value)
    finally:
        provider.close()
        server.close()


def test_d1_2_still_held_true_when_the_backend_cannot_tell(tmp_path):
    """D1.2: a tooz backend without is_still_owner (NotImplemented) cannot
    report a lost lock: still_held is True, not a backend failure."""
    tooz = pytest.importorskip("tooz")

    class NoOwnerCheck:
        def __init__(self, lock):
            self.lock = lock

        def is_still_owner(self):
            raise tooz.NotImplemented("not implemented")

        def release(self):
            return self.lock.release()

    provider = locks.ToozLockProvider("file://%s" % tmp_path)
    try:
        with locks.hold("N1", provider, timeout=WAIT):
            name = provider.lock_name("N1")
            provider._held[name] = NoOwnerCheck(provider._held[name])
            assert provider.still_held("N1") is True
    finally:
        provider.close()


# ------------------------------------------------------------ D1.2: lost locks

class _Expiring(locks.InProcessLockProvider):
    """An in-process provider whose locks can be lost, as a distributed
    one's can: ``lose()`` makes the next still_held say False."""

    can_lose_locks = True

    def __init__(self, fail_retake=False):
        super().__init__()
        self.lost = False
        self.fail_retake = fail_retake
        self.calls = []

    def lose(self):
        self.lost = True

    def still_held(self, uuid):
        self.calls.append(("still_held", uuid))
        return not self.lost

    def release_lost(self, handle):
        self.calls.append(("release_lost",))
        self.lost = False
        super().release_lost(handle)

    def _acquire(self, name, uuid, timeout):
        if self.fail_retake and any(c[0] == "release_lost"
                                    for c in self.calls):
            raise pvmex.LockError("backend gone")
        return super()._acquire(name, uuid, timeout)


def test_d1_2_hold_verify_raises_lock_lost_and_retake_takes_it_again():
    provider = _Expiring()
    with locks.hold("AbC", provider=provider) as held:
        assert held.can_be_lost and held.key == "abc"
        held.verify()
        provider.lose()
        with pytest.raises(pvmex.LockLost) as info:
            held.verify()
        assert info.value.uuid == "abc"
        assert "abc" in str(info.value)
        held.retake()
        held.verify()
        assert locks.is_held("abc")
    assert not locks.is_held("abc")
    assert len(provider) == 0  # released on exit, nothing left behind


def test_d1_2_retake_that_fails_leaves_nothing_held():
    provider = _Expiring(fail_retake=True)
    with pytest.raises(pvmex.LockError):
        with locks.hold("u1", provider=provider) as held:
            provider.lose()
            held.retake()
    assert not locks.is_held("u1")
    assert len(provider) == 0


def test_d1_2_inherited_or_unexpiring_locks_are_not_checked():
    provider = _Expiring()
    with locks.hold("u2", provider=provider):
        with locks.hold("u2", provider=provider) as inner:
            assert not inner.can_be_lost
            provider.lose()
            inner.verify()  # not its lock to check
    with locks.hold("u3", provider=locks.InProcessLockProvider()) as held:
        assert not held.can_be_lost
