"""Per-UUID locks for entry transactions.

Two pieces live here:

* The **held record**: which entry UUIDs the current thread holds (or
  has inherited from the thread that submitted its work).  A
  nested transaction on a UUID in the record runs without locking again,
  which is what makes :func:`~pypvm_tx.transaction.entry_transaction`
  re-entrant.
* **Lock providers**: where the lock itself comes from.
  :class:`InProcessLockProvider` (the default) serialises threads of this
  process; :class:`FileLockProvider` also serialises processes on one
  host, and :class:`ToozLockProvider` agents on several hosts.  Another
  provider plugs in the same way: subclass :class:`LockProvider` and
  implement ``_acquire`` and ``_release``.

Correctness never depends on these locks: the etag check on every POST
is what prevents lost updates.  The lock only keeps agents from wasting
work on retries.

Lock names are the UUID lower-cased behind a private prefix
(:data:`LOCK_PREFIX`), kept in containers private to each provider, so
they never collide with other users of oslo.concurrency.  Lock objects
live only while someone holds or waits for them: the providers keep no
table that grows with the number of distinct UUIDs ever locked.
"""

import abc
import atexit
import functools
import math
import os
import queue
import socket
import threading
import time
import urllib.parse
import weakref
from concurrent import futures
from typing import Any, FrozenSet, Literal, Optional, Union

from oslo_concurrency import lockutils
from oslo_log import log as logging

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)

#: Prefix of every lock name (and lock file name) pypvm_tx uses.
LOCK_PREFIX = "pypvm_tx-entry-"

_EMPTY: FrozenSet[str] = frozenset()


#: Defined with every other public exception; kept here for old imports.
LockTimeout = pvmex.LockTimeout
LockError = pvmex.LockError


def lock_key(uuid: Optional[str]) -> str:
    """The normalised key of ``uuid``: a lower-case string.

    :raises ValueError: ``uuid`` is None or empty.
    """
    if not uuid:
        raise ValueError(_("An entry lock needs the entry's UUID (a "
                           "non-empty string); got %r.") % (uuid,))
    return str(uuid).lower()


# --------------------------------------------------------------------------
# The held record
# --------------------------------------------------------------------------

_local = threading.local()


def held_uuids() -> FrozenSet[str]:
    """The lock keys this thread holds or inherited (an immutable set)."""
    return getattr(_local, "held", _EMPTY)


def is_held(uuid: str) -> bool:
    """Whether this thread holds (or inherited) the lock on ``uuid``."""
    return lock_key(uuid) in held_uuids()


class inherited:  # noqa: N801 - used like a function: ``with inherited(x)``
    """Context manager: treat ``keys`` as held by this thread while inside.

    :class:`~pypvm_tx.transaction.ContextThreadPoolExecutor` uses it to
    run submitted work with the submitting thread's locks: the
    submitter holds them for as long as it waits for that work.
    """

    __slots__ = ("_keys", "_previous")

    def __init__(self, keys: FrozenSet[str]):
        self._keys = keys

    def __enter__(self) -> "inherited":
        self._previous = held_uuids()
        if self._keys:
            _local.held = self._previous | self._keys
        return self

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        _local.held = self._previous
        return False


class hold:  # noqa: N801 - used like a function: ``with hold(uuid)``
    """Context manager: hold the lock on ``uuid`` unless already held.

    If this thread already holds (or inherited) ``uuid``, nothing is
    locked again.  Otherwise the lock is taken from ``provider`` (the
    default provider if None), recorded as held, and released on exit,
    exceptions included.

    :param timeout: seconds to wait for the lock; None waits forever.
    :raises LockTimeout: the lock was not obtained within ``timeout``.
    """

    __slots__ = ("_key", "_provider", "_timeout", "_handle", "_previous")

    def __init__(self, uuid: str, provider: Optional["LockProvider"] = None,
                 timeout: Optional[float] = None):
        self._key = lock_key(uuid)
        self._provider = provider
        self._timeout = timeout
        self._handle: Any = None
        #: The held record before __enter__ took the lock; None: not taken.
        self._previous: Optional[FrozenSet[str]] = None

    def __enter__(self) -> "hold":
        previous = held_uuids()
        if self._key in previous:
            return self
        provider = self._provider
        if provider is None:
            provider = _default_provider
        self._handle = provider.acquire(self._key, timeout=self._timeout)
        self._provider = provider
        self._previous = previous
        _local.held = previous | {self._key}
        return self

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        if self._previous is not None:
            _local.held = self._previous
            self._previous = None
            handle, self._handle = self._handle, None
            # __enter__ set the provider when it took the lock.
            assert self._provider is not None
            self._provider.release(handle)
        return False


