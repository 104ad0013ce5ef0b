"""Call a function again when it fails in a way worth retrying.

:func:`retry` is a decorator factory.  The decorated function is called up
to ``tries`` times; between calls a *delay function* waits and an *argmod
function* may rewrite the arguments (for example :func:`refresh_wrapper`
re-fetches the wrapper after an etag mismatch).

Delay functions
---------------
A delay function is called as ``delay_func(try, tries, *args, **kwargs)``
after try number ``try`` failed and before the next one.  The ones here
sleep through :func:`sleep`, which honours a deadline set with
:func:`deadline_scope` (``entry_transaction(deadline=...)`` opens one), so
a bounded transaction runs them in its own thread and they wake at its
end.  ``entry_transaction`` runs any other delay function, which may call
``time.sleep`` itself, in a helper thread that it does not wait for past
its deadline; a custom delay function that calls :func:`sleep` ends on
time too, rather than sleeping on unwatched.

Tests never need to wait: pass ``delay_func=NO_DELAY`` or patch
``time.sleep``.
"""

import functools
import random
import time
from typing import (Any, Callable, Collection, Dict, Optional, Sequence,
                    Tuple, Type, TypeVar, Union, cast)

from oslo_log import log as logging

from pypvm_tx import backoff
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)

#: HTTP statuses retried by default: only the etag mismatch.
DFT_RETRY_CODES = frozenset({c.HTTP_PRECONDITION_FAILED})

#: What an ``argmod_func`` returns: the next try's args and kwargs.
ArgsAndKwargs = Tuple[Sequence[Any], Dict[str, Any]]

_Func = TypeVar("_Func", bound=Callable[..., Any])


def NO_TEST(*args: Any, **kwargs: Any) -> bool:
    """A ``test_func`` that always allows the retry."""
    return True


def NO_CHECKER(*args: Any, **kwargs: Any) -> bool:
    """A ``resp_checker`` that never asks for a retry."""
    return False


def NO_ARGMOD(this_try: int, max_tries: int, *args: Any,
              **kwargs: Any) -> ArgsAndKwargs:
    """An ``argmod_func`` that leaves the arguments as they are."""
    return args, kwargs


# --------------------------------------------------------------------------
# Deadline-aware sleeping
# --------------------------------------------------------------------------

# The deadline scope lives in the base layer, where the Session reads it
# too; these names stay here for code that imports them from retry.
sleep_deadline = backoff.current_deadline
deadline_scope = backoff.deadline_scope
sleep = backoff.sleep


# --------------------------------------------------------------------------
# Delay functions
# --------------------------------------------------------------------------
#
# Each is called as the peer's are, ``delay_func(try, tries, *args,
# **kwargs)``, and then sleeps; but it also says how long through
# ``seconds(try, tries)``, which is what the retry loops use, so that only
# the loop sleeps and a deadline can cut the wait.  A delay function of
# another kind (a plain function that sleeps itself) still works: the
# loops call it and wait no more.


class DelayFunc:
    """A delay function that knows its wait: ``seconds(try, tries)``.

    Called directly, it sleeps once, as the peer's do: a zero wait is
    ``time.sleep(0)`` (which only yields), except for :data:`NO_DELAY`.

    :param seconds: ``seconds(try, tries) -> float``.
    :param name: what ``repr`` shows.
    """

    def __init__(self, seconds: Callable[[int, int], float], name: str,
                 sleeps: bool = True):
        self.seconds = seconds
        self.sleeps = sleeps
        self.__name__ = self.__qualname__ = name

    def __call__(self, attempt: int, max_attempts: int, *args: Any,
                 **kwargs: Any) -> None:
        wait = self.seconds(attempt, max_attempts)
        if wait > 0:
            backoff.sleep(wait)
        elif self.sleeps:
            time.sleep(0)

    def __repr__(self):
        return "<delay %s>" % self.__name__


