"""Time bounds and the one retry loop, shared by every layer.

**The retry loop.**  :class:`Retrying` runs a function until it succeeds
or its policies say stop: a stop condition (:class:`stop_after_attempt`,
:class:`stop_at_deadline`, combined with ``|``), a wait that returns
seconds (:func:`wait_none`, :class:`wait_fixed`,
:class:`wait_exponential`) and a retry predicate
(:class:`retry_if_exception`, :class:`retry_if_result`).  Only the loop
sleeps, through :func:`sleep` or the ``sleep`` it is given.  The Session's
GET retries, :func:`pypvm_tx.retry.retry` and ``entry_transaction``'s
redrive all run on it.

**The deadline.**

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
from typing import (Any, Callable, Dict, Iterator, Optional, Tuple, Type,
                    Union)

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


# --------------------------------------------------------------------------
# The one retry loop
# --------------------------------------------------------------------------
#
# Its shape is tenacity's: a stop condition, a wait and a retry predicate,
# each a small object called with the state of the last try; waits return
# seconds and only the loop sleeps.  It is written here rather than taken
# from tenacity because every entry transaction of a FeedTask passes
# through it: tenacity costs about 23 us per call even when the first try
# succeeds, as much as the whole per-entry cost of a FeedTask, while this
# loop's first try is a plain call (benchmarks/bench_backoff.py measures
# both; tests/unit/test_backoff.py checks it against tenacity).


#: What ``isinstance`` takes as its second argument, for exceptions.
ExceptionTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


class RetryState:
    """What the policies see after a try: the try's number (from 1), its
    exception or result, and the arguments the next try will get."""

    __slots__ = ("attempt", "exception", "result", "args", "kwargs",
                 "started")

    def __init__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]):
        self.attempt = 0
        self.exception: Optional[BaseException] = None
        self.result: Any = None
        self.args = args
        self.kwargs = kwargs
        self.started = time.monotonic()

    @property
    def failed(self) -> bool:
        return self.exception is not None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class _Policy:
    """Base of stop conditions and retry predicates: ``a | b`` is true
    when either is.  ``checks_results``: whether a successful try must be
    shown to it (else a success ends the loop at once)."""

    checks_results = False

    def __call__(self, state: RetryState) -> bool:  # pragma: no cover
        raise NotImplementedError

    def __or__(self, other: "_Policy") -> "_Policy":
        return _AnyOf(self, other)


class _AnyOf(_Policy):
    def __init__(self, *policies: Callable[[RetryState], bool]):
        self.policies = policies
        self.checks_results = any(getattr(p, "checks_results", True)
                                  for p in policies)

    def __call__(self, state: RetryState) -> bool:
        return any(policy(state) for policy in self.policies)


class stop_after_attempt(_Policy):  # noqa: N801 - tenacity's spelling
    """Stop once ``attempts`` tries have been made."""

    def __init__(self, attempts: int):
        self.attempts = attempts

    def __call__(self, state: RetryState) -> bool:
        return state.attempt >= self.attempts


class stop_never(_Policy):  # noqa: N801
    """Never stop (another condition must)."""

    def __call__(self, state: RetryState) -> bool:
        return False


class stop_at_deadline(_Policy):  # noqa: N801
    """Stop once this thread's deadline (:func:`deadline_scope`) passed:
    a deadline is just another stop condition."""

    def __call__(self, state: RetryState) -> bool:
        left = time_left()
        return left is not None and left <= 0


class retry_if_exception(_Policy):  # noqa: N801
    """Retry a try that raised an exception ``predicate`` accepts."""

    def __init__(self, predicate: Callable[[BaseException], bool]):
        self.predicate = predicate

    def __call__(self, state: RetryState) -> bool:
        return state.exception is not None and bool(
            self.predicate(state.exception))


class retry_if_exception_type(retry_if_exception):  # noqa: N801
    """Retry a try that raised one of ``types``."""

    def __init__(self, types: ExceptionTypes = Exception):
        super().__init__(lambda exc: isinstance(exc, types))


class retry_if_result(_Policy):  # noqa: N801
    """Retry a try whose result ``predicate`` accepts."""

    checks_results = True

    def __init__(self, predicate: Callable[[Any], bool]):
        self.predicate = predicate

    def __call__(self, state: RetryState) -> bool:
        return state.exception is None and bool(self.predicate(state.result))


def wait_none(state: RetryState) -> float:
    """No wait."""
    return 0.0


class wait_fixed:  # noqa: N801
    """The same wait before every retry."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __call__(self, state: RetryState) -> float:
        return self.seconds


