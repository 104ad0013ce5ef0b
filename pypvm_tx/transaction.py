"""Transactions on PowerVM REST objects and their fan-out over feeds.

The building blocks, from the smallest:

* :func:`entry_transaction` — a decorator for a function that changes one
  object: it locks the object's UUID (re-entrantly), resolves a getter
  into a wrapper after the lock is taken, and on an etag mismatch (HTTP
  412) refreshes the wrapper and calls the function again.
* :class:`Subtask` / :class:`FunctorSubtask` — one modification of a
  wrapper that says whether it changed anything.
* :class:`WrapperTask` — a TaskFlow task running Subtasks on one object
  and POSTing once, only when something changed.
* :class:`FeedTask` — a TaskFlow task running the same Subtasks on every
  object of a feed in parallel, then post-execute tasks that see every
  result.
* :class:`ContextThreadPoolExecutor` — a thread pool whose workers run with
  the submitter's oslo request context and held entry locks.

How a FeedTask runs
-------------------
The fan-out needs no TaskFlow graph.  Each execution creates its own
:class:`ContextThreadPoolExecutor` with at most ``max_workers`` threads;
each thread takes the next entry from a shared queue and runs that
entry's Subtasks under :func:`entry_transaction`, until the queue is empty
(or, with ``fail_fast``, until an entry has failed).  A thread that
finishes an entry records its outcome and calls ``progress`` under one
lock, so the callback sees one entry at a time.  The pool is shut down
before ``execute()`` returns.  Only the post-execute tasks,
when there are any, run in a TaskFlow engine, with ``wrapper_task_rets``
and ``wrapper_task_outcomes`` injected into its store.  Per-entry cost is
therefore a few tens of microseconds plus the Subtasks' own work, and does
not grow with the size of the feed.
"""

import abc
import concurrent.futures
import functools
import inspect
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from oslo_context import context as oslo_context
from oslo_log import log as logging
from taskflow import engines as tf_engines
from taskflow import exceptions as tf_exc
from taskflow import flow as tf_flow
from taskflow import task as tf_task
from taskflow.patterns import linear_flow as tf_lf
from taskflow.types import failure as tf_failure

from pypvm_tx import backoff, locks, retry
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap

LOG = logging.getLogger(__name__)

#: Calls :func:`entry_transaction` makes at most by default.
DEFAULT_TRIES = 60
#: The delay between redrives by default.
DEFAULT_DELAY = retry.STEPPED_RANDOM_DELAY

#: Store names the post-execute tasks of a FeedTask may require.
WRAPPER_TASK_RETS = "wrapper_task_rets"
WRAPPER_TASK_OUTCOMES = "wrapper_task_outcomes"


# ==========================================================================
# entry_transaction
# ==========================================================================

class TransactionPolicy:
    """How an entry transaction locks, redrives and bounds itself, as one
    value that can be named, shared and passed as ``policy=``.

    :param tries: the most calls of the transaction's function (>= 1).
    :param wait: the delay between redrives: a delay function of
        :mod:`pypvm_tx.retry` (``STEPPED_RANDOM_DELAY``, ``NO_DELAY``,
        ``gen_random_delay(...)``) or any ``f(try, tries, wrapper, *args,
        **kwargs)`` that sleeps itself, as the peer's do.
    :param deadline: seconds bounding the whole transaction (lock wait,
        every REST call and every wait included), or None.
    :param lock_provider: the :class:`~pypvm_tx.locks.LockProvider`, or
        None for the default provider at call time.
    :raises ValueError: ``tries`` or ``deadline`` out of range.
    :raises TypeError: ``wait`` not callable, ``lock_provider`` not a
        provider.

    Presets: :data:`PEER_DEFAULT` (60 tries of ``STEPPED_RANDOM_DELAY``,
    no deadline: the peer's) and :data:`FAST` (5 tries about 10 ms apart,
    30 s deadline: for agents that would rather fail fast and retry the
    whole job than hold a lock for minutes).
    """

    __slots__ = ("tries", "wait", "deadline", "lock_provider")

    def __init__(self, tries: int = 60, wait: Optional[Callable] = None,
                 deadline: Optional[float] = None,
                 lock_provider: Optional[locks.LockProvider] = None, *,
                 what: str = "TransactionPolicy"):
        if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
            raise ValueError(_("%(what)s tries must be an integer of at least "
                               "1; got %(value)r.") % {"what": what,
                                                      "value": tries})
        if wait is None:
            wait = retry.STEPPED_RANDOM_DELAY
        if not callable(wait):
            raise TypeError(_("%(what)s delay_func must be callable as "
                              "delay_func(try, tries, wrapper, *args, "
                              "**kwargs), or None; got %(value)r.") % {
                "what": what, "value": wait})
        if deadline is not None and (
                isinstance(deadline, bool)
                or not isinstance(deadline, (int, float)) or deadline <= 0):
            raise ValueError(_("%(what)s deadline must be a positive number "
                               "of seconds, or None for no bound; got "
                               "%(value)r.") % {"what": what,
                                                "value": deadline})
        self.tries = tries
        self.wait = wait
        self.deadline = deadline
        self.lock_provider = locks.check_provider(lock_provider, what)

    @property
    def delay_func(self) -> Callable:
        """The peer's name for :attr:`wait`."""
        return self.wait

    def replace(self, *, tries=None, wait=None, deadline=None,
                lock_provider=None, what="TransactionPolicy"
                ) -> "TransactionPolicy":
        """A copy with the options given (not None) changed."""
        if (tries is None and wait is None and deadline is None
                and lock_provider is None):
            return self
        return TransactionPolicy(
            self.tries if tries is None else tries,
            self.wait if wait is None else wait,
            self.deadline if deadline is None else deadline,
            self.lock_provider if lock_provider is None else lock_provider,
            what=what)

    def __repr__(self):
        return "<TransactionPolicy tries=%d wait=%r deadline=%r>" % (
            self.tries, self.wait, self.deadline)


#: The peer's policy: 60 tries, ``STEPPED_RANDOM_DELAY``, no deadline (it
#: can wait over fifteen minutes in all while holding the lock).
PEER_DEFAULT = TransactionPolicy(DEFAULT_TRIES, DEFAULT_DELAY)

#: Fail fast, in the spirit of client-go's ``DefaultRetry``: five tries
#: about 10 ms apart (jittered), and a 30 s deadline on the whole.
FAST = TransactionPolicy(5, retry.gen_random_delay(0.009, 0.011),
                         deadline=30)


def _policy(what, policy=None, tries=None, delay_func=None, deadline=None,
            lock_provider=None) -> TransactionPolicy:
    """``policy`` (default :data:`PEER_DEFAULT`) with the keyword options
    given beside it applied."""
    if policy is None:
        policy = PEER_DEFAULT
    elif not isinstance(policy, TransactionPolicy):
        raise TypeError(_("%(what)s policy must be a TransactionPolicy; got "
                          "%(value)r.") % {"what": what, "value": policy})
    return policy.replace(tries=tries, wait=delay_func, deadline=deadline,
                          lock_provider=lock_provider, what=what)


def _lock_uuid(first) -> str:
    """The UUID to lock on for a transaction's first argument."""
    try:
        uuid = first.uuid
    except AttributeError:
        raise TypeError(_("The first argument of an entry transaction must be "
                          "an EntryWrapper or an EntryWrapperGetter; got "
                          "%s.") % type(first).__name__) from None
    if not uuid:
        raise ValueError(_("The first argument of an entry transaction (%r) "
                           "has no UUID to lock on; an EntryWrapper read from "
                           "the server or an EntryWrapperGetter for a UUID is "
                           "needed.") % (first,))
    return uuid