def delay_seconds(delay_func: Callable, attempt: int, max_attempts: int,
                  *args: Any, **kwargs: Any) -> float:
    """The wait ``delay_func`` asks for before retry ``attempt + 1``.

    A :class:`DelayFunc` says it; any other delay function is called
    (it sleeps itself, as the peer's do) and 0 is returned.
    """
    if isinstance(delay_func, DelayFunc):
        return delay_func.seconds(attempt, max_attempts)
    delay_func(attempt, max_attempts, *args, **kwargs)
    return 0.0


#: Retry at once.
NO_DELAY = DelayFunc(lambda attempt, max_attempts: 0.0, "NO_DELAY",
                     sleeps=False)

#: The waits of :data:`STEPPED_DELAY` after tries 1, 2, 3, ...; the last
#: value repeats.
STEPPED_DELAY_STEPS = (0.0, 0.5, 2.0, 6.5, 20.0, 30.0)

#: The ``(min, max)`` ranges of :data:`STEPPED_RANDOM_DELAY`, one per sixth
#: of the tries used.
STEPPED_RANDOM_RANGES = ((0.0, 0.0), (0.0, 1.0), (0.5, 4.0), (2.0, 13.0),
                         (6.5, 30.0), (0.0, 60.0))


def _stepped(attempt: int, max_attempts: int) -> float:
    index = min(max(attempt, 1), len(STEPPED_DELAY_STEPS)) - 1
    return STEPPED_DELAY_STEPS[index]


#: Wait longer after each failure: 0, 0.5, 2, 6.5, 20, then 30 seconds.
STEPPED_DELAY = DelayFunc(_stepped, "STEPPED_DELAY")


def stepped_random_range(attempt: int,
                         max_attempts: int) -> Tuple[float, float]:
    """The ``(min, max)`` wait :data:`STEPPED_RANDOM_DELAY` draws from.

    The range steps up with the fraction of the tries used before the
    failed one, ``(attempt - 1) / max_attempts``, one step per sixth: the
    first retry is always immediate, with 60 tries the first ten are, and
    from the last sixth on the wait is anywhere from 0 to 60 seconds (the
    peer's mapping, so a short ``tries`` gets the same waits as there).
    """
    steps = len(STEPPED_RANDOM_RANGES)
    max_attempts = max(max_attempts, 1)
    index = (max(attempt, 1) - 1) * steps // max_attempts
    return STEPPED_RANDOM_RANGES[min(index, steps - 1)]


def _stepped_random(attempt: int, max_attempts: int) -> float:
    low, high = stepped_random_range(attempt, max_attempts)
    return random.uniform(low, high) if high > 0 else 0.0


#: Wait a random time whose range grows with the fraction of tries used:
#: 0, 0-1, 0.5-4, 2-13, 6.5-30 and 0-60 seconds, one per sixth of the
#: tries (see :func:`stepped_random_range`).  The randomness spreads out
#: agents that collided on the same object.
STEPPED_RANDOM_DELAY = DelayFunc(_stepped_random, "STEPPED_RANDOM_DELAY")


def gen_random_delay(min_s: float = 0, max_s: float = 10) -> DelayFunc:
    """Build a delay function that waits a random time in ``[min_s, max_s]``.

    :raises ValueError: a bound is negative or ``min_s > max_s``.
    """
    if min_s < 0 or max_s < 0 or min_s > max_s:
        raise ValueError(_("gen_random_delay needs 0 <= min_s <= max_s; got "
                           "min_s=%(min)r, max_s=%(max)r.") % {
            "min": min_s, "max": max_s})
    return DelayFunc(lambda attempt, max_attempts: random.uniform(min_s,
                                                                  max_s),
                     "random_delay(%s, %s)" % (min_s, max_s))