# --------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------

class LockProvider(abc.ABC):
    """Where per-entry locks come from.

    Users call :meth:`acquire` / :meth:`release` or the :meth:`lock`
    context manager.  Subclasses implement :meth:`_acquire` and
    :meth:`_release`, which receive the full lock name
    (``LOCK_PREFIX + uuid.lower()``).

    Providers are not re-entrant by themselves; re-entrancy per thread is
    provided by :class:`hold` and the held record.
    """

    @staticmethod
    def lock_name(uuid: str) -> str:
        """The private lock name of ``uuid`` (case-insensitive)."""
        return LOCK_PREFIX + lock_key(uuid)

    def acquire(self, uuid: str, timeout: Optional[float] = None) -> Any:
        """Block until the lock on ``uuid`` is held; return its handle.

        :param timeout: seconds to wait; None waits forever.
        :raises LockTimeout: not obtained within ``timeout``.
        """
        if timeout is not None and timeout < 0:
            timeout = 0
        return self._acquire(self.lock_name(uuid), uuid, timeout)

    def release(self, handle: Any) -> None:
        """Release a lock obtained from :meth:`acquire`."""
        self._release(handle)

    def still_held(self, uuid: str) -> bool:
        """Whether the lock this process holds on ``uuid`` is still its own.

        Call it just before the write the lock protects.  True here: an
        in-process or file lock cannot be lost while held.  A provider
        whose locks can expire (:class:`ToozLockProvider`) checks with
        its backend and logs a lost lock at WARNING.
        """
        return True

    def lock(self, uuid: str, timeout: Optional[float] = None) -> "_Locked":
        """Context manager holding the lock on ``uuid`` (not re-entrant)."""
        return _Locked(self, uuid, timeout)

    @abc.abstractmethod
    def _acquire(self, name: str, uuid, timeout: Optional[float]) -> Any:
        """Take lock ``name``; return a handle for :meth:`_release`.

        Raise :class:`LockTimeout` (with ``uuid``) when ``timeout`` (None
        for forever) passes first.
        """

    @abc.abstractmethod
    def _release(self, handle) -> None:
        """Release the lock behind ``handle``."""


class _Locked:
    __slots__ = ("_provider", "_uuid", "_timeout", "_handle")

    def __init__(self, provider: LockProvider, uuid: str,
                 timeout: Optional[float]):
        self._provider = provider
        self._uuid = uuid
        self._timeout = timeout

    def __enter__(self) -> "_Locked":
        self._handle = self._provider.acquire(self._uuid, self._timeout)
        return self

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        self._provider.release(self._handle)
        return False


class InProcessLockProvider(LockProvider):
    """Locks among the threads of this process (the default).

    Built on oslo.concurrency ``lockutils`` internal semaphores kept in
    containers private to this provider, which hold them weakly: a lock
    exists only while some thread holds or waits for it, so locking any
    number of distinct UUIDs leaves nothing behind.

    Each ``lockutils.Semaphores`` container serialises its look-ups with
    one mutex; a FeedTask's workers all look up locks at once, so names
    are spread over :attr:`STRIPES` containers by hash to keep them from
    queueing on a single mutex.  One name always maps to one container,
    so it is still one lock.  (``benchmarks/bench_orchestration.py``, line
    ``N=10000``: 0.11-0.14 ms per entry with one container, 0.03 with 16.)
    """

    #: How many Semaphores containers names are spread over.
    STRIPES = 16

    def __init__(self):
        self._stripes = tuple(lockutils.Semaphores()
                              for _ in range(self.STRIPES))

    def __len__(self) -> int:
        """How many lock objects are alive now (held or waited for)."""
        return sum(len(stripe) for stripe in self._stripes)

    def __repr__(self):
        return "<InProcessLockProvider locks=%d>" % len(self)

    def _acquire(self, name, uuid, timeout):
        stripe = self._stripes[hash(name) % self.STRIPES]
        sem = stripe.get(name)  # the container's named semaphore
        # threading.Semaphore: timeout None waits forever.
        if not sem.acquire(timeout=timeout):
            raise LockTimeout(uuid, timeout)
        return sem

    def _release(self, handle):
        handle.release()


