"""ToozLockProvider against a real redis-server on 127.0.0.1 (SPEC D1, T7;
issue 10 scopes 1 and 2).

Each test gets its own server (tests/redis_server.py), with a password so
that messages can be checked for credentials.  Without the binary these
tests skip (they fail under CI=true, where .ci/run installs it).
"""

import logging
import multiprocessing
import subprocess
import sys
import threading
import time

import pytest

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks
from pypvm_tx import transaction as tx
from pypvm_tx.wrappers.logical_partition import LPAR
from tests.redis_server import PASSWORD, running

pytest.importorskip("tooz")
pytest.importorskip("redis")

WAIT = 10  # seconds: a bound on every wait, so a bug fails instead of hanging


def redis_key(uuid):
    """The key tooz's Redis driver keeps the lock on ``uuid`` under."""
    return ("_tooz_%s_lock" % locks.LockProvider.lock_name(uuid)).encode()


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on 127.0.0.1, killed after the test."""
    with running(tmp_path) as server:
        yield server


@pytest.fixture
def providers(redis_server):
    """make(**options): a ToozLockProvider on the server (a new member id
    each, like separate agents); every one is closed after the test."""
    made = []

    def make(**options):
        options.setdefault("member_id", "agent-%d" % len(made))
        provider = locks.ToozLockProvider(redis_server.url, **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


# ------------------------------------------------------------ D1.1

def test_d1_1_nested_holds_take_the_redis_lock_once(redis_server, providers):
    """D1.1: nested holds of one UUID in one thread lock Redis at depth
    0 -> 1 and unlock at 1 -> 0, without deadlock."""
    provider = providers()
    client = redis_server.client()
    with locks.hold("U1", provider, timeout=WAIT):
        assert client.exists(redis_key("u1"))
        with locks.hold("u1", provider, timeout=WAIT), \
                locks.hold("U1", provider, timeout=WAIT):
            assert provider.still_held("u1")
        assert client.exists(redis_key("u1"))
    assert not client.exists(redis_key("u1"))


def test_d1_1_executor_worker_inherits_the_redis_lock(redis_server,
                                                      providers):
    """D1.1/T6: a ContextThreadPoolExecutor worker inherits the submitter's
    tooz lock: its own hold of that UUID neither deadlocks nor releases
    it."""
    provider = providers()
    client = redis_server.client()

    def nested():
        with locks.hold("W1", provider, timeout=2):
            return provider.still_held("w1")

    with locks.hold("W1", provider, timeout=WAIT):
        with tx.ContextThreadPoolExecutor(2) as pool:
            assert pool.submit(nested).result(WAIT) is True
        assert client.exists(redis_key("w1"))
    assert not client.exists(redis_key("w1"))


# ------------------------------------------------------------ T7 on Redis

def test_t7_two_agents_exclude_each_other_per_uuid(providers):
    """T7/D1.5: two providers (two member ids) exclude each other on one
    UUID and not on different UUIDs."""
    agent_a, agent_b = providers(), providers()
    handle = agent_a.acquire("shared")
    try:
        with pytest.raises(pvmex.LockTimeout):
            agent_b.acquire("SHARED", timeout=0.3)
        other = agent_b.acquire("other", timeout=WAIT)
        agent_b.release(other)
    finally:
        agent_a.release(handle)
    agent_b.release(agent_b.acquire("shared", timeout=WAIT))


# ------------------------------------------------------------ D1.2

def test_d1_2_heartbeat_keeps_a_lock_past_lock_timeout(providers):
    """D1.2: a lock held 2.5 times its lock_timeout is not expired: the
    heartbeat renews it, another agent cannot take it meanwhile."""
    holder, other = providers(lock_timeout=2), providers(lock_timeout=2)
    handle = holder.acquire("H1")
    try:
        time.sleep(5)
        with pytest.raises(pvmex.LockTimeout):
            other.acquire("H1", timeout=0.2)
        assert holder.still_held("H1")
    finally:
        holder.release(handle)


def test_d1_2_lost_lock_is_reported_and_logged(redis_server, providers,
                                               caplog):
    """D1.2: a lock gone from Redis under its holder (expired, evicted, a
    restarted server) makes still_held False, logged at WARNING with the
    UUID; releasing it afterwards does not raise."""
    provider = providers()
    handle = provider.acquire("Lost-1")
    redis_server.client().delete(redis_key("lost-1"))
    with caplog.at_level(logging.WARNING, logger="pypvm_tx.locks"):
        assert provider.still_held("LOST-1") is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("lost-1" in r.getMessage() for r in warnings), caplog.text
    provider.release(handle)


def test_d1_2_still_held_is_false_for_a_lock_not_held(providers):
    """D1.2: still_held of a UUID this provider does not hold is False."""
    assert providers().still_held("never-locked") is False


def test_d1_2_lock_lost_before_the_post_is_retaken_and_redriven(
        redis_server, providers, emulator, adapter, caplog):
    """D1.2 (issue 10 scope 1): a lock lost while the function works is
    found before its POST is sent: the loss is logged at WARNING with the
    UUID, the POST is not sent, the lock is taken again and the function
    redriven on a fresh read; the one POST that lands carries its change
    and another agent's change made meanwhile is kept."""
    provider = providers()
    uuid = emulator.uuids()[0]
    calls = []

    def another_agent_renames():
        other = LPAR.get(adapter, uuid=uuid)
        other.name = "by-another-agent"
        other.update()

    @tx.entry_transaction(lock_provider=provider, tries=3)
    def rename(lpar):
        calls.append(lpar.name)
        if len(calls) == 1:
            # The lock expires under its holder; another agent writes.
            redis_server.client().delete(redis_key(uuid))
            other = threading.Thread(target=another_agent_renames)
            other.start()
            other.join(WAIT)
        lpar.name = lpar.name + "+mine"
        return lpar.update()

    posts = emulator.count("POST")
    with caplog.at_level(logging.WARNING, logger="pypvm_tx"):
        result = rename(LPAR.getter(adapter, uuid))
    assert calls[1] == "by-another-agent" and len(calls) == 2
    assert result.name == "by-another-agent+mine"
    assert LPAR.get(adapter, uuid=uuid).name == "by-another-agent+mine"
    assert emulator.count("POST") == posts + 2  # the other agent's and ours
    lost = [r for r in caplog.records if r.levelno == logging.WARNING
            and uuid.lower() in r.getMessage() and "lost" in r.getMessage()]
    assert lost, caplog.text
    assert redis_server.client().exists(redis_key(uuid)) == 0  # released


