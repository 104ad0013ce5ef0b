"""What the transaction layer checks and hands over when a FeedTask is
given a jobboard (its entries then run in worker processes).

The options are checked here, when the FeedTask is built, and each
Subtask when it is added; the distributed layer above does the rest and
is imported only by the functions below, when a FeedTask has a jobboard,
never at module level.
"""

import uuid as uuidlib
from typing import Any, Callable, Optional

from pypvm_tx.i18n import _

#: Entries per job of a distributed FeedTask, by default.
DEFAULT_CHUNK_SIZE = 100
#: Jobs a distributed FeedTask keeps on the board at most, by default.
DEFAULT_MAX_INFLIGHT = 8


def _positive_int(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int)
            and value >= 1)


def check_options(name: str, jobboard: Any, persistence: Any,
                  run_id: Optional[str], chunk_size: Any,
                  max_inflight: Any) -> str:
    """Refuse options a distributed FeedTask cannot use; return its run
    id (a new one when none is given).

    :raises ValueError: no ``persistence``, or ``chunk_size`` or
        ``max_inflight`` is not a positive integer.
    :raises TypeError: ``jobboard`` is neither a URL nor a jobboard.
    """
    if persistence is None:
        raise ValueError(_(
            "FeedTask %s: a jobboard needs persistence shared with the "
            "workers (e.g. a database URL), where they record each entry's "
            "outcome.") % name)
    if not isinstance(jobboard, str) and not hasattr(jobboard, "post"):
        raise TypeError(_(
            "FeedTask %(name)s: jobboard must be a TaskFlow jobboard or its "
            "URL (redis://host:6379/namespace); got %(type)s.") % {
            "name": name, "type": type(jobboard).__name__})
    for option, value in (("chunk_size", chunk_size),
                          ("max_inflight", max_inflight)):
        if not _positive_int(value):
            raise ValueError(_("FeedTask %(name)s: %(option)s must be an "
                               "integer of at least 1; got %(value)r.") % {
                "name": name, "option": option, "value": value})
    return run_id if run_id is not None else str(uuidlib.uuid4())


def check_delay(name: str, delay: Callable) -> None:
    """:raises TypeError: the workers could not import ``delay`` by name."""
    from pypvm_tx.distributed import references
    references.reference(delay, _("FeedTask %s: the delay function") % name)


def check_subtask(subtask: Any) -> None:
    """:raises TypeError: ``subtask`` cannot travel to a worker process."""
    from pypvm_tx.distributed import references
    references.subtask_spec(subtask)


def fan_out(task: Any, run: Any) -> Any:
    """Run ``task``'s entries as chunk jobs on its jobboard (see
    :mod:`pypvm_tx.distributed.poster`); the fan-out with every outcome."""
    from pypvm_tx.distributed import poster
    return poster.fan_out(task, run)
