"""The posting side of a distributed FeedTask: chunks out, outcomes in.

``FeedTask(..., jobboard=...)`` hands its parallel phase to
:func:`fan_out`.  It takes the feed's UUIDs (a ``UUIDFeedGetter``'s list
as it is, otherwise the feed is fetched), leaves out the entries the
run's record already has as done, cuts the rest into chunks of
``chunk_size`` and posts one TaskFlow job per chunk: a logbook holding
one flow detail whose meta names the chunk flow's factory (all saved in
one database transaction), then the job itself, carrying the chunk's
description in its store.  At most ``max_inflight`` jobs are on the
board at a time; the next one is posted as one finishes.

When a job is complete (consumed by the worker that ran it), the chunk's
record is read back and each entry's outcome is taken into the run's
record and reported to ``progress``, exactly as the in-process fan-out
does; an entry the chunk has no outcome for (the job was trashed, the
worker failed before reaching it) gets a ``'failed'`` outcome saying so,
so that no entry ends neither done nor failed.
"""

import contextlib
import time
import uuid as uuidlib
from typing import Any, Dict, List, Optional, Tuple

from oslo_log import log as logging
from taskflow import states as tf_states
from taskflow.engines import helpers as tf_helpers
from taskflow.persistence import models as tf_models
from taskflow.types import failure as tf_failure

from pypvm_tx import exceptions as pvmex
from pypvm_tx.distributed import chunks, references
from pypvm_tx.distributed.jobboard import open_jobboard
from pypvm_tx.distributed.persistence import TaskFlowRun, fetch_backend
from pypvm_tx.i18n import _
from pypvm_tx.transaction.fanout import _FanOut
from pypvm_tx.transaction.outcome import EntryOutcome
from pypvm_tx.wrappers.getters import UUIDFeedGetter

LOG = logging.getLogger(__name__)

#: Seconds between two looks at the jobs in flight.
POLL_INTERVAL = 0.05
#: Seconds without a finished chunk after which a warning is logged.
STALL_WARNING = 60.0


def fan_out(task: Any, run: Any) -> _FanOut:
    """Run ``task``'s entries as chunk jobs on its jobboard; the returned
    fan-out holds every entry's outcome (``units`` in feed order)."""
    if run is None:
        raise ValueError(_("FeedTask %s: a jobboard needs persistence.")
                         % task.name)
    backend = fetch_backend(task.persistence)
    board, owns_board = open_jobboard(task.jobboard, backend,
                                      name="pypvm-tx-" + task.name)
    try:
        return _Poster(task, run, board, backend).run()
    finally:
        if owns_board:
            board.close()


def _entries(task: Any) -> Tuple[List[Tuple], Dict[str, Any]]:
    """The fan-out units (``(uuid, wrapper or None, (), None)``) in feed
    order and the description of the entries' class for the workers."""
    getter = task._getter
    if task._feed is None and isinstance(getter, UUIDFeedGetter):
        uuids = list(dict.fromkeys(getter.uuid_list))
        if not uuids:
            raise pvmex.FeedTaskEmptyFeed()
        units = [(uuid, None, (), None) for uuid in uuids]
        return units, _entry_spec(getter.entry_class, getter.parent_type,
                                  getter.parent_uuid, getter.xag)
    units = [(uuid, wrapper, (), None)
             for uuid, wrapper in zip(task._uuids(), task.feed)]
    if getter is not None:
        return units, _entry_spec(getter.entry_class, getter.parent_type,
                                  getter.parent_uuid, getter.xag)
    classes = {type(unit[1]) for unit in units}
    if len(classes) != 1:
        raise ValueError(_(
            "FeedTask %s: a distributed feed must hold objects of one "
            "class.") % task.name)
    return units, _entry_spec(classes.pop(), None, None, None)


def _entry_spec(entry_class, parent_type, parent_uuid, xag) -> Dict:
    return {"class": references.reference(entry_class,
                                          _("The entries' class")),
            "parent_type": parent_type, "parent_uuid": parent_uuid,
            "xag": references.check_json(_("The feed's xag"),
                                         list(xag) if xag else None)}


def _check_common_subtasks(task: Any) -> tuple:
    """The FeedTask's Subtasks, refusing per-entry ones (they cannot be
    told apart in a chunk)."""
    common = tuple(task._common.tasks)
    for tx in task._tx_by_uuid.values():
        if tuple(tx._tasks) != common:
            raise ValueError(_(
                "FeedTask %(name)s: entry %(uuid)s has Subtasks of its own "
                "(added through wrapper_tasks); a distributed FeedTask runs "
                "the same Subtasks on every entry: add them to the "
                "FeedTask.") % {"name": task.name,
                                "uuid": tx.wrapper.uuid})
    return common


class _Chunk:
    """One posted chunk: its job and its entries."""

    __slots__ = ("chunk_id", "uuids", "job", "book_uuid")

    def __init__(self, chunk_id: str, uuids: List[str], job: Any,
                 book_uuid: str):
        self.chunk_id = chunk_id
        self.uuids = uuids
        self.job = job
        self.book_uuid = book_uuid