def _is_etag_mismatch(exc) -> bool:
    response = getattr(exc, "response", None)
    return getattr(response, "status", None) == c.HTTP_PRECONDITION_FAILED


def _transact(policy: TransactionPolicy, func: Callable, first, args, kwargs,
              outcome: Optional["EntryOutcome"] = None,
              uuid: Optional[str] = None):
    """Run ``func(wrapper, *args, **kwargs)`` as one entry transaction.

    Lock, resolve a getter, call; on 412 delay, refresh and call again.
    ``outcome.retries`` (when given) counts the redrives.  With a deadline
    (the policy's, or one this thread is already bound by) the whole of it
    runs as :func:`_transact_bounded`.
    """
    if uuid is None:
        uuid = _lock_uuid(first)
    if policy.deadline is not None or backoff.current_deadline() is not None:
        return _transact_bounded(policy, func, first, args, kwargs, outcome,
                                 uuid)
    with locks.hold(uuid, provider=policy.lock_provider):
        if isinstance(first, ewrap.EntryWrapperGetter):
            first = first.get()
        return _redrive(policy, func, first, args, kwargs, None, outcome)


class _Bound:
    """The deadline of one transaction, and the tries made within it.

    How a deadline bounds the whole transaction, simply:

    * the transaction runs inside :func:`backoff.deadline_scope`, so every
      REST call its thread makes (the getter's GET, each refresh, the
      POST, and any call the function makes) gets at most the time left as
      its timeout, and is refused once none is left: the Session does that
      (``backoff.bounded_timeout``), this layer only opens the scope;
    * the lock wait is given the time left;
    * the delay between redrives is a wait of the retry loop when it is
      one of :mod:`pypvm_tx.retry`'s (they say their wait; the loop sleeps
      it through :func:`backoff.sleep`, which ends at the deadline); any
      other delay function may call ``time.sleep`` itself, so it runs in a
      helper thread that this one waits for at most the time left; if it
      is still sleeping then, it is left to finish on its own (its return
      value is never used) and the transaction ends;
    * whatever then runs out of time (a lock wait, a REST call cut or
      refused, a transport timeout once the deadline has passed, a delay,
      no time for a redrive, or a function that returned too late)
      ends as one :class:`~pypvm_tx.exceptions.DeadlineExceeded` naming the
      UUID, the tries made and the deadline, chained to its cause.
    """

    __slots__ = ("uuid", "deadline", "expires_at", "tries")

    def __init__(self, uuid, deadline, expires_at):
        self.uuid = uuid
        self.deadline = deadline
        self.expires_at = expires_at
        self.tries = 0

    def left(self) -> float:
        return self.expires_at - time.monotonic()

    def passed(self) -> bool:
        return time.monotonic() >= self.expires_at

    def exceeded(self, late=False) -> pvmex.DeadlineExceeded:
        """The error ending this transaction (``late``: the function
        returned, after the deadline)."""
        LOG.warning(_("Entry transaction on %(uuid)s reached its deadline of "
                      "%(deadline)s s after %(tries)d tries; giving up."),
                    {"uuid": self.uuid, "deadline": self.deadline,
                     "tries": self.tries})
        msg = None
        if late:
            msg = _("Entry transaction on %(uuid)s finished after its "
                    "deadline of %(deadline)s s, in try %(tries)s; what it "
                    "changed may have been applied.") % {
                "uuid": self.uuid, "deadline": self.deadline,
                "tries": self.tries}
        return pvmex.DeadlineExceeded(msg, uuid=self.uuid, tries=self.tries,
                                      deadline=self.deadline)

    def ran_out(self, exc) -> bool:
        """Whether the timeout ``exc`` was caused by this deadline.

        A DeadlineExceeded naming an entry comes from a nested transaction
        and is passed on as it is.
        """
        if isinstance(exc, pvmex.DeadlineExceeded):
            return exc.uuid is None
        return self.passed()

    def delay(self, delay_func, args, kwargs) -> bool:
        """Run a delay function that sleeps itself within the time left;
        False if it overran."""
        done = threading.Event()
        raised = []
        expires_at = self.expires_at

        def run():
            try:
                with backoff.deadline_scope(expires_at):
                    delay_func(*args, **kwargs)
            except BaseException as exc:  # handed to the transaction
                raised.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, daemon=True,
                         name="pypvm_tx-delay-%s" % self.uuid).start()
        if not done.wait(max(self.left(), 0)):
            LOG.warning(_("The delay function %(func)r of the transaction on "
                          "%(uuid)s was still sleeping at its deadline; not "
                          "waiting for it."), {"func": delay_func,
                                               "uuid": self.uuid})
            return False
        if raised:
            raise raised[0]
        return True


def _transact_bounded(policy, func, first, args, kwargs, outcome, uuid):
    """:func:`_transact` bounded by a deadline, as :class:`_Bound` says."""
    now = time.monotonic()
    own = None if policy.deadline is None else now + policy.deadline
    with backoff.deadline_scope(own):
        expires_at = backoff.current_deadline()  # the earliest wins
        deadline = policy.deadline
        if deadline is None:
            deadline = round(expires_at - now, 3)
        bound = _Bound(uuid, deadline, expires_at)
        if bound.passed():
            raise bound.exceeded()
        lock_timeout = bound.left()
        try:
            with locks.hold(uuid, provider=policy.lock_provider,
                            timeout=lock_timeout):
                if isinstance(first, ewrap.EntryWrapperGetter):
                    first = first.get()
                result = _redrive(policy, func, first, args, kwargs, bound,
                                  outcome)
        except pvmex.LockTimeout as exc:
            if exc.timeout != lock_timeout and not bound.passed():
                raise
            raise bound.exceeded() from exc
        except pvmex.TimeoutError as exc:
            if not bound.ran_out(exc):
                raise
            raise bound.exceeded() from exc
        if bound.passed():
            raise bound.exceeded(late=True)
        return result


def _redrive(policy, func, wrapper, args, kwargs, bound, outcome):
    """Call ``func`` until it does not fail with 412, within the policy
    (and the :class:`_Bound`, when not None), on the one retry loop."""
    run = _Redrive(policy, func, bound, outcome)
    return run(run.call, wrapper, *args, **kwargs)


_RETRY_ON_MISMATCH = backoff.retry_if_exception(_is_etag_mismatch)