class _ExternalLockProvider(LockProvider):
    """Base of providers whose lock lives outside this process.

    An external lock (a lock file, a tooz lock) does not exclude threads
    of the same process reliably, so each acquisition first takes this
    process's in-process lock of the same name, then the external one.
    Subclasses implement :meth:`_external_lock`.
    """

    def __init__(self):
        self._threads = InProcessLockProvider()

    def _external_lock(self, name: str):
        """A lock object for ``name`` with ``acquire(blocking=True,
        timeout=None) -> bool`` and ``release()``."""
        raise NotImplementedError

    def _acquire(self, name, uuid, timeout):
        start = time.monotonic()
        thread_lock = self._threads._acquire(name, uuid, timeout)
        try:
            external = self._external_lock(name)
            if timeout is None:
                got = external.acquire(blocking=True)
            else:
                left = max(timeout - (time.monotonic() - start), 0)
                got = external.acquire(blocking=True, timeout=left)
            if not got:
                raise LockTimeout(uuid, timeout)
        except BaseException:
            self._threads._release(thread_lock)
            raise
        return thread_lock, external

    def _release(self, handle):
        thread_lock, external = handle
        try:
            external.release()
        finally:
            self._threads._release(thread_lock)


class FileLockProvider(_ExternalLockProvider):
    """Locks among the processes of one host: oslo.concurrency file locks.

    Each UUID's lock is the file ``<lock_path>/pypvm_tx-entry-<uuid>``
    (``fcntl`` locks through ``fasteners``), combined with an in-process
    lock because file locks do not exclude threads of the same process.
    Lock files stay on disk after use, as with every oslo.concurrency
    external lock (removing a file others may be waiting on is unsafe);
    their number is bounded by the number of objects, and no lock object
    stays in memory.

    :param lock_path: the directory for lock files, shared by every
        process that must be serialised; created if missing.
    :raises ValueError: ``lock_path`` is empty or not a path.
    """

    def __init__(self, lock_path: Union[str, "os.PathLike[str]"]):
        if not isinstance(lock_path, (str, os.PathLike)) or not os.fspath(
                lock_path):
            raise ValueError(_("FileLockProvider needs lock_path, the "
                               "directory for lock files (a non-empty str or "
                               "path); got %r.") % (lock_path,))
        super().__init__()
        self.lock_path = os.fspath(lock_path)

    def __repr__(self):
        return "<FileLockProvider lock_path=%r>" % self.lock_path

    def _external_lock(self, name):
        return lockutils.external_lock(name, lock_path=self.lock_path)


