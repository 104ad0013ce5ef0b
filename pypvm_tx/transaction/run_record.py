"""What a resumable FeedTask needs from the store that records its run.

A FeedTask given ``persistence`` and ``run_id`` talks to its run's record
only through :class:`RunRecord`; the TaskFlow-backed implementation lives
in :mod:`pypvm_tx.distributed.persistence`, a layer above this one, and
is imported lazily by :func:`open_run` (so the transaction layer never
imports the distributed layer at module level, and a FeedTask without
persistence never loads SQLAlchemy).
"""

from typing import Any, Dict, List, NamedTuple, Optional, Protocol, Tuple

from taskflow.persistence import base as tf_persistence

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction.outcome import EntryOutcome

#: What ``persistence=`` accepts: a TaskFlow backend or its URL.
Persistence = Any


class RecordedOutcome(NamedTuple):
    """One entry's outcome as an earlier execution recorded it."""

    #: ``'updated'``, ``'unchanged'``, ``'failed'`` or ``'unknown'``.
    status: str
    #: The exception's text (``'<type>: <message>'``), or None.
    error: Optional[str]
    #: Etag-mismatch redrives used.
    retries: int
    #: The values the entry's Subtasks provided (JSON-serialisable).
    provides: Dict[str, Any]


class FinishedRun(NamedTuple):
    """A run that finished: enough to return its result again."""

    #: The entries' UUIDs in feed order.
    order: List[str]
    #: Each entry's recorded outcome.
    outcomes: Dict[str, RecordedOutcome]
    #: The post-execute tasks' results (``wrapper_task_rets`` left out).
    post_results: Dict[str, Any]


class RunRecord(Protocol):
    """The record of one FeedTask run (one FeedTask name in one run_id).

    ``record`` must be cheap (workers call it as each entry finishes):
    implementations batch their writes.
    """

    def finished(self) -> Optional[FinishedRun]:
        """The finished run, or None when it has not finished."""

    def recorded(self) -> Dict[str, RecordedOutcome]:
        """Every entry outcome recorded so far, by UUID (latest wins)."""

    def record(self, outcome: EntryOutcome,
               provides: Dict[str, Any]) -> None:
        """Queue one finished entry's outcome to be written soon."""

    def flush(self) -> None:
        """Write every queued outcome now."""

    def engine(self, flow: Any, store: Dict[str, Any]) -> Any:
        """A TaskFlow engine running ``flow`` with its state persisted in
        this run (so finished atoms are not run again), ``store`` injected
        without being persisted."""

    def finish(self, order: List[str], post_results: Dict[str, Any]) -> None:
        """Write every queued outcome and mark the run finished."""

    def close(self) -> None:
        """Write what is queued (as far as possible) and release resources."""


def check_run(name: str, persistence: Persistence,
              run_id: Optional[str]) -> None:
    """Refuse a ``persistence`` / ``run_id`` pair a FeedTask cannot use.

    :raises TypeError: ``persistence`` is neither a TaskFlow persistence
        backend nor a URL string, or ``run_id`` is not a string.
    :raises ValueError: only one of the two is given, or ``run_id`` or the
        URL is empty.
    """
    if persistence is None and run_id is None:
        return
    if persistence is None or run_id is None:
        raise ValueError(_(
            "FeedTask %s: persistence and run_id go together: give both to "
            "record the run (and resume it with the same two), or "
            "neither.") % name)
    if not isinstance(persistence, (str, tf_persistence.Backend)):
        raise TypeError(_(
            "FeedTask %(name)s: persistence must be a TaskFlow persistence "
            "backend or its URL (sqlite:///path.db, memory://, "
            "dir:///path ...); got %(type)s.") % {
            "name": name, "type": type(persistence).__name__})
    if not isinstance(run_id, str):
        raise TypeError(_("FeedTask %(name)s: run_id must be a string; got "
                          "%(type)s.") % {"name": name,
                                          "type": type(run_id).__name__})
    if not run_id.strip() or (isinstance(persistence, str)
                              and not persistence.strip()):
        raise ValueError(_("FeedTask %s: run_id and a persistence URL must "
                           "not be empty.") % name)


def recorded_result(finished: FinishedRun) -> Tuple[
        Dict[str, EntryOutcome], Dict[str, Dict[str, Any]], Dict[str, Any]]:
    """A finished run's outcomes, ``wrapper_task_rets`` and post-execute
    results, from its record: no wrappers (None), and each failure's
    exception a :class:`~pypvm_tx.exceptions.RecordedError` of its text."""
    outcomes, rets = {}, {}
    for uuid in finished.order:
        earlier = finished.outcomes[uuid]
        error = (None if earlier.error is None
                 else pvmex.RecordedError(earlier.error))
        outcomes[uuid] = EntryOutcome(uuid, earlier.status, error,
                                      earlier.retries)
        if error is None:
            rets[uuid] = dict(earlier.provides, wrapper=None)
    return outcomes, rets, dict(finished.post_results)


def open_run(persistence: Persistence, run_id: str, name: str) -> RunRecord:
    """Open the record of run ``run_id`` of FeedTask ``name``."""
    # The one place the transaction layer reaches the distributed layer:
    # imported here, when a run is recorded, never at module level.
    from pypvm_tx.distributed import persistence as dist_persistence
    return dist_persistence.open_run(persistence, run_id, name)