def test_d1_2_lock_retaken_fails_cleanly_when_redis_is_gone(
        redis_server, providers, emulator, adapter):
    """D1.2/D1.3: when the lock is found lost and cannot be taken again
    (the backend died), the transaction fails with LockError in bounded
    time and its write is never sent."""
    provider = providers(acquire_timeout=1)
    provider.BACKEND_TIMEOUT = 1  # how long the ownership check waits
    uuid = emulator.uuids()[1]

    @tx.entry_transaction(lock_provider=provider, tries=3)
    def rename(lpar):
        redis_server.kill()
        lpar.name = "never-written"
        return lpar.update()

    posts = emulator.count("POST")
    start = time.monotonic()
    with pytest.raises(pvmex.LockError):
        rename(LPAR.getter(adapter, uuid))
    assert time.monotonic() - start < 15
    assert emulator.count("POST") == posts
    assert LPAR.get(adapter, uuid=uuid).name != "never-written"


def test_d1_2_locks_that_cannot_expire_cost_no_check(emulator, adapter):
    """D1.2: with a lock that cannot be lost (in-process), no ownership
    check wraps the writes: a provider whose still_held would say False is
    never asked."""

    class NeverAsked(locks.InProcessLockProvider):
        def still_held(self, uuid):
            raise AssertionError("asked")

    @tx.entry_transaction(lock_provider=NeverAsked())
    def rename(lpar):
        lpar.name = "checked-nothing"
        return lpar.update()

    uuid = emulator.uuids()[2]
    assert rename(LPAR.getter(adapter, uuid)).name == "checked-nothing"


# ------------------------------------------------------------ D1.3

def test_d1_3_dead_redis_is_lock_error_in_bounded_time(redis_server,
                                                       providers, caplog):
    """D1.3: with Redis killed, the next acquire raises LockError (not the
    client's minute of retries) within its timeout, naming the URL without
    the password; once Redis is back, locking works again."""
    provider = providers()
    provider.release(provider.acquire("before"))
    redis_server.kill()
    start = time.monotonic()
    with caplog.at_level(logging.DEBUG, logger="pypvm_tx"), \
            pytest.raises(pvmex.LockError) as info:
        provider.acquire("K1", timeout=1)
    elapsed = time.monotonic() - start
    assert elapsed < 5, elapsed
    assert not isinstance(info.value, pvmex.LockTimeout)
    message = str(info.value)
    assert "127.0.0.1:%d" % redis_server.port in message
    assert PASSWORD not in message and PASSWORD not in caplog.text

    redis_server.start()
    provider.release(provider.acquire("K1", timeout=WAIT))