class _Redrive(backoff.Retrying):
    """One transaction's redrive loop, its policies as methods (T1.4,
    T1.7): up to ``tries`` calls, the policy's delay between them, a fresh
    wrapper for each, and no redrive past the deadline.  One object per
    transaction: every FeedTask entry makes one."""

    __slots__ = ("policy", "func", "bound", "outcome")
    retry = _RETRY_ON_MISMATCH
    _checks_results = False

    def __init__(self, policy, func, bound, outcome):
        self.policy = policy
        self.func = func
        self.bound = bound
        self.outcome = outcome

    def call(self, wrapper, *args, **kwargs):
        if self.bound is not None:
            self.bound.tries += 1
        return self.func(wrapper, *args, **kwargs)

    def stop(self, state) -> bool:
        return state.attempt >= self.policy.tries or (
            self.bound is not None and self.bound.passed())

    def wait(self, state) -> float:
        """The delay function's wait; one that sleeps itself is run here
        (in a helper thread under a deadline: see :class:`_Bound`)."""
        delay_func = self.policy.delay_func
        if isinstance(delay_func, retry.DelayFunc):
            return delay_func.seconds(state.attempt, self.policy.tries)
        delay_args = (state.attempt, self.policy.tries) + tuple(state.args)
        if self.bound is None:
            delay_func(*delay_args, **state.kwargs)
        elif not self.bound.delay(delay_func, delay_args, state.kwargs):
            raise self.bound.exceeded() from state.exception
        return 0.0

    def before_sleep(self, state, seconds) -> None:
        LOG.warning(_("Etag mismatch on %(uuid)s in try %(try)d of %(tries)d; "
                      "refreshing it and trying again."),
                    {"uuid": state.args[0].uuid, "try": state.attempt,
                     "tries": self.policy.tries})

    def before_next(self, state) -> None:
        """A fresh wrapper for the next call."""
        if self.bound is not None and self.bound.passed():
            raise self.bound.exceeded() from state.exception
        wrapper = state.args[0].refresh(use_etag=False)
        state.args = (wrapper,) + tuple(state.args[1:])
        if self.outcome is not None:
            self.outcome.retries += 1

    def give_up(self, state) -> None:
        if state.attempt < self.policy.tries:  # the deadline stopped it
            raise self.bound.exceeded() from state.exception
        LOG.warning(_("Etag mismatch on %(uuid)s in try %(try)d of "
                      "%(tries)d; no tries left."),
                    {"uuid": state.args[0].uuid, "try": state.attempt,
                     "tries": self.policy.tries})


def _decorate(func: Callable, policy: TransactionPolicy) -> Callable:
    @functools.wraps(func)
    def transaction(wrapper_or_getter, *args, **kwargs):
        return _transact(policy, func, wrapper_or_getter, args, kwargs)

    return transaction


def entry_transaction(func: Optional[Callable] = None, *,
                      policy: Optional[TransactionPolicy] = None,
                      tries: Optional[int] = None,
                      delay_func: Optional[Callable] = None,
                      deadline: Optional[float] = None,
                      lock_provider: Optional[locks.LockProvider] = None):
    """Make a function an optimistic transaction on one PowerVM object.

    The decorated function's first argument is an ``EntryWrapper`` or an
    ``EntryWrapperGetter``; the function itself always receives an
    ``EntryWrapper``.  A call:

    1. takes the lock on the object's UUID, unless this thread already
       holds it (re-entrant; workers of :class:`ContextThreadPoolExecutor`
       inherit their submitter's locks);
    2. resolves a getter with ``.get()``;
    3. calls the function; if it raises ``HttpError`` 412, waits
       ``delay_func``, refreshes the wrapper with ``refresh(use_etag=False)``
       and calls it again with the same other arguments, up to ``tries``
       calls in all;
    4. releases the lock on every path and returns the function's value.

    Use it bare (``@entry_transaction``: 60 tries, ``STEPPED_RANDOM_DELAY``,
    the default lock provider) or with options::

        @entry_transaction(tries=5, delay_func=retry.NO_DELAY, deadline=30)
        def rename(lpar, name):
            lpar.name = name
            return lpar.update()

    :param policy: a :class:`TransactionPolicy` (default
        :data:`PEER_DEFAULT`); the options below, when given, override its
        fields.
    :param tries: the most calls (default 60).
    :param delay_func: ``delay_func(try, tries, wrapper, *args, **kwargs)``
        before each redrive (default ``retry.STEPPED_RANDOM_DELAY``).
    :param deadline: seconds bounding the whole transaction: the wait for
        the lock, the getter's GET, every call of the function, every REST
        call made in it (the Session gives each at most the time left as
        its timeout), each delay whatever the delay function does, each
        refresh and the POST.  Past it the transaction raises
        :class:`~pypvm_tx.exceptions.DeadlineExceeded` (a built-in
        ``TimeoutError`` too) naming the UUID, the tries made and the
        deadline, chained to what ran out; also when the function returned
        after the deadline (what it changed may then have been applied:
        re-read the object before acting on it).  A delay function of :mod:`pypvm_tx.retry` sleeps in this
        thread and wakes at the deadline; any other runs in a helper thread
        that is not waited for past the deadline.  Tries running out before
        the deadline still end with the last 412.
    :param lock_provider: the :class:`~pypvm_tx.locks.LockProvider` to use
        (default: :func:`~pypvm_tx.locks.get_default_provider` at call time).
    :raises ValueError: ``tries`` or ``deadline`` is out of range.
    :raises DeadlineExceeded: the deadline was reached.
    :raises TypeError: ``delay_func`` is not callable, ``lock_provider`` is
        not a provider, or the decorator is applied to a non-callable.
    """
    if func is not None and not callable(func):
        raise TypeError(_("entry_transaction decorates a function; got %r. "
                          "Use @entry_transaction or @entry_transaction("
                          "policy=..., tries=..., delay_func=..., "
                          "deadline=..., lock_provider=...).") % (func,))
    chosen = _policy("entry_transaction", policy, tries, delay_func,
                     deadline, lock_provider)
    if func is not None:
        return _decorate(func, chosen)
    return functools.partial(_decorate, policy=chosen)


# ==========================================================================
# Subtasks
# ==========================================================================

