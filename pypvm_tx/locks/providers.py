"""Lock providers: where a per-UUID lock comes from (threads of this
process, processes on one host), and the process-wide default."""

import abc
import os
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

    #: Whether a lock can be lost while held (it expires in its backend).
    #: Transactions check such locks before each write they send.
    can_lose_locks = False

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

    def release_lost(self, handle: Any) -> None:
        """Release a lock :meth:`still_held` found lost: free what this
        process holds without asking the backend, which no longer has it
        as this agent's.  Here the same as :meth:`release`."""
        self.release(handle)

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
