"""What happened to one entry of a FeedTask execution."""

import enum
from typing import Any, Optional, Union


class OutcomeStatus(str, enum.Enum):
    """The status of one entry of a FeedTask execution.  A ``str`` enum:
    each member compares equal to its value (``'updated'`` ...), so code
    that tests ``outcome.status == 'updated'`` keeps working."""

    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


class EntryOutcome:
    """What happened to one entry of a FeedTask execution.

    :ivar uuid: the entry's UUID.
    :ivar status: an :class:`OutcomeStatus`, one of

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

    UPDATED = OutcomeStatus.UPDATED
    UNCHANGED = OutcomeStatus.UNCHANGED
    FAILED = OutcomeStatus.FAILED
    UNKNOWN = OutcomeStatus.UNKNOWN
    SKIPPED = OutcomeStatus.SKIPPED

    __slots__ = ("uuid", "status", "exception", "retries", "wrapper")

    def __init__(self, uuid: str,
                 status: Union[OutcomeStatus, str, None] = None,
                 exception: Optional[BaseException] = None, retries: int = 0,
                 wrapper: Any = None):
        self.uuid = uuid
        self.status = None if status is None else OutcomeStatus(status)
        self.exception = exception
        self.retries = retries
        self.wrapper = wrapper

    def __repr__(self):
        return "<EntryOutcome %s %s retries=%d%s>" % (
            self.uuid, self.status, self.retries,
            "" if self.exception is None else " %r" % (self.exception,))