def refresh_wrapper(trynum: int, maxtries: int, *args: Any,
                    **kwargs: Any) -> ArgsAndKwargs:
    """An ``argmod_func`` that re-fetches the wrapper in the first argument.

    It calls ``refresh(use_etag=False)`` so the retry always starts from
    the server's current state, discarding any local changes the failed
    try made to the wrapper.
    """
    new_args = list(args)
    new_args[0] = new_args[0].refresh(use_etag=False)
    return new_args, kwargs


# --------------------------------------------------------------------------
# The decorator
# --------------------------------------------------------------------------

def _check_options(tries, delay_func, retry_except, http_codes, test_func,
                   resp_checker, argmod_func):
    if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
        raise ValueError(_("retry tries must be an integer of at least 1; "
                           "got %r.") % (tries,))
    for name, func in (("delay_func", delay_func),
                       ("resp_checker", resp_checker),
                       ("argmod_func", argmod_func),
                       ("test_func", test_func)):
        if func is not None and not callable(func):
            raise TypeError(_("retry %(name)s must be callable (or None); "
                              "got %(value)r.") % {"name": name,
                                                   "value": func})
    if retry_except is not None:
        excs = retry_except if isinstance(retry_except, tuple) else (
            retry_except,)
        if not all(isinstance(e, type) and issubclass(e, BaseException)
                   for e in excs):
            raise TypeError(_("retry retry_except must be an exception class "
                              "or a tuple of them; got %r.") % (retry_except,))
    try:
        frozenset(http_codes or ())
    except TypeError:
        raise TypeError(_("retry http_codes must be a collection of HTTP "
                          "status integers; got %r.") % (http_codes,)) from None


class _Retrier:
    """The state of one ``@retry`` decoration; calls are independent."""

    def __init__(self, func, tries, delay_func, retry_except, http_codes,
                 test_func, resp_checker, limit_except, argmod_func):
        self.func = func
        self.tries = tries
        self.delay_func = delay_func or NO_DELAY
        if retry_except is None:
            retry_except = ()
        elif not isinstance(retry_except, tuple):
            retry_except = (retry_except,)
        self.retry_except = retry_except
        self.http_codes = frozenset(http_codes or ())
        self.test_func = test_func
        self.resp_checker = resp_checker or NO_CHECKER
        self.limit_except = limit_except
        self.argmod_func = argmod_func or NO_ARGMOD

    def _give_up(self, exc):
        """Raise ``limit_except`` (if given) or re-raise ``exc``."""
        if self.limit_except is not None:
            raise self.limit_except from exc
        raise exc

    def _should_retry(self, exc, try_, args, kwargs) -> bool:
        """Whether a candidate ``exc`` (from try ``try_``) earns a retry."""
        if self.test_func is None:
            return True
        return bool(self.test_func(exc, try_, self.tries, *args, **kwargs))

    def _is_candidate(self, exc) -> bool:
        """Whether ``exc`` is one this decorator considers at all."""
        if isinstance(exc, pvmex.HttpError):
            if self.test_func is not None:
                return True
            status = getattr(exc.response, "status", None)
            return (status in self.http_codes
                    or isinstance(exc, self.retry_except))
        return isinstance(exc, self.retry_except)

    def __call__(self, *args, **kwargs):
        return backoff.Retrying(
            stop=backoff.stop_after_attempt(self.tries), wait=self._wait,
            retry=self._wants_retry, before_sleep=self._log_retry,
            before_next=self._next_args, give_up=self._exhausted,
        )(self.func, *args, **kwargs)

    # -- the policies of the loop --------------------------------------------

    def _wants_retry(self, state) -> bool:
        exc = state.exception
        if exc is None:
            # The checker sees every response, the last one included: it
            # may raise to refuse it (the peer's contract); a truthy
            # answer on the last try still returns the response.
            return bool(self.resp_checker(state.result, state.attempt,
                                          self.tries, *state.args,
                                          **state.kwargs))
        if not self._is_candidate(exc):
            return False
        if not self._should_retry(exc, state.attempt, state.args,
                                  state.kwargs):
            self._give_up(exc)
        return True

    def _wait(self, state) -> float:
        return delay_seconds(self.delay_func, state.attempt, self.tries,
                             *state.args, **state.kwargs)

    def _next_args(self, state) -> None:
        state.args, state.kwargs = self.argmod_func(
            state.attempt, self.tries, *state.args, **state.kwargs)

    def _exhausted(self, state) -> None:
        if state.exception is None:
            return  # the last response is returned
        LOG.warning(_("Giving up on %(func)s after %(tries)d tries; the last "
                      "failure was: %(exc)s"),
                    {"func": self._name, "tries": self.tries,
                     "exc": state.exception})
        self._give_up(state.exception)

    @property
    def _name(self):
        return getattr(self.func, "__qualname__", repr(self.func))

    def _log_retry(self, state, seconds):
        exc, try_ = state.exception, state.attempt
        if exc is None:
            cause = _("the response checker asked for a retry")
        elif isinstance(exc, pvmex.HttpError):
            cause = _("HTTP %(status)s on %(path)s") % {
                "status": getattr(exc.response, "status", "?"),
                "path": getattr(exc.response, "reqpath", "?")}
        else:
            cause = "%s: %s" % (type(exc).__name__, exc)
        LOG.warning(_("Try %(try)d of %(tries)d of %(func)s failed (%(cause)s); "
                      "retrying."), {"try": try_, "tries": self.tries,
                                     "func": self._name, "cause": cause})