class _Poster:
    """One distributed parallel phase (see the module documentation)."""

    def __init__(self, task: Any, run: Any, board: Any, backend: Any):
        self.task = task
        self.run_record = run
        self.board = board
        self.backend = backend
        subtasks = _check_common_subtasks(task)
        units, self.entry = _entries(task)
        self.subtasks = [references.subtask_spec(s) for s in subtasks]
        self.fanout = _FanOut(units, task._policy, task.update_timeout,
                              task.fail_fast, task.progress, record=run)
        policy = task._policy
        self.policy = {"tries": policy.tries, "deadline": policy.deadline,
                       "wait": references.reference(
                           policy.wait, _("The delay function"))}

    def run(self) -> _FanOut:
        fanout = self.fanout
        pending = [unit[0] for unit in fanout.restore(
            self.run_record.recorded())]
        size = self.task.chunk_size
        todo = [pending[i:i + size] for i in range(0, len(pending), size)]
        todo.reverse()
        inflight: List[_Chunk] = []
        stalled_since = time.monotonic()
        while todo or inflight:
            while (todo and len(inflight) < self.task.max_inflight
                   and not fanout.stopped):
                inflight.append(self._post(todo.pop()))
            finished = [chunk for chunk in inflight
                        if chunk.job.state == tf_states.COMPLETE]
            for chunk in finished:
                inflight.remove(chunk)
                self._gather(chunk)
            if fanout.stopped:
                todo = []
            if finished:
                stalled_since = time.monotonic()
            else:
                stalled_since = self._warn_if_stalled(inflight,
                                                      stalled_since)
                time.sleep(POLL_INTERVAL)
        return fanout

    def _warn_if_stalled(self, inflight, since: float) -> float:
        if time.monotonic() - since < STALL_WARNING:
            return since
        LOG.warning(_("FeedTask %(name)s: %(count)d chunks on the jobboard "
                      "and none finished for %(secs)d s; are workers running "
                      "('pypvm-tx worker') on this board and persistence?"),
                    {"name": self.task.name, "count": len(inflight),
                     "secs": STALL_WARNING})
        return time.monotonic()

    def _post(self, uuids: List[str]) -> _Chunk:
        """Post one chunk: logbook, then its factory, then the job."""
        chunk_id = uuidlib.uuid4().hex
        book = tf_models.LogBook("%s/%s" % (self.task.name, chunk_id))
        flow_detail = tf_models.FlowDetail("pypvm-tx-chunk",
                                           uuid=uuidlib.uuid4().hex)
        # The factory goes into the flow detail's meta before the logbook
        # is saved (no backend given: nothing written yet), so logbook,
        # flow detail and factory cost one database transaction.
        tf_helpers.save_factory_details(flow_detail, chunks.chunk_flow,
                                        [], {})
        book.add(flow_detail)
        with contextlib.closing(self.backend.get_connection()) as conn:
            conn.save_logbook(book)
        store = {chunks.CHUNK: {
            "id": chunk_id, "run_id": self.task.run_id,
            "feed": self.task.name, "uuids": uuids, "entry": self.entry,
            "subtasks": self.subtasks, "policy": self.policy,
            "update_timeout": self.task.update_timeout}}
        job = self.board.post("pypvm-tx %s %s" % (self.task.name, chunk_id),
                              book=book,
                              details={"flow_uuid": flow_detail.uuid,
                                       "store": store})
        LOG.debug("FeedTask %s: posted chunk %s (%d entries) as job %s",
                  self.task.name, chunk_id, len(uuids), job.uuid)
        return _Chunk(chunk_id, uuids, job, book.uuid)

    def _gather(self, chunk: _Chunk) -> None:
        """Take a finished chunk's outcomes into the run and report them."""
        record = TaskFlowRun(self.backend, chunks.chunk_record_id(
            self.task.run_id, chunk.chunk_id), self.task.name)
        try:
            recorded = record.recorded()
        finally:
            record.close()
        fanout = self.fanout
        for uuid in chunk.uuids:
            outcome, rets = _outcome(uuid, recorded.get(uuid), chunk)
            if rets is None:
                failure = tf_failure.Failure.from_exception(outcome.exception)
                fanout.failures.append((uuid, failure))
                if fanout.fail_fast:
                    fanout.stop()
            fanout._finish(outcome, rets)


def _outcome(uuid: str, earlier: Optional[Any],
             chunk: _Chunk) -> Tuple[EntryOutcome, Optional[Dict]]:
    """An entry's outcome as its chunk recorded it, and its rets (None for
    a failure)."""
    if earlier is None:
        error = pvmex.RecordedError(_(
            "WorkerLost: chunk %(chunk)s (job %(job)s) finished without an "
            "outcome for this entry; see the log of the worker that ran "
            "it.") % {"chunk": chunk.chunk_id, "job": chunk.job.uuid})
        return EntryOutcome(uuid, EntryOutcome.FAILED, error), None
    exception = (None if earlier.error is None
                 else pvmex.RecordedError(earlier.error))
    outcome = EntryOutcome(uuid, earlier.status, exception, earlier.retries)
    if earlier.status in (EntryOutcome.UPDATED, EntryOutcome.UNCHANGED):
        return outcome, dict(earlier.provides, wrapper=None)
    return outcome, None
