"""Time bounds shared by every layer: the deadline of the running work.

A transaction with a ``deadline`` opens a :func:`deadline_scope`; while it
is open in a thread, every REST call that thread makes gets at most the
time left as its timeout (the Session asks :func:`time_left`), and every
sleep through :func:`sleep` ends at the deadline.  Scopes nest: the
earliest deadline wins.

This module is in the base layer (it imports nothing of pypvm_tx but the
exceptions) so that the adapter below the transaction layer can honour a
deadline the transaction layer set.
"""

import contextlib
import threading
import time
from typing import Iterator, Optional

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

_deadline = threading.local()


def current_deadline() -> Optional[float]:
    """The ``time.monotonic()`` value this thread's work must end by, or
    None when no deadline is set."""
    return getattr(_deadline, "expires_at", None)


def time_left() -> Optional[float]:
    """Seconds left before this thread's deadline (may be <= 0), or None."""
    expires_at = current_deadline()
    return None if expires_at is None else expires_at - time.monotonic()


@contextlib.contextmanager
def deadline_scope(expires_at: Optional[float]) -> Iterator[None]:
    """Bound this thread's REST calls and sleeps by ``expires_at``.

    ``expires_at`` is a ``time.monotonic()`` value, or None for no bound.
    """
    previous = current_deadline()
    effective = expires_at
    if previous is not None and (effective is None or previous < effective):
        effective = previous
    _deadline.expires_at = effective
    try:
        yield
    finally:
        _deadline.expires_at = previous


def bounded_timeout(timeout: Optional[float], what: str) -> Optional[float]:
    """``timeout`` cut to the time left before this thread's deadline.

    :raises DeadlineExceeded: no time is left, so ``what`` is not started.
    """
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise pvmex.DeadlineExceeded(
            _("Not starting %s: the deadline has passed.") % what)
    return left if timeout is None or timeout > left else timeout


def sleep(seconds: float) -> None:
    """Sleep ``seconds``, cut short at this thread's deadline if one is set."""
    expires_at = current_deadline()
    if expires_at is not None:
        seconds = min(seconds, expires_at - time.monotonic())
    if seconds > 0:
        time.sleep(seconds)
