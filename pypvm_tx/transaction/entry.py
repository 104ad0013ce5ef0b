"""``entry_transaction``: one optimistic transaction on one object.

Lock the UUID (re-entrantly), resolve a getter after the lock is taken,
call; on an etag mismatch refresh and call again, on the one retry loop
of :mod:`pypvm_tx.backoff`, within the policy's tries and deadline."""

import functools
import threading
import time
from typing import Callable, Optional

from oslo_log import log as logging

from pypvm_tx import adapter, backoff, locks, retry
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction.outcome import EntryOutcome
from pypvm_tx.transaction.policy import TransactionPolicy, _policy
from pypvm_tx.transaction import protocols

LOG = logging.getLogger(__name__)


def _lock_uuid(first) -> str:
    """The UUID to lock on for a transaction's first argument."""
    if not (protocols.is_wrapper(first) or protocols.is_getter(first)):
        raise TypeError(_("The first argument of an entry transaction must be "
                          "an EntryWrapper or an EntryWrapperGetter (an "
                          "object with uuid, etag, update() and refresh(), "
                          "or with uuid and get()); got %s.")
                        % protocols.type_name(first))
    uuid = first.uuid
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
    with locks.hold(uuid, provider=policy.lock_provider) as held:
        if protocols.is_getter(first):
            first = first.get()
        return _redrive(policy, func, first, args, kwargs, None, outcome,
                        held)


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
                            timeout=lock_timeout) as held:
                if protocols.is_getter(first):
                    first = first.get()
                result = _redrive(policy, func, first, args, kwargs, bound,
                                  outcome, held)
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


def _redrive(policy, func, wrapper, args, kwargs, bound, outcome, held):
    """Call ``func`` until it does not fail with 412, within the policy
    (and the :class:`_Bound`, when not None), on the one retry loop.

    When the lock ``held`` can expire (a distributed lock), every write
    the call sends is preceded by a check that the lock is still held;
    a lost lock stops the write, is taken again and the call redriven
    from a fresh read.
    """
    run = _Redrive(policy, func, bound, outcome, held)
    if not held.can_be_lost:
        return run(run.call, wrapper, *args, **kwargs)
    with adapter.checked_writes(held.verify):
        return run(run.call, wrapper, *args, **kwargs)


class _Redrive(backoff.Retrying):
    """One transaction's redrive loop, its policies as methods: up to
    ``tries`` calls, the policy's delay between them, a
    fresh wrapper for each, and no redrive past the deadline.  A call
    is redriven when it fails with 412, or when the lock was found lost
    before a write (then at once, once the lock is taken again).  One
    object per transaction: every FeedTask entry makes one."""

    __slots__ = ("policy", "func", "bound", "outcome", "held")
    _checks_results = False

    def __init__(self, policy, func, bound, outcome, held):
        self.policy = policy
        self.func = func
        self.bound = bound
        self.outcome = outcome
        self.held = held

    def call(self, wrapper, *args, **kwargs):
        if self.bound is not None:
            self.bound.tries += 1
        return self.func(wrapper, *args, **kwargs)

    def _lock_lost(self, exc) -> bool:
        """Whether ``exc`` says this transaction's own lock was lost."""
        return isinstance(exc, pvmex.LockLost) and exc.uuid == self.held.key

    def retry(self, state) -> bool:
        exc = state.exception
        return exc is not None and (_is_etag_mismatch(exc)
                                    or self._lock_lost(exc))

    def stop(self, state) -> bool:
        return state.attempt >= self.policy.tries or (
            self.bound is not None and self.bound.passed())

    def wait(self, state) -> float:
        """The delay function's wait; one that sleeps itself is run here
        (in a helper thread under a deadline: see :class:`_Bound`).  No
        wait after a lost lock: taking it again is the wait."""
        if self._lock_lost(state.exception):
            return 0.0
        delay_func = self.policy.delay_func
        if isinstance(delay_func, retry.DelayFunc):
            return delay_func.seconds(state.attempt, self.policy.tries)
        delay_args = (state.attempt, self.policy.tries) + tuple(state.args)
        if self.bound is None:
            delay_func(*delay_args, **state.kwargs)
        elif not self.bound.delay(delay_func, delay_args, state.kwargs):
            raise self.bound.exceeded() from state.exception
        return 0.0

    def _why(self, state) -> str:
        if self._lock_lost(state.exception):
            return _("Lock lost")
        return _("Etag mismatch")

    def before_sleep(self, state, seconds) -> None:
        LOG.warning(_("%(why)s on %(uuid)s in try %(try)d of %(tries)d; "
                      "refreshing it and trying again."),
                    {"why": self._why(state), "uuid": self.held.key,
                     "try": state.attempt, "tries": self.policy.tries})

    def before_next(self, state) -> None:
        """The lock again if it was lost, and a fresh wrapper."""
        if self.bound is not None and self.bound.passed():
            raise self.bound.exceeded() from state.exception
        if self._lock_lost(state.exception):
            self.held.retake()
        wrapper = state.args[0].refresh(use_etag=False)
        state.args = (wrapper,) + tuple(state.args[1:])
        if self.outcome is not None:
            self.outcome.retries += 1

    def give_up(self, state) -> None:
        if state.attempt < self.policy.tries:  # the deadline stopped it
            raise self.bound.exceeded() from state.exception
        LOG.warning(_("%(why)s on %(uuid)s in try %(try)d of %(tries)d; "
                      "no tries left."),
                    {"why": self._why(state), "uuid": self.held.key,
                     "try": state.attempt, "tries": self.policy.tries})


def _check_decorated(func: Optional[Callable]) -> None:
    """:raises TypeError: ``func`` is given but is not callable."""
    if func is not None and not callable(func):
        raise TypeError(_("entry_transaction decorates a function; got %r. "
                          "Use @entry_transaction or @entry_transaction("
                          "policy=..., tries=..., delay_func=..., "
                          "deadline=..., lock_provider=...).") % (func,))


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
                      lock_provider: Optional[locks.LockProvider] = None
                      ) -> Callable:
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
    :param deadline: seconds bounding the whole transaction: lock wait,
        GET, every call and REST request, every delay, refresh and POST.
        Past it ``DeadlineExceeded`` is raised, naming the UUID, the tries
        made and the deadline -- also when the function returned late (its
        change may then have been applied: re-read the object).  Tries
        running out before the deadline still end with the last 412.
    :param lock_provider: the :class:`~pypvm_tx.locks.LockProvider` to use
        (default: :func:`~pypvm_tx.locks.get_default_provider` at call time).
    :raises ValueError: ``tries`` or ``deadline`` is out of range.
    :raises DeadlineExceeded: the deadline was reached.
    :raises TypeError: ``delay_func`` is not callable, ``lock_provider`` is
        not a provider, or the decorator is applied to a non-callable.
    """
    _check_decorated(func)
    chosen = _policy("entry_transaction", policy, tries, delay_func,
                     deadline, lock_provider)
    if func is not None:
        return _decorate(func, chosen)
    return functools.partial(_decorate, policy=chosen)
