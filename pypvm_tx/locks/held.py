"""The held record: which entry UUIDs this thread holds or inherited,
and ``hold``, which takes a lock only when the thread does not hold it
yet (what makes transactions re-entrant)."""

import threading
from typing import Any, FrozenSet, Literal, Optional

from oslo_log import log as logging

from pypvm_tx import backoff
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.locks.providers import (
    _EMPTY,
    LockProvider,
    get_default_provider,
    lock_key,
)

LOG = logging.getLogger(__name__)

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
            provider = get_default_provider()
        self._handle = provider.acquire(self._key, timeout=self._timeout)
        self._provider = provider
        self._previous = previous
        _local.held = previous | {self._key}
        return self

    @property
    def key(self) -> str:
        """The lock key (the UUID, lower-cased)."""
        return self._key

    @property
    def can_be_lost(self) -> bool:
        """Whether this hold took a lock that can expire while held."""
        return self._previous is not None and bool(
            getattr(self._provider, "can_lose_locks", False))

    def verify(self) -> None:
        """Check, just before a write, that the lock this hold took is
        still this agent's.

        :raises LockLost: it expired or was taken over (the provider
            logged it); nothing is written, and :meth:`retake` takes it
            again.
        """
        if self._previous is None:
            return
        assert self._provider is not None
        if not self._provider.still_held(self._key):
            raise pvmex.LockLost(self._key)

    def retake(self) -> None:
        """Take again a lock found lost, within this hold's timeout and
        the thread's deadline.

        :raises LockTimeout, LockError: it could not be taken; the hold
            then holds nothing and its exit releases nothing.
        """
        assert self._provider is not None and self._previous is not None
        handle, self._handle = self._handle, None
        self._provider.release_lost(handle)
        timeout = self._timeout
        left = backoff.time_left()
        if left is not None and (timeout is None or left < timeout):
            timeout = left
        LOG.info(_("Taking the lost lock on entry %s again."), self._key)
        try:
            self._handle = self._provider.acquire(self._key, timeout=timeout)
        except BaseException:
            _local.held, self._previous = self._previous, None
            raise

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        if self._previous is not None:
            _local.held = self._previous
            self._previous = None
            handle, self._handle = self._handle, None
            # __enter__ set the provider when it took the lock.
            assert self._provider is not None
            self._provider.release(handle)
        return False