def _accepts_provided(func) -> bool:
    """Whether ``func`` declares a ``provided`` parameter or ``**kwargs``."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    for param in params:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return True
        if param.name == "provided" and param.kind in (
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                inspect.Parameter.KEYWORD_ONLY):
            return True
    return False


def _check_provides(provides, what):
    if provides is not None and (not isinstance(provides, str)
                                 or not provides):
        raise ValueError(_("%(what)s provides must be a non-empty string "
                           "naming its return value, or None; got "
                           "%(value)r.") % {"what": what, "value": provides})


class Subtask(abc.ABC):
    """One modification of a wrapper, run inside a :class:`WrapperTask`.

    Subclasses override :meth:`execute`.  The Subtask object only holds the
    arguments; it keeps no state from a run, so one object can be shared
    by many WrapperTasks running in parallel (as :class:`FeedTask` does).

    :param save_args: positional arguments passed to ``execute`` after the
        wrapper.
    :param provides: a name under which ``execute``'s return value is kept
        and shown to later Subtasks of the same WrapperTask (``provided``)
        and in the WrapperTask's results.
    :param flag_update: whether a truthy return asks for a POST (default
        True); False to only provide data to later Subtasks.
    :param save_kwargs: keyword arguments passed to ``execute``.
    :raises ValueError: ``provides`` is not a non-empty string, or
        ``provided`` is among ``save_kwargs`` (it is reserved).
    """

    def __init__(self, *save_args, provides: Optional[str] = None,
                 flag_update: bool = True, **save_kwargs):
        _check_provides(provides, type(self).__name__)
        if "provided" in save_kwargs:
            raise ValueError(_("%s: 'provided' is reserved for the values of "
                               "earlier Subtasks, which WrapperTask passes "
                               "itself; give the argument another name.")
                             % type(self).__name__)
        self.provides = provides
        self.flag_update = flag_update
        self.save_args = tuple(save_args)
        self.save_kwargs = save_kwargs

    @abc.abstractmethod
    def execute(self, wrapper, *args, **kwargs):
        """Modify ``wrapper``; return a value whose truth says it changed.

        Called as ``execute(wrapper, *save_args, **save_kwargs)``, plus
        ``provided=`` (the dict of earlier Subtasks' provided values) when
        this method declares a ``provided`` parameter or ``**kwargs``.
        Never call ``wrapper.update()`` or ``refresh()`` here: the
        WrapperTask does that.
        """

    def _wants_provided(self) -> bool:
        wants = self.__dict__.get("_pvm_wants_provided")
        if wants is None:
            wants = _accepts_provided(self.execute)
            self.__dict__["_pvm_wants_provided"] = wants
        return wants

    def __repr__(self):
        return "<%s provides=%r>" % (type(self).__name__, self.provides)


def _call_subtask(subtask: Subtask, wrapper, provided: dict):
    """Run one Subtask; its stored arguments are passed, never modified."""
    if subtask._wants_provided():
        return subtask.execute(wrapper, *subtask.save_args,
                               provided=provided, **subtask.save_kwargs)
    return subtask.execute(wrapper, *subtask.save_args,
                           **subtask.save_kwargs)


def _check_logspec(logspec) -> Optional[tuple]:
    """``logspec`` as a tuple, or None when empty.

    :raises ValueError: non-empty, but not a sequence of at least a
        callable and a format string.
    """
    if logspec is None:
        return None
    try:
        items = tuple(logspec)
    except TypeError:
        items = None
    if items == ():
        return None
    if (items is None or isinstance(logspec, (str, bytes)) or len(items) < 2
            or not callable(items[0])):
        raise ValueError(_(
            "logspec must be a sequence of a callable, a format string and "
            "zero or more arguments, e.g. (LOG.info, 'Doing %%s', name), or "
            "empty/None for no logging; got %r.") % (logspec,))
    return items


class FunctorSubtask(Subtask):
    """A :class:`Subtask` around a plain callable.

    ``func(wrapper, *args, **kwargs)`` does the work; it receives
    ``provided=`` under the rule of :meth:`Subtask.execute`.  ``func`` is
    positional-only, so a keyword argument named ``func`` is passed on to
    it like any other.

    :param logspec: None, empty, or a sequence ``(log_callable, format,
        *format_args)``; ``log_callable(format, *format_args)`` is called
        just before ``func``.  It is never passed to ``func``.
    :raises TypeError: ``func`` is not callable.
    :raises ValueError: ``logspec`` is non-empty but has fewer than two items
        or does not start with a callable.
    """

    def __init__(self, func: Callable, /, *save_args,
                 provides: Optional[str] = None, flag_update: bool = True,
                 logspec: Optional[Sequence] = None, **save_kwargs):
        if not callable(func):
            raise TypeError(_("FunctorSubtask needs a callable taking the "
                              "wrapper first; got %r.") % (func,))
        logspec = _check_logspec(logspec)
        super().__init__(*save_args, provides=provides,
                         flag_update=flag_update, **save_kwargs)
        self._func = func
        self._logspec = logspec
        self._func_wants_provided = _accepts_provided(func)

    def execute(self, wrapper, *args, **kwargs):
        """Log per ``logspec``, then call the wrapped callable."""
        if not self._func_wants_provided:
            kwargs.pop("provided", None)
        if self._logspec is not None:
            self._logspec[0](*self._logspec[1:])
        return self._func(wrapper, *args, **kwargs)

    def _wants_provided(self) -> bool:
        return self._func_wants_provided

    def __repr__(self):
        return "<FunctorSubtask %s provides=%r>" % (
            getattr(self._func, "__qualname__", self._func), self.provides)


#: The peer's name, for code written against it.
_FunctorSubtask = FunctorSubtask


class _SubtaskRun:
    """One entry's Subtask sequence, as the function of a transaction.

    Called once per attempt with the (fresh) wrapper: starts a new
    ``provided`` dict, runs the Subtasks in order and POSTs once if any
    flagged a change.

    A POST whose reply was lost (a ``ConnectionError`` or ``TimeoutError``
    with ``request_sent``) may have been applied.  Still under the lock,
    the entry is re-read: the etag the POST was sent with means it was not
    (the entry failed); a new etag on which the Subtasks flag no change
    means it was (the entry is updated, with the fresh wrapper); anything
    else, a failed re-read included, leaves it ``'unknown'``.
    """

    __slots__ = ("subtasks", "update_timeout", "provided", "updated",
                 "wrapper", "failed_status", "_flagged")

    def __init__(self, subtasks, update_timeout):
        self.subtasks = subtasks
        self.update_timeout = update_timeout
        self.provided = {}
        self.updated = False
        self.wrapper = None
        #: The outcome status should the run raise.
        self.failed_status = EntryOutcome.FAILED

    def __call__(self, wrapper):
        self.wrapper = wrapper
        self.provided = self._run_subtasks(wrapper)
        self.updated = False
        self.failed_status = EntryOutcome.FAILED
        if self._flagged:
            try:
                wrapper = wrapper.update(timeout=self.update_timeout)
            except (pvmex.ConnectionError, pvmex.TimeoutError) as exc:
                if not getattr(exc, "request_sent", False):
                    raise
                fresh = self._landed_copy(wrapper, exc)
                if fresh is None:
                    raise
                wrapper = fresh
            self.wrapper = wrapper
            self.updated = True
        return wrapper

    def _run_subtasks(self, wrapper) -> dict:
        """Run every Subtask on ``wrapper``; set ``_flagged``; return the
        provided values."""
        provided = {}
        flagged = False
        for subtask in self.subtasks:
            ret = _call_subtask(subtask, wrapper, provided)
            if subtask.flag_update and ret:
                flagged = True
            if subtask.provides is not None:
                provided[subtask.provides] = ret
        self._flagged = flagged
        return provided

    def _landed_copy(self, sent, lost):
        """After the reply to POSTing ``sent`` was lost (``lost``): the
        server's copy if it shows the change landed, else None, with
        ``failed_status`` saying which failure it is."""
        uuid = sent.uuid
        self.failed_status = EntryOutcome.UNKNOWN
        try:
            fresh = sent.refresh(use_etag=False)
            if sent.etag is not None and fresh.etag == sent.etag:
                self.failed_status = EntryOutcome.FAILED
                LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                              "(%(exc)s); the entry is unchanged since, so "
                              "the POST was not applied."),
                            {"uuid": uuid, "exc": lost})
                return None
            self._run_subtasks(fresh)
        except Exception:
            LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                          "(%(exc)s) and re-reading the entry failed; whether "
                          "the change was applied is unknown."),
                        {"uuid": uuid, "exc": lost}, exc_info=True)
            return None
        if self._flagged:
            LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                          "(%(exc)s) and the entry has changed since, but not "
                          "as this POST would have changed it; whether it was "
                          "applied is unknown."), {"uuid": uuid, "exc": lost})
            return None
        LOG.info(_("The reply to the POST of %s was lost, but re-reading the "
                   "entry shows the change was applied."), uuid)
        self.failed_status = EntryOutcome.FAILED
        return fresh


# ==========================================================================
# Outcomes
# ==========================================================================

class EntryOutcome:
    """What happened to one entry of a FeedTask execution.

    :ivar uuid: the entry's UUID.
    :ivar status: one of

        * ``'updated'`` (:attr:`UPDATED`): a Subtask flagged a change and
          the POST succeeded (or, after a lost reply, re-reading the entry
          showed the change there);
        * ``'unchanged'`` (:attr:`UNCHANGED`): no Subtask flagged a change,
          so nothing was POSTed;
        * ``'failed'`` (:attr:`FAILED`): the entry raised ``exception``
          and its change, if it had one, was not applied (after a lost
          reply: re-reading the entry showed the etag the POST was sent
          with), unless ``exception`` is a ``DeadlineExceeded`` saying the
          transaction finished late (its POST succeeded after the
          deadline; ``wrapper`` is the one it returned);
        * ``'unknown'`` (:attr:`UNKNOWN`): the POST was sent but its reply
          was lost (``exception``) and re-reading the entry could not tell
          whether the change landed: check the object before redoing it;
        * ``'skipped'`` (:attr:`SKIPPED`): with ``fail_fast``, the entry
          never started because another entry had failed.

        ``'failed'`` and ``'unknown'`` entries count as failures: their
        exceptions are raised (or, with ``continue_on_error``, left out of
        ``wrapper_task_rets``).
    :ivar exception: the exception that failed the entry, else None.
    :ivar retries: etag-mismatch redrives used.
    :ivar wrapper: the final wrapper: the updated one, the unchanged one,
        or for a failure the latest one the entry worked on (None if it
        never got one).
    """

    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"

    __slots__ = ("uuid", "status", "exception", "retries", "wrapper")

    def __init__(self, uuid, status=None, exception=None, retries=0,
                 wrapper=None):
        self.uuid = uuid
        self.status = status
        self.exception = exception
        self.retries = retries
        self.wrapper = wrapper

    def __repr__(self):
        return "<EntryOutcome %s %s retries=%d%s>" % (
            self.uuid, self.status, self.retries,
            "" if self.exception is None else " %r" % (self.exception,))


# ==========================================================================
# WrapperTask
# ==========================================================================

def _check_subtask(subtask, provides_names, owner):
    if not isinstance(subtask, Subtask):
        raise ValueError(_("%(owner)s: add_subtask takes a Subtask (a "
                           "Subtask subclass instance or FunctorSubtask); "
                           "got %(type)s.") % {
            "owner": owner, "type": type(subtask).__name__})
    if subtask.provides is not None and subtask.provides in provides_names:
        raise ValueError(_("%(owner)s already has a Subtask providing "
                           "%(name)r; each provides name must be unique "
                           "within a WrapperTask.") % {
            "owner": owner, "name": subtask.provides})


class WrapperTask(tf_task.Task):
    """A TaskFlow task: run Subtasks on one object, POST once if changed.

    ``execute()`` runs under :func:`entry_transaction` on the wrapper (or
    getter): every Subtask in the order added, then one
    ``wrapper.update(timeout=update_timeout)`` if any Subtask with
    ``flag_update`` returned a truthy value.  On an etag mismatch the whole
    sequence runs again on the refreshed wrapper.  It returns
    ``(wrapper, provided)`` and, in a flow, provides
    ``wrapper_<uuid>`` and ``subtask_rets_<uuid>``.

    :param name: the TaskFlow name.
    :param wrapper_or_getter: an ``EntryWrapper`` or ``EntryWrapperGetter``
        (preferred: the GET then happens under the lock).
    :param subtasks: Subtasks to start with.
    :param allow_empty: with no Subtasks, ``execute()`` logs and returns
        None instead of raising ``WrapperTaskNoSubtasks``.
    :param update_timeout: the POST's timeout (-1: the session's).
    :param policy, lock_provider, tries, delay_func, deadline: the
        transaction's options, as for :func:`entry_transaction` (beyond
        the peer).
    :raises ValueError: ``wrapper_or_getter`` is neither kind, or a Subtask
        is invalid.
    """

    #: The FeedTask this task belongs to (set by it), whose phase decides
    #: whether Subtasks may still be added.
    _owner = None

    def __init__(self, name: str, wrapper_or_getter, subtasks=None,
                 allow_empty: bool = False, update_timeout: int = -1, *,
                 policy: Optional[TransactionPolicy] = None,
                 lock_provider: Optional[locks.LockProvider] = None,
                 tries: Optional[int] = None,
                 delay_func: Optional[Callable] = None,
                 deadline: Optional[float] = None):
        if isinstance(wrapper_or_getter, ewrap.EntryWrapperGetter):
            self._wrapper = None
            self._getter = wrapper_or_getter
        elif isinstance(wrapper_or_getter, ewrap.EntryWrapper):
            self._wrapper = wrapper_or_getter
            self._getter = None
        else:
            raise ValueError(_("WrapperTask %(name)s needs an EntryWrapper or "
                               "an EntryWrapperGetter; got %(type)s.") % {
                "name": name, "type": type(wrapper_or_getter).__name__})
        uuid = wrapper_or_getter.uuid
        super().__init__(name, provides=("wrapper_%s" % uuid,
                                         "subtask_rets_%s" % uuid))
        self._uuid = uuid
        self._policy = _policy("WrapperTask", policy, tries, delay_func,
                               deadline, lock_provider)
        self.allow_empty = allow_empty
        self.update_timeout = update_timeout
        self.provided: Dict[str, Any] = {}
        self.provided_keys = set()
        self._tasks: List[Subtask] = []
        self._lock = threading.Lock()
        self._running = False
        for subtask in subtasks or ():
            self._add(subtask)

    @property
    def uuid(self) -> str:
        """The UUID of the object this task works on."""
        return self._uuid

    def add_subtask(self, task: Subtask) -> "WrapperTask":
        """Add a Subtask, to run after those already added.

        :raises ValueError: not a Subtask, or its ``provides`` name is taken.
        :raises RuntimeError: this task (or the FeedTask that owns it) is
            executing.
        :returns: self, for chaining.
        """
        owner = self._owner
        if owner is not None:
            with owner._lock:
                owner._check_open_for_subtasks()
                return self._add(task)
        return self._add(task)

    def _add(self, task):
        with self._lock:
            if self._running:
                raise RuntimeError(_(
                    "WrapperTask %s is executing; add Subtasks before it "
                    "starts.") % self.name)
            _check_subtask(task, self.provided_keys, "WrapperTask %s"
                           % self.name)
            if task.provides is not None:
                self.provided_keys.add(task.provides)
            self._tasks.append(task)
        return self

    def add_functor_subtask(self, func: Callable, *args,
                            **kwargs) -> "WrapperTask":
        """Add a :class:`FunctorSubtask` built from the arguments."""
        return self.add_subtask(FunctorSubtask(func, *args, **kwargs))

    @property
    def subtasks(self) -> Tuple[Subtask, ...]:
        """The Subtasks, in order, as a tuple."""
        return tuple(self._tasks)

    @property
    def wrapper(self):
        """The wrapper: GETs it through the getter on first use (outside
        any lock); after execution, the latest (possibly updated) one."""
        if self._wrapper is None:
            self._wrapper = self._getter.get()
        return self._wrapper

    def execute(self):
        """Run the Subtasks and POST if needed.

        :returns: ``(wrapper, provided)``, or None when there are no
            Subtasks and ``allow_empty`` is set.
        :raises WrapperTaskNoSubtasks: no Subtasks and not ``allow_empty``.
        """
        with self._lock:
            if self._running:
                raise RuntimeError(_("WrapperTask %s is already executing.")
                                   % self.name)
            subtasks = tuple(self._tasks)
            if subtasks:
                self._running = True
        if not subtasks:
            if self.allow_empty:
                LOG.info(_("WrapperTask %s has no Subtasks; nothing to do."),
                         self.name)
                return None
            raise pvmex.WrapperTaskNoSubtasks(name=self.name)
        run = _SubtaskRun(subtasks, self.update_timeout)
        try:
            self._run(run, None)
        finally:
            self._running = False
        return run.wrapper, run.provided

    def _run(self, run: _SubtaskRun, outcome) -> None:
        """One execution of ``run`` as this entry's transaction."""
        first = self._wrapper if self._wrapper is not None else self._getter
        try:
            _transact(self._policy, run, first, (), {}, outcome=outcome,
                      uuid=self._uuid)
        finally:
            if run.wrapper is not None:
                self._wrapper = run.wrapper
        self.provided = run.provided