def url_without_credentials(url: str) -> str:
    """``url`` as it may be shown: no user, password or query string.

    ``redis://:secret@host:6379?sentinel_password=x`` becomes
    ``redis://host:6379`` (a query string may carry passwords too).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = "%s:%d" % (host, parts.port)
    except ValueError:  # a malformed port: show the scheme only
        return "%s://..." % url.split(":", 1)[0]
    return "%s://%s%s" % (parts.scheme, host, parts.path)


class _BackendCalls:
    """Runs backend calls on daemon threads, so that a caller can stop
    waiting for a backend that does not answer (tooz clients retry for
    about a minute before they give up).

    Threads are started as needed, up to :attr:`MAX_THREADS`, and live
    as long as the process; being daemons, one stuck on a dead backend
    never holds up the interpreter's exit.
    """

    MAX_THREADS = 16

    def __init__(self) -> None:
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._mutex = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, func) -> futures.Future:
        """Run ``func()`` on a worker thread; its future."""
        future: futures.Future = futures.Future()
        self._queue.put((func, future))
        with self._mutex:
            if self._idle == 0 and self._threads < self.MAX_THREADS:
                self._threads += 1
                threading.Thread(target=self._work, daemon=True,
                                 name="pypvm_tx-lock-backend").start()
        return future

    def _work(self) -> None:
        while True:
            with self._mutex:
                self._idle += 1
            func, future = self._queue.get()
            with self._mutex:
                self._idle -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func())
            except BaseException as exc:
                future.set_exception(exc)


class ToozLockProvider(_ExternalLockProvider):
    """Locks among agents on several hosts, through a tooz coordinator.

    ``url`` is any tooz backend URL, e.g. ``redis://redis.example:6379``
    or ``file:///var/lib/pypvm_tx/locks`` (install the ``distributed``
    extra: ``pip install 'pypvm_tx[distributed]'``).

    * Re-entrant like every provider, through the held record
      (:class:`hold`): the backend lock is taken when a thread first
      locks a UUID and released when its outermost hold ends.
    * One coordinator per provider, started on first use; its heartbeat
      keeps held locks alive past ``lock_timeout``.  :meth:`close` stops
      it, and so does the interpreter's exit.  A forked child starts its
      own coordinator: it never uses its parent's connection.
    * A backend that does not answer raises :class:`LockError` once
      ``acquire_timeout`` (or the ``timeout`` given to :meth:`acquire`,
      whichever is shorter) has passed, not after the client's own
      minute of retries; a lock still held by another agent then raises
      :class:`LockTimeout`.  Messages show the URL without credentials.
    * :meth:`still_held` tells whether a held lock is still this
      agent's (a backend that lost its data, or a heartbeat that could
      not reach it, lets the lock expire under its holder).

    :param url: the tooz backend URL.
    :param member_id: this agent's member id; default host name + pid.
    :param lock_timeout: seconds a lock outlives its holder's last
        heartbeat (whole seconds, rounded up); the heartbeat renews held
        locks every half of it.
    :param acquire_timeout: the longest an acquire may take, waiting for
        the lock or for the backend; None: only the caller's ``timeout``
        bounds it.
    :raises ValueError: ``url`` is not a non-empty string, or a timeout
        is not a positive number.
    :raises ImportError: tooz is not installed.
    """

    #: Seconds a release, an ownership check or :meth:`close` waits for
    #: the backend; also the Redis client's socket timeouts, unless the
    #: URL sets them.
    BACKEND_TIMEOUT = 5.0
    #: Extra seconds given to a backend lock wait to report "not
    #: obtained" itself before it counts as a backend that did not answer.
    GRACE = 0.5

    def __init__(self, url: str, member_id: Optional[str] = None,
                 lock_timeout: float = 30,
                 acquire_timeout: Optional[float] = None):
        if not isinstance(url, str) or not url:
            raise ValueError(_("ToozLockProvider needs the tooz backend URL "
                               "(e.g. 'redis://host:6379' or "
                               "'file:///path'); got %r.") % (url,))
        _check_seconds("lock_timeout", lock_timeout)
        if acquire_timeout is not None:
            _check_seconds("acquire_timeout", acquire_timeout)
        import tooz  # optional dependency
        from tooz import coordination

        super().__init__()
        self.url = url
        #: The URL as messages and logs show it (no credentials).
        self.safe_url = url_without_credentials(url)
        self._password = urllib.parse.urlsplit(url).password
        self._given_member_id = member_id
        self.lock_timeout = max(1, math.ceil(lock_timeout))
        self.acquire_timeout = acquire_timeout
        self._tooz = tooz
        self._coordination = coordination
        self._generation = 0
        self._fresh_state()
        _TOOZ_PROVIDERS.add(self)

    def _fresh_state(self) -> None:
        """No coordinator, no held lock: at creation and in a forked child
        (whatever the parent held, its threads and connection are not
        the child's)."""
        self._pid = os.getpid()
        self.member_id = self._given_member_id or "pypvm_tx-%s-%d" % (
            socket.gethostname(), self._pid)
        self._mutex = threading.Lock()
        self._coordinator: Any = None
        self._starting: Optional[futures.Future] = None
        self._calls = _BackendCalls()
        self._held: dict = {}  # lock name -> tooz lock, while held
        self._threads = InProcessLockProvider()
        self._generation += 1

    def __repr__(self):
        return "<ToozLockProvider %s>" % self.safe_url

    # -------------------------------------------------- the coordinator

    def _options(self) -> dict:
        """Coordinator options: the lock timeout and, for Redis, socket
        timeouts (unless the URL's query string sets them)."""
        options = {"lock_timeout": str(self.lock_timeout)}
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme in ("redis", "rediss"):
            query = urllib.parse.parse_qs(parts.query)
            for name in ("socket_timeout", "socket_connect_timeout"):
                if name not in query:
                    options[name] = str(self.BACKEND_TIMEOUT)
        return options

    def _start_coordinator(self, generation: int) -> Any:
        coordinator = self._coordination.get_coordinator(
            self.url, self.member_id.encode("utf-8"), **self._options())
        coordinator.start(start_heart=True)
        with self._mutex:
            if generation == self._generation:
                self._coordinator = coordinator
                return coordinator
        coordinator.stop()  # closed (or forked) while it started
        raise LockError(_("The lock provider %s was closed.")
                        % self.safe_url)

    def _started(self, deadline: Optional[float]) -> Any:
        """The coordinator, started if need be (one start at a time)."""
        with self._mutex:
            if self._coordinator is not None:
                return self._coordinator
            starting = self._starting
            if starting is None or (starting.done()
                                    and starting.exception() is not None):
                starting = self._starting = self._calls.submit(
                    functools.partial(self._start_coordinator,
                                      self._generation))
        return self._result(starting, deadline, _("start"))

    # -------------------------------------------------- bounded calls

    def _backend_error(self, exc: BaseException, what: str) -> LockError:
        text = str(exc)
        if self._password:
            text = text.replace(self._password, "***")
        return LockError(_("The lock backend %(url)s failed to %(what)s: "
                           "%(error)s") % {"url": self.safe_url,
                                           "what": what, "error": text})

    def _result(self, future: futures.Future, deadline: Optional[float],
                what: str) -> Any:
        """``future``'s result, or LockError when the backend failed or
        ``deadline`` (monotonic; None: none) passed first."""
        left = None if deadline is None else max(
            deadline - time.monotonic(), 0)
        futures.wait([future], timeout=left)
        if not future.done():
            raise LockError(_("The lock backend %(url)s did not answer "
                              "(%(what)s) in time.") % {
                "url": self.safe_url, "what": what})
        exc = future.exception()
        if isinstance(exc, self._tooz.ToozError):
            raise self._backend_error(exc, what) from exc
        return future.result()

    def _call(self, func, deadline: Optional[float], what: str,
              abandoned=None) -> Any:
        """``func()`` on the backend, bounded by ``deadline``.

        :param abandoned: called with the future if the caller stops
            waiting while it still runs.
        """
        future = self._calls.submit(func)
        try:
            return self._result(future, deadline, what)
        except LockError:
            if not future.done() and not future.cancel() and abandoned:
                future.add_done_callback(abandoned)
            raise

    # -------------------------------------------------- locks

    def _acquire(self, name, uuid, timeout):
        if self.acquire_timeout is not None and (
                timeout is None or self.acquire_timeout < timeout):
            timeout = self.acquire_timeout
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        thread_lock = self._threads._acquire(name, uuid, timeout)
        try:
            lock = self._started(deadline).get_lock(name.encode("utf-8"))
            left = None if deadline is None else max(
                deadline - time.monotonic(), 0)
            got = self._call(
                functools.partial(lock.acquire, blocking=True, timeout=left),
                None if deadline is None else deadline + self.GRACE,
                _("acquire the lock on entry %s") % uuid,
                abandoned=functools.partial(self._release_late, lock))
            if not got:
                raise LockTimeout(uuid, timeout)
        except BaseException:
            self._threads._release(thread_lock)
            raise
        self._held[name] = lock
        return thread_lock, name, lock

    @staticmethod
    def _release_late(lock, future: futures.Future) -> None:
        """An acquire its caller gave up on: release what it got."""
        if not future.cancelled() and future.exception() is None \
                and future.result():
            try:
                lock.release()
            except Exception:  # the lock expires by itself
                LOG.debug("Releasing an abandoned lock failed",
                          exc_info=True)

    def _release(self, handle):
        thread_lock, name, lock = handle
        try:
            if self._held.get(name) is lock:
                del self._held[name]
            self._call(lock.release,
                       time.monotonic() + self.BACKEND_TIMEOUT,
                       _("release a lock"))
        except LockError as exc:
            # The lock expires after lock_timeout without a heartbeat.
            LOG.warning(_("%s; it expires by itself."), exc)
        finally:
            self._threads._release(thread_lock)

    def still_held(self, uuid: str) -> bool:
        """Whether this provider's lock on ``uuid`` is still this agent's.

        False (logged at WARNING with the UUID) when the lock is not held
        here, another member owns it now, or the backend cannot tell (it
        cannot be reached within :attr:`BACKEND_TIMEOUT`).
        """
        key = lock_key(uuid)
        lock = self._held.get(self.lock_name(key))
        owner = False
        reason = _("it is not held here")
        if lock is not None:
            try:
                owner = self._call(lock.is_still_owner,
                                   time.monotonic() + self.BACKEND_TIMEOUT,
                                   _("check a lock's owner"))
                reason = _("the backend no longer has it as this agent's")
            except self._tooz.NotImplemented:
                return True  # a backend that cannot lose a held lock
            except LockError as exc:
                reason = str(exc)
        if not owner:
            LOG.warning(_("The lock on entry %(uuid)s was lost (%(reason)s)."),
                        {"uuid": key, "reason": reason})
        return bool(owner)

    def close(self) -> None:
        """Stop the coordinator, releasing any lock still held.

        The provider may be used again: the next lock starts a new
        coordinator.
        """
        with self._mutex:
            coordinator, self._coordinator = self._coordinator, None
            self._starting = None
            self._held.clear()
            self._generation += 1
        if coordinator is not None:
            try:
                self._call(coordinator.stop,
                           time.monotonic() + self.BACKEND_TIMEOUT,
                           _("stop"))
            except LockError as exc:
                LOG.warning("%s", exc)


def _check_seconds(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not value > 0:
        raise ValueError(_("%(name)s must be a positive number of seconds; "
                           "got %(value)r.") % {"name": name, "value": value})


#: Every live ToozLockProvider, for the exit and fork hooks below.
_TOOZ_PROVIDERS: "weakref.WeakSet[ToozLockProvider]" = weakref.WeakSet()


@atexit.register
def _close_tooz_providers() -> None:
    for provider in list(_TOOZ_PROVIDERS):
        try:
            provider.close()
        except Exception:  # pragma: no cover - exiting anyway
            LOG.debug("Closing %r at exit failed", provider, exc_info=True)


def _forget_tooz_coordinators() -> None:
    """In a forked child: drop the parent's coordinators unstopped (stopping
    one would release the parent's locks) and start afresh on first use."""
    for provider in list(_TOOZ_PROVIDERS):
        provider._fresh_state()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_tooz_coordinators)


# --------------------------------------------------------------------------
# The process-wide default
# --------------------------------------------------------------------------

_default_provider: LockProvider = InProcessLockProvider()


def get_default_provider() -> LockProvider:
    """The provider used when none is chosen per use."""
    return _default_provider


def set_default_provider(provider: Optional[LockProvider]) -> None:
    """Install ``provider`` process-wide; None restores a fresh in-process one.

    Install it before transactions run: a UUID locked through one
    provider is not excluded by another.

    :raises TypeError: ``provider`` is not a :class:`LockProvider`.
    """
    global _default_provider
    if provider is None:
        provider = InProcessLockProvider()
    elif not isinstance(provider, LockProvider):
        raise TypeError(_("set_default_provider needs a LockProvider (for "
                          "example InProcessLockProvider() or "
                          "FileLockProvider(lock_path=...)) or None; got "
                          "%r.") % (provider,))
    _default_provider = provider


def check_provider(provider: Optional[LockProvider],
                   what: str) -> Optional[LockProvider]:
    """Validate a per-use ``lock_provider`` option (None = the default).

    :raises TypeError: it is neither None nor a :class:`LockProvider`.
    """
    if provider is not None and not isinstance(provider, LockProvider):
        raise TypeError(_("%(what)s lock_provider must be a LockProvider or "
                          "None (the process default); got %(value)r.") % {
            "what": what, "value": provider})
    return provider