def retry(tries: int = 3, delay_func: Callable = NO_DELAY,
          retry_except: Optional[backoff.ExceptionTypes] = None,
          http_codes: Collection[int] = DFT_RETRY_CODES,
          test_func: Optional[Callable] = None,
          resp_checker: Callable = NO_CHECKER,
          limit_except: Union[BaseException, Type[BaseException],
                              None] = None,
          argmod_func: Callable = NO_ARGMOD) -> Callable[[_Func], _Func]:
    """Decorate a function so that it is called up to ``tries`` times.

    :param tries: the most calls made (at least 1).
    :param delay_func: ``delay_func(try, tries, *args, **kwargs)`` runs
        before each retry; see the module docstring.
    :param retry_except: an exception class, or a tuple of them, that is
        also retried.
    :param http_codes: statuses of :class:`~pypvm_tx.exceptions.HttpError`
        that are retried (default: 412 only); other ``HttpError``\\ s
        propagate at once.
    :param test_func: ``test_func(exc, try, tries, *args, **kwargs)``; when
        given, it alone decides whether an ``HttpError`` (of any status) or
        a ``retry_except`` exception is retried.
    :param resp_checker: ``resp_checker(resp, try, tries, *args, **kwargs)``;
        truthy asks for a retry although no exception was raised.  It is
        also called on the last try, whose response is returned whatever
        it answers; to refuse that response it raises instead.
    :param limit_except: an exception (instance or class) raised instead of
        the last one when the tries run out or ``test_func`` declines.
    :param argmod_func: ``argmod_func(try, tries, *args, **kwargs)`` returns
        ``(args, kwargs)`` for the next try; it runs after ``delay_func``.
    :raises ValueError: ``tries`` is not a positive integer.
    :raises TypeError: a function option is not callable, ``retry_except``
        is not an exception class or tuple of them, or ``http_codes`` is not
        a collection.
    """
    _check_options(tries, delay_func, retry_except, http_codes, test_func,
                   resp_checker, argmod_func)

    def decorate(func: _Func) -> _Func:
        retrier = _Retrier(func, tries, delay_func, retry_except, http_codes,
                           test_func, resp_checker, limit_except, argmod_func)

        @functools.wraps(func)
        def retrying(*args: Any, **kwargs: Any) -> Any:
            return retrier(*args, **kwargs)

        # functools.wraps gives retrying the signature of func.
        return cast(_Func, retrying)

    return decorate