class wait_exponential:  # noqa: N801
    """``multiplier * exp_base ** (attempt - 1)`` seconds, within
    ``[min, max]`` (tenacity's formula)."""

    def __init__(self, multiplier: float = 1, max: float = float("inf"),
                 exp_base: float = 2, min: float = 0):  # noqa: A002
        self.multiplier = multiplier
        self.max = max
        self.exp_base = exp_base
        self.min = min

    def __call__(self, state: RetryState) -> float:
        try:
            seconds = self.multiplier * self.exp_base ** (state.attempt - 1)
        except OverflowError:
            return self.max
        return max(self.min, min(seconds, self.max))


class Retrying:
    """Call a function until it succeeds, a stop condition holds, or the
    retry predicate declines.

    :param stop: ``stop(state) -> bool``: no further try.
    :param wait: ``wait(state) -> seconds`` before the next try.
    :param retry: ``retry(state) -> bool``: this try's outcome asks for
        another; by default any exception does.
    :param before_sleep: ``before_sleep(state, seconds)``, e.g. to log.
    :param before_next: ``before_next(state)`` after the sleep; it may
        replace ``state.args`` / ``state.kwargs`` for the next try.
    :param give_up: ``give_up(state)`` when a retryable outcome gets no
        further try; it may raise something else (by default the last
        exception is raised, or the last result returned).
    :param sleep: the one place a retry sleeps; default :func:`sleep`,
        which ends at this thread's deadline.

    A subclass may instead define the policies as methods (and skip this
    ``__init__``): one object per run then holds both the run's state and
    its policies, which is what a hot path wants.
    """

    stop: Callable = stop_never()
    wait: Callable = staticmethod(wait_none)
    retry: Callable = retry_if_exception_type()
    before_sleep: Optional[Callable] = None
    before_next: Optional[Callable] = None
    give_up: Optional[Callable] = None
    sleep: Optional[Callable] = None
    #: Whether a successful try is shown to ``retry`` (a plain function as
    #: ``retry`` may look at results, so by default it is).
    _checks_results = True

    def __init__(self, stop: Callable = stop_never(),
                 wait: Callable = wait_none,
                 retry: Callable = retry_if_exception_type(),
                 before_sleep: Optional[Callable] = None,
                 before_next: Optional[Callable] = None,
                 give_up: Optional[Callable] = None,
                 sleep: Optional[Callable[[float], None]] = None):
        self.stop = stop
        self.wait = wait
        self.retry = retry
        self.before_sleep = before_sleep
        self.before_next = before_next
        self.give_up = give_up
        self.sleep = sleep
        self._checks_results = getattr(retry, "checks_results", True)

    def __call__(self, fn: Callable[..., Any], *args: Any,
                 **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, tried as the policies say."""
        state = None
        while True:
            if state is None:  # the first try: a plain call
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:
                    state = RetryState(args, kwargs)
                    state.exception = exc
                else:
                    if not self._checks_results:
                        return result
                    state = RetryState(args, kwargs)
                    state.result = result
                state.attempt = 1
            else:
                state.attempt += 1
                state.exception = state.result = None
                try:
                    state.result = fn(*state.args, **state.kwargs)
                except Exception as exc:
                    state.exception = exc
            if not self.retry(state):
                return self._outcome(state)
            if self.stop(state):
                if self.give_up is not None:
                    self.give_up(state)
                return self._outcome(state)
            self._pause(state)

    @staticmethod
    def _outcome(state):
        if state.exception is not None:
            raise state.exception
        return state.result

    def _pause(self, state):
        seconds = self.wait(state) or 0.0
        if self.before_sleep is not None:
            self.before_sleep(state, seconds)
        if seconds > 0:
            (self.sleep or sleep)(seconds)
        if self.before_next is not None:
            self.before_next(state)