# ==========================================================================
# ContextThreadPoolExecutor
# ==========================================================================

class _Carried:
    """A submitted call with the submitter's request context and locks."""

    __slots__ = ("context", "held", "fn", "args", "kwargs")

    def __init__(self, fn, args, kwargs):
        self.context = oslo_context.get_current()
        self.held = locks.held_uuids()
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def __call__(self):
        previous = oslo_context.get_current()
        if self.context is not None:
            self.context.update_store()
        else:
            _clear_context()
        try:
            with locks.inherited(self.held):
                return self.fn(*self.args, **self.kwargs)
        finally:
            if previous is not None:
                previous.update_store()
            else:
                _clear_context()


def _clear_context():
    store = getattr(oslo_context, "_request_store", None)
    if store is not None and hasattr(store, "context"):
        del store.context


class ContextThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose workers run as their submitter.

    Each submitted call runs with the submitting thread's oslo.context
    request context made current, and with the entry locks the submitter
    holds treated as held (so a transaction on one of those UUIDs inside
    the call does not wait for its own submitter).  The submitter must keep
    holding them until the call is done; waiting for the future does that.
    Both are restored in the worker thread afterwards.
    """

    def submit(self, fn, /, *args, **kwargs):
        """Schedule ``fn(*args, **kwargs)`` to run as the calling thread.

        :returns: a ``concurrent.futures.Future``.
        """
        return super().submit(_Carried(fn, args, kwargs))


# ==========================================================================
# FeedTask
# ==========================================================================

_IDLE, _PARALLEL, _POST_EXEC = "idle", "parallel", "post-execute"


def _atom_names(item) -> List[str]:
    """Names of every task in ``item`` (a task, or a flow, recursively)."""
    if isinstance(item, tf_flow.Flow):
        names = []
        for node, _meta in item.iter_nodes():
            names.extend(_atom_names(node))
        return names
    return [item.name]


class _FanOut:
    """The parallel phase of one FeedTask execution.

    Worker threads call :meth:`work`, which takes entries one at a time
    from a shared queue until it is empty.  A failed entry never stops the
    others (so which exception is raised does not depend on thread
    timing), unless ``fail_fast`` asks to take no new entry after the
    first failure; :meth:`skip_the_rest` then gives the entries never
    started a ``'skipped'`` outcome.

    Finished entries are recorded, and ``progress`` is called, under one
    lock: the callback is never called twice at once, and ``done`` grows
    by one with each call, in the order of the calls.
    """

    def __init__(self, units, policy, update_timeout, fail_fast, progress):
        self.units = units
        self.total = len(units)
        self.policy = policy
        self.update_timeout = update_timeout
        self.fail_fast = fail_fast
        self.progress = progress
        self._next = iter(units)
        self._mutex = threading.Lock()
        self._finish_lock = threading.Lock()
        self.stopped = False
        self.done = 0
        self.outcomes: Dict[str, EntryOutcome] = {}
        self.rets: Dict[str, dict] = {}
        self.failures: List[Tuple[str, tf_failure.Failure]] = []

    def work(self):
        """Run entries until none are left or the fan-out is stopped."""
        while True:
            with self._mutex:
                unit = None if self.stopped else next(self._next, None)
            if unit is None:
                return
            outcome, rets = self._run(unit)
            self._finish(outcome, rets)

    def stop(self):
        with self._mutex:
            self.stopped = True

    def skip_the_rest(self):
        """Give every entry that never started a ``'skipped'`` outcome."""
        for uuid, wrapper, _subtasks, _task in self.units:
            if uuid not in self.outcomes:
                self._finish(EntryOutcome(uuid, EntryOutcome.SKIPPED,
                                          wrapper=wrapper), None)

    def _finish(self, outcome, rets):
        """Record a finished entry and report it, one entry at a time."""
        with self._finish_lock:
            self.done += 1
            self.outcomes[outcome.uuid] = outcome
            if rets is not None:
                self.rets[outcome.uuid] = rets
            if self.progress is not None:
                self._report(outcome, self.done)

    def _run(self, unit):
        """Run one entry; return its outcome and its rets (None if failed)."""
        uuid, wrapper, subtasks, task = unit
        outcome = EntryOutcome(uuid, wrapper=wrapper)
        if not subtasks:
            outcome.status = EntryOutcome.UNCHANGED
            return outcome, {"wrapper": wrapper}
        run = _SubtaskRun(subtasks, self.update_timeout)
        try:
            if task is not None:
                task._run(run, outcome)
            else:
                _transact(self.policy, run, wrapper, (), {},
                          outcome=outcome, uuid=uuid)
        except Exception as exc:
            outcome.status = run.failed_status
            outcome.exception = exc
            if run.wrapper is not None:
                outcome.wrapper = run.wrapper
            failure = tf_failure.Failure()
            with self._mutex:
                self.failures.append((uuid, failure))
                if self.fail_fast:
                    self.stopped = True
            return outcome, None
        outcome.wrapper = run.wrapper
        outcome.status = (EntryOutcome.UPDATED if run.updated
                          else EntryOutcome.UNCHANGED)
        rets = dict(run.provided)
        rets["wrapper"] = run.wrapper
        return outcome, rets

    def _report(self, outcome, done):
        try:
            self.progress(outcome, done, self.total)
        except Exception:
            LOG.warning(_("The progress callback failed for entry %s; "
                          "carrying on."), outcome.uuid, exc_info=True)


class FeedTask(tf_task.Task):
    """A TaskFlow task: the same Subtasks on every object of a feed.

    All entries run in parallel (at most ``max_workers`` at a time), each
    as a :class:`WrapperTask`-equivalent transaction; then the post-execute
    tasks run in order and may require ``wrapper_task_rets`` (and
    ``wrapper_task_outcomes``).

    Nothing is fetched until ``wrapper_tasks``, ``get_wrapper()``, ``feed``
    or ``execute()`` needs it; the later the GET, the fewer etag conflicts.

    Every entry runs whatever the others do: a failure never stops the
    fan-out, so which exception ``execute()`` raises does not depend on
    thread timing.

    :param name: the TaskFlow name; each entry's WrapperTask is named
        ``<name>_<uuid>``.
    :param feed_or_getter: a ``FeedGetter`` (preferred) or a non-empty list
        of ``EntryWrapper``.
    :param max_workers: the most entries run at once.
    :param update_timeout: each POST's timeout (-1: the session's).
    :param continue_on_error: return normally after failures (they are in
        :attr:`outcomes`, and left out of ``wrapper_task_rets``) and run
        every post-execute task.
    :param progress: ``progress(outcome, done, total)``, called once per
        entry as it finishes, from the worker thread that ran it (skipped
        entries: from the thread that called ``execute()``), never two
        calls at once: ``done`` is 1, 2, ... ``total`` in the order of the
        calls, so ``progress=print`` prints whole lines.  A slow callback
        holds up the workers as they finish entries; an exception from it
        is logged and ignored.
    :param fail_fast: take no new entry once one has failed; the entries
        never started get status ``'skipped'`` (and a progress call).
        Cannot be combined with ``continue_on_error``.
    :param policy, lock_provider, tries, delay_func, deadline: each entry's
        transaction options, as for :func:`entry_transaction`.
    :raises FeedTaskEmptyFeed: ``feed_or_getter`` is an empty list.
    :raises ValueError: ``feed_or_getter`` is of another kind or the list
        holds something other than EntryWrappers, ``max_workers`` is not
        a positive integer, or both ``fail_fast`` and ``continue_on_error``
        are set.
    :raises TypeError: ``progress`` is not callable.

    :ivar outcomes: after ``execute()``, ``{uuid: EntryOutcome}`` for every
        entry, in feed order.
    """

    def __init__(self, name: str, feed_or_getter, max_workers: int = 10,
                 update_timeout: int = -1, *,
                 continue_on_error: bool = False,
                 progress: Optional[Callable] = None,
                 policy: Optional[TransactionPolicy] = None,
                 lock_provider: Optional[locks.LockProvider] = None,
                 tries: Optional[int] = None,
                 delay_func: Optional[Callable] = None,
                 deadline: Optional[float] = None,
                 fail_fast: bool = False):
        super().__init__(name)
        if fail_fast and continue_on_error:
            raise ValueError(_(
                "FeedTask %s: fail_fast (stop at the first failure) and "
                "continue_on_error (run every entry) contradict each other; "
                "choose one.") % name)
        if isinstance(feed_or_getter, ewrap.FeedGetter):
            self._feed = None
            self._feed_uuids = None
            self._getter = feed_or_getter
        elif isinstance(feed_or_getter, list):
            if not feed_or_getter:
                raise pvmex.FeedTaskEmptyFeed()
            for index, item in enumerate(feed_or_getter):
                if not isinstance(item, ewrap.EntryWrapper):
                    raise ValueError(_(
                        "FeedTask %(name)s: a feed list must hold only "
                        "EntryWrappers; item %(index)d is a %(type)s.") % {
                        "name": name, "index": index,
                        "type": type(item).__name__})
            self._feed = list(feed_or_getter)
            self._feed_uuids = None
            self._getter = None
        else:
            raise ValueError(_("FeedTask %(name)s needs a FeedGetter or a "
                               "non-empty list of EntryWrappers; got "
                               "%(type)s.") % {
                "name": name, "type": type(feed_or_getter).__name__})
        if (isinstance(max_workers, bool) or not isinstance(max_workers, int)
                or max_workers < 1):
            raise ValueError(_("FeedTask %(name)s: max_workers must be an "
                               "integer of at least 1; got %(value)r.") % {
                "name": name, "value": max_workers})
        if progress is not None and not callable(progress):
            raise TypeError(_("FeedTask %(name)s: progress must be callable "
                              "as progress(outcome, done, total), or None; "
                              "got %(value)r.") % {"name": name,
                                                   "value": progress})
        self.max_workers = max_workers
        self.update_timeout = update_timeout
        self.continue_on_error = continue_on_error
        self.fail_fast = fail_fast
        self.progress = progress
        self._policy = _policy("FeedTask", policy, tries, delay_func,
                               deadline, lock_provider)
        self._lock = threading.RLock()
        self._phase = _IDLE
        self._common: List[Subtask] = []
        self._common_provides = set()
        self._tx_by_uuid: Dict[str, WrapperTask] = {}
        self._post_exec: List[Tuple[Any, bool]] = []
        self._post_exec_names = set()
        self.outcomes: Dict[str, EntryOutcome] = {}

    # -- the feed ----------------------------------------------------------

    @property
    def feed(self) -> List:
        """(Fetches and) returns the list of wrappers.

        Rebuilt from the WrapperTasks when any of them now holds a wrapper
        with a different etag.
        """
        if self._feed is None:
            fetched = self._getter.get()
            with self._lock:
                if self._feed is None:
                    if not fetched:
                        raise pvmex.FeedTaskEmptyFeed()
                    self._feed = list(fetched)
                    self._feed_uuids = None
        with self._lock:
            if self._tx_by_uuid:
                current = [tx.wrapper for tx in self._tx_by_uuid.values()]
                if any(now.etag != self._feed[index].etag
                       for index, now in enumerate(current)):
                    self._feed = current
            return self._feed

    def _uuids(self) -> List[str]:
        """The feed's UUIDs in feed order, computed once per feed."""
        feed = self.feed
        with self._lock:
            uuids = self._feed_uuids
            if uuids is None or len(uuids) != len(feed):
                uuids = self._feed_uuids = [wrapper.uuid for wrapper in feed]
            return uuids

    @property
    def wrapper_tasks(self) -> Dict[str, WrapperTask]:
        """(Fetches and) returns ``{uuid: WrapperTask}``, one per entry.

        Subtasks may be added to one entry through it.
        """
        with self._lock:
            if not self._tx_by_uuid:
                for wrapper in self.feed:
                    uuid = wrapper.uuid
                    task = WrapperTask(
                        "%s_%s" % (self.name, uuid), wrapper,
                        subtasks=self._common, allow_empty=True,
                        update_timeout=self.update_timeout,
                        policy=self._policy)
                    task._owner = self
                    self._tx_by_uuid[uuid] = task
            return self._tx_by_uuid

    def get_wrapper(self, uuid: str):
        """(Fetches and) returns the current wrapper of entry ``uuid``.

        :raises KeyError: no entry has that UUID.
        """
        if self._tx_by_uuid:
            task = self._tx_by_uuid.get(uuid)
            if task is not None:
                return task.wrapper
        else:
            for index, known in enumerate(self._uuids()):
                if known == uuid:
                    return self._feed[index]
        raise KeyError(_("FeedTask %(name)s has no entry with UUID %(uuid)r; "
                         "the UUIDs it has are the keys of "
                         "wrapper_tasks.") % {"name": self.name,
                                              "uuid": uuid})

    # -- adding work ---------------------------------------------------------

    def _check_open_for_subtasks(self):
        if self._phase != _IDLE:
            raise RuntimeError(_(
                "FeedTask %(name)s is in its %(phase)s phase; Subtasks can "
                "be added only before it executes (post-execute tasks until "
                "its post-execute phase).") % {"name": self.name,
                                               "phase": self._phase})

    def add_subtask(self, task: Subtask) -> "FeedTask":
        """Add a Subtask to every entry; thread-safe.

        :raises ValueError: not a Subtask, or its ``provides`` name is taken
            in an entry.
        :raises RuntimeError: the FeedTask is executing.
        :returns: self.
        """
        with self._lock:
            self._check_open_for_subtasks()
            _check_subtask(task, self._common_provides,
                           "FeedTask %s" % self.name)
            for tx in self._tx_by_uuid.values():
                _check_subtask(task, tx.provided_keys,
                               "WrapperTask %s" % tx.name)
            for tx in self._tx_by_uuid.values():
                tx._add(task)
            if task.provides is not None:
                self._common_provides.add(task.provides)
            self._common.append(task)
        return self

    def add_functor_subtask(self, func: Callable, *args,
                            **kwargs) -> "FeedTask":
        """Add a :class:`FunctorSubtask` to every entry."""
        return self.add_subtask(FunctorSubtask(func, *args, **kwargs))

    def add_post_execute(self, *tasks, run_on_failure: bool = False) -> None:
        """Add TaskFlow tasks or flows to run, in order, after the entries.

        They may require ``wrapper_task_rets`` (``{uuid: {'wrapper': w,
        <provides>: value}}``) and ``wrapper_task_outcomes``.  With
        ``run_on_failure`` they also run after entries failed, before the
        exception is raised.  Thread-safe, also from a Subtask of
        this running FeedTask, until the post-execute phase starts.

        :raises TypeError: an item is not a TaskFlow task or flow.
        :raises ValueError: a task name is already used by a post-execute
            task of this FeedTask.
        :raises RuntimeError: the post-execute phase has started.
        """
        names = []
        for item in tasks:
            if not isinstance(item, (tf_task.Task, tf_flow.Flow)):
                raise TypeError(_("FeedTask %(name)s: add_post_execute takes "
                                  "TaskFlow tasks or flows; got %(type)s.") % {
                    "name": self.name, "type": type(item).__name__})
            names.extend(_atom_names(item))
        with self._lock:
            if self._phase == _POST_EXEC:
                raise RuntimeError(_(
                    "FeedTask %s is running its post-execute tasks; add them "
                    "before that phase starts.") % self.name)
            seen = set(self._post_exec_names)
            for task_name in names:
                if task_name in seen:
                    raise ValueError(_(
                        "FeedTask %(name)s already has a post-execute task "
                        "named %(task)r; post-execute task names must be "
                        "unique.") % {"name": self.name, "task": task_name})
                seen.add(task_name)
            self._post_exec_names = seen
            self._post_exec.extend((item, run_on_failure) for item in tasks)

    # -- execution -------------------------------------------------------------

    def execute(self):
        """Run every entry in parallel, then the post-execute tasks.

        :returns: ``{'wrapper_task_rets': {uuid: {'wrapper': w,
            <provides>: value}}, <post-execute provides>: value}``, or None
            when there is nothing to do (no GET is made then).
        :raises: the failed entry's exception when one entry failed (or
            was left ``'unknown'``), ``MultipleExceptionsInFeedTask`` when
            several did, in feed order (both carry ``outcomes``); not
            raised with ``continue_on_error``.
        """
        with self._lock:
            if self._phase != _IDLE:
                raise RuntimeError(_("FeedTask %s is already executing.")
                                   % self.name)
            has_subtasks = bool(self._common) or any(
                tx._tasks for tx in self._tx_by_uuid.values())
            if not has_subtasks and not self._post_exec:
                LOG.info(_("FeedTask %s has no Subtasks and no post-execute "
                           "tasks; nothing to do."), self.name)
                return None
            self._phase = _PARALLEL
        try:
            return self._execute(has_subtasks)
        finally:
            with self._lock:
                self._phase = _IDLE

    def _execute(self, has_subtasks):
        self.outcomes = {}
        fanout = None
        if has_subtasks:
            fanout = self._fan_out()
            self.outcomes = fanout.outcomes
        rets = {WRAPPER_TASK_RETS: fanout.rets if fanout else {}}
        with self._lock:
            self._phase = _POST_EXEC
            post_exec = list(self._post_exec)
        if fanout is not None and fanout.failures:
            return self._after_failures(fanout, rets, post_exec)
        return self._run_post_exec(rets, [item for item, _f in post_exec])

    def _units(self):
        """One ``(uuid, wrapper, subtasks, task)`` per entry, in feed order."""
        uuids = self._uuids()
        with self._lock:
            if self._tx_by_uuid:
                return [(uuid, tx.wrapper, tuple(tx._tasks), tx)
                        for uuid, tx in self._tx_by_uuid.items()]
            subtasks = tuple(self._common)
            feed = self._feed
            return [(uuid, feed[index], subtasks, None)
                    for index, uuid in enumerate(uuids)]

    def _fan_out(self) -> _FanOut:
        units = self._units()
        fanout = _FanOut(units, self._policy, self.update_timeout,
                         self.fail_fast, self.progress)
        workers = min(self.max_workers, len(units))
        pool = ContextThreadPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(fanout.work) for _ in range(workers)]
            for future in futures:
                future.result()
        except BaseException:
            fanout.stop()
            raise
        finally:
            pool.shutdown(wait=True)
        if len(fanout.outcomes) < len(units):
            fanout.skip_the_rest()
        # Feed order, and the feed itself shows the final wrappers.
        order = {unit[0]: index for index, unit in enumerate(units)}
        fanout.outcomes = {unit[0]: fanout.outcomes[unit[0]]
                           for unit in units}
        fanout.rets = {unit[0]: fanout.rets[unit[0]]
                       for unit in units if unit[0] in fanout.rets}
        fanout.failures.sort(key=lambda failed: order[failed[0]])
        self._keep_final_wrappers(units, fanout.outcomes)
        return fanout

    def _keep_final_wrappers(self, units, outcomes):
        """Make ``feed`` show each entry's final wrapper."""
        with self._lock:
            if self._tx_by_uuid or len(units) != len(self._feed):
                return
            final = []
            for uuid, wrapper, _subtasks, _task in units:
                outcome = outcomes.get(uuid)
                final.append(outcome.wrapper if outcome is not None
                             and outcome.wrapper is not None else wrapper)
            self._feed = final

    def _after_failures(self, fanout, rets, post_exec):
        if self.continue_on_error:
            for uuid, failure in fanout.failures:
                LOG.warning(_("FeedTask %(name)s: entry %(uuid)s failed: "
                              "%(exc)s"), {"name": self.name, "uuid": uuid,
                                           "exc": failure.exception_str})
            return self._run_post_exec(rets, [item for item, _f in post_exec])
        on_failure = [item for item, run in post_exec if run]
        if on_failure:
            try:
                self._run_post_exec(rets, on_failure)
            except Exception:
                LOG.exception(_("FeedTask %s: a post-execute task run after "
                                "entry failures failed itself."), self.name)
        raise self._failure_exception(fanout)

    def _failure_exception(self, fanout) -> BaseException:
        outcomes = self.outcomes
        if len(fanout.failures) == 1:
            exc = fanout.failures[0][1].exception
            try:
                exc.outcomes = outcomes
            except (AttributeError, TypeError):
                LOG.debug("Cannot attach outcomes to %r", exc)
            return exc
        LOG.error(_("FeedTask %(name)s: %(count)d entries failed; each is "
                    "logged below."), {"name": self.name,
                                       "count": len(fanout.failures)})
        for uuid, failure in fanout.failures:
            LOG.error(_("FeedTask %(name)s: entry %(uuid)s failed:\n%(tb)s"),
                      {"name": self.name, "uuid": uuid,
                       "tb": failure.pformat(traceback=True)})
        wrapped = tf_exc.WrappedFailure([f for _u, f in fanout.failures])
        return pvmex.MultipleExceptionsInFeedTask(self.name, wrapped,
                                                  outcomes=outcomes)

    def _run_post_exec(self, rets, items):
        if not items:
            return rets
        flow = tf_lf.Flow("%s_post_execs" % self.name)
        flow.add(*items)
        store = dict(rets)
        store[WRAPPER_TASK_OUTCOMES] = self.outcomes
        engine = tf_engines.load(flow, store=store)
        try:
            engine.run()
        except tf_exc.WrappedFailure as wrapped:
            LOG.error(_("FeedTask %s: several post-execute tasks failed; "
                        "each is logged below."), self.name)
            for failure in wrapped:
                LOG.error(failure.pformat(traceback=True))
            raise pvmex.MultipleExceptionsInFeedTask(
                self.name, wrapped, outcomes=self.outcomes) from None
        results = engine.storage.fetch_all()
        results.pop(WRAPPER_TASK_OUTCOMES, None)
        return results
