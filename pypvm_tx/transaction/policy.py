"""TransactionPolicy: how an entry transaction locks, redrives and
bounds itself, as one value, and its presets."""

from typing import Callable, Optional

from pypvm_tx import locks, retry
from pypvm_tx.i18n import _

#: Calls :func:`entry_transaction` makes at most by default.
DEFAULT_TRIES = 60
#: The delay between redrives by default.
DEFAULT_DELAY = retry.STEPPED_RANDOM_DELAY


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

    def replace(self, *, tries: Optional[int] = None,
                wait: Optional[Callable] = None,
                deadline: Optional[float] = None,
                lock_provider: Optional[locks.LockProvider] = None,
                what: str = "TransactionPolicy") -> "TransactionPolicy":
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