def test_d1_3_unreachable_at_first_use_is_bounded_by_acquire_timeout(
        redis_server, providers):
    """D1.3: a coordinator that cannot start (no server) fails within the
    provider's acquire_timeout with LockError; it starts once the server
    is up."""
    redis_server.kill()
    provider = providers(acquire_timeout=1)
    start = time.monotonic()
    with pytest.raises(pvmex.LockError) as info:
        provider.acquire("first")
    assert time.monotonic() - start < 5
    assert PASSWORD not in str(info.value)
    redis_server.start()
    deadline = time.monotonic() + WAIT
    while True:  # the start abandoned above may still be retrying
        try:
            provider.release(provider.acquire("first"))
            break
        except pvmex.LockError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_d1_3_transaction_on_dead_redis_posts_nothing(redis_server,
                                                      providers, emulator,
                                                      adapter):
    """D1.3 (issue 10 scope 2): a transaction whose lock backend was killed
    fails with LockError within its deadline and POSTs nothing; once Redis
    is back, the transaction goes through."""
    provider = providers()
    uuid = emulator.uuids()[0]

    @tx.entry_transaction(deadline=2, lock_provider=provider)
    def rename(lpar):
        lpar.name = "renamed"
        return lpar.update()

    redis_server.kill()
    posts = emulator.count("POST")
    start = time.monotonic()
    with pytest.raises(pvmex.LockError):
        rename(LPAR.getter(adapter, uuid))
    assert time.monotonic() - start < 5
    assert emulator.count("POST") == posts

    redis_server.start()
    deadline = time.monotonic() + WAIT
    while True:  # the coordinator start abandoned above may still retry
        try:
            assert rename(LPAR.getter(adapter, uuid)).name == "renamed"
            break
        except pvmex.LockError:
            assert time.monotonic() < deadline
    assert emulator.count("POST") == posts + 1


# ------------------------------------------------------------ D1.4

def test_d1_4_close_stops_the_coordinator_and_frees_its_locks(providers):
    """D1.4: close() stops the coordinator (heartbeat included) and frees
    what it held; the provider starts a new one on its next use."""
    provider, other = providers(), providers()
    provider.acquire("C1")
    coordinator = provider._coordinator
    provider.close()
    assert not coordinator.is_started
    assert not coordinator.heart.is_alive()
    other.release(other.acquire("C1", timeout=0.5))
    provider.release(provider.acquire("C1", timeout=WAIT))
    assert provider._coordinator is not coordinator


EXIT_HOLDING = """
import sys
from pypvm_tx import locks
provider = locks.ToozLockProvider(sys.argv[1], member_id="exiting")
provider.acquire("exit-1")
print("held", flush=True)
"""


def test_d1_4_exit_closes_the_coordinator(redis_server):
    """D1.4: a process that exits holding a lock, without close(), frees
    it at exit (not lock_timeout later)."""
    result = subprocess.run(
        [sys.executable, "-c", EXIT_HOLDING, redis_server.url],
        capture_output=True, text=True, timeout=WAIT, check=False)
    assert result.stdout == "held\n", result.stderr
    assert not redis_server.client().exists(redis_key("exit-1"))


def _child_locks(provider, queue, done):
    """In a forked child: hold a lock until ``done``, say what it saw."""
    try:
        with locks.hold("child-1", provider, timeout=WAIT):
            queue.put("held")
            done.wait(WAIT)
            queue.put(provider.still_held("child-1"))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(repr(exc))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_d1_4_forked_child_uses_its_own_coordinator(redis_server, providers):
    """D1.4: a child forked from a process whose provider is started (and
    holds a lock) locks through the same provider object on its own
    coordinator: its lock is heartbeated past lock_timeout, excludes other
    agents, and the parent's lock is untouched."""
    provider, other = providers(lock_timeout=2), providers()
    parent_handle = provider.acquire("parent-1")
    context = multiprocessing.get_context("fork")
    queue, done = context.Queue(), context.Event()
    child = context.Process(target=_child_locks,
                            args=(provider, queue, done))
    child.start()
    try:
        assert queue.get(timeout=WAIT) == "held"
        time.sleep(3)  # past the child's lock_timeout of 2 s
        with pytest.raises(pvmex.LockTimeout):
            other.acquire("child-1", timeout=0.2)
        done.set()
        assert queue.get(timeout=WAIT) is True
    finally:
        done.set()
        child.join(WAIT)
    assert child.exitcode == 0
    assert provider.still_held("parent-1")
    provider.release(parent_handle)
    other.release(other.acquire("child-1", timeout=WAIT))


def test_d1_1_release_from_another_thread(providers):
    """D1.1: the record's holder may release from another thread (a
    FeedTask's worker) than the one that acquired."""
    provider, other = providers(), providers()
    handle = provider.acquire("T-1")
    thread = threading.Thread(target=provider.release, args=(handle,))
    thread.start()
    thread.join(WAIT)
    other.release(other.acquire("T-1", timeout=WAIT))
