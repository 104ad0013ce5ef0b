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
import os
import socket
import threading
import time
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


class ToozLockProvider(_ExternalLockProvider):
    """Locks among agents on several hosts, through a tooz coordinator.

    ``url`` is any tooz backend URL, e.g. ``redis://redis.example:6379``
    or ``file:///var/lib/pypvm_tx/locks`` (install the ``distributed``
    extra: ``pip install 'pypvm_tx[distributed]'``).  The coordinator is
    started on first use (with its heartbeat) and stopped by
    :meth:`close`.

    :param url: the tooz backend URL.
    :param member_id: this agent's member id; default host name + pid.
    :raises ValueError: ``url`` is not a non-empty string.
    :raises ImportError: tooz is not installed.
    """

    def __init__(self, url: str, member_id: Optional[str] = None):
        if not isinstance(url, str) or not url:
            raise ValueError(_("ToozLockProvider needs the tooz backend URL "
                               "(e.g. 'redis://host:6379' or "
                               "'file:///path'); got %r.") % (url,))
        from tooz import coordination  # optional dependency

        super().__init__()
        self.url = url
        self.member_id = member_id or "pypvm_tx-%s-%d" % (
            socket.gethostname(), os.getpid())
        self._coordination = coordination
        self._coordinator = None
        self._start_mutex = threading.Lock()

    def __repr__(self):
        # The URL may carry a password (redis://:secret@host); show the
        # backend kind only.
        return "<ToozLockProvider %s://...>" % self.url.split(":", 1)[0]

    def _started(self):
        with self._start_mutex:
            if self._coordinator is None:
                coordinator = self._coordination.get_coordinator(
                    self.url, self.member_id.encode("utf-8"))
                coordinator.start(start_heart=True)
                self._coordinator = coordinator
            return self._coordinator

    def _external_lock(self, name):
        return self._started().get_lock(name.encode("utf-8"))

    def close(self) -> None:
        """Stop the coordinator (locks must no longer be held)."""
        with self._start_mutex:
            coordinator, self._coordinator = self._coordinator, None
        if coordinator is not None:
            coordinator.stop()


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
