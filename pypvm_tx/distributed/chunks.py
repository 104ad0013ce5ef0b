"""One chunk of a distributed FeedTask, as a worker runs it.

A distributed FeedTask posts one job per chunk of entries.  The job's
flow is made by :func:`chunk_flow`, a module-level factory that TaskFlow
re-imports by name in the worker's conductor; the flow's one task,
:class:`ChunkTask`, reads what to do from the job's store (the entries'
UUIDs, the Subtasks by reference, the transaction options) and takes the
worker's own adapter, lock provider and thread count from a transient
store value that the worker's conductor injects (see
:mod:`pypvm_tx.distributed.worker`).

Each entry is fetched afresh (an :class:`EntryWrapperGetter` resolved
under the entry's lock) and changed under :func:`entry_transaction`.  Its
outcome is recorded in the chunk's own record (a resumable-run record in
the shared persistence, named after the chunk) as it finishes, so a chunk
taken over from a dead worker runs only the entries without a recorded
outcome of ``'updated'`` or ``'unchanged'``.
"""

import time
from typing import Any, Dict, List

from oslo_log import log as logging
from taskflow import task as tf_task
from taskflow.patterns import linear_flow as tf_lf

from pypvm_tx.distributed import references
from pypvm_tx.distributed.persistence import TaskFlowRun
from pypvm_tx.i18n import _
from pypvm_tx.transaction.fanout import _FanOut
from pypvm_tx.transaction.policy import TransactionPolicy
from pypvm_tx.wrappers.getters import EntryWrapperGetter

LOG = logging.getLogger(__name__)

#: The store name of a chunk's description (JSON, in the job's details).
CHUNK = "pypvm_chunk"
#: The store name of the worker's context (transient, never persisted).
WORKER = "pypvm_worker"


def chunk_flow() -> Any:
    """The flow of one chunk job: one :class:`ChunkTask`.

    Module-level so that a conductor can import it by name.
    """
    return tf_lf.Flow("pypvm-tx-chunk").add(ChunkTask("pypvm-tx-chunk"))


def chunk_record_id(run_id: str, chunk_id: str) -> str:
    """The run id of a chunk's own record of entry outcomes."""
    return "%s/chunk/%s" % (run_id, chunk_id)


class ChunkTask(tf_task.Task):
    """Run the Subtasks of one chunk on every entry of it, in this worker.

    Returns a small summary (JSON): entries run, and entries found already
    done in the chunk's record (a chunk taken over from a dead worker).
    """

    def __init__(self, name: str):
        super().__init__(name, requires=[CHUNK, WORKER])

    def execute(self, pypvm_chunk: Dict[str, Any],
                pypvm_worker: Any) -> Dict[str, int]:
        chunk, worker = pypvm_chunk, pypvm_worker
        started = time.monotonic()
        subtasks = tuple(references.load_subtask(spec)
                         for spec in chunk["subtasks"])
        record = TaskFlowRun(worker.backend,
                             chunk_record_id(chunk["run_id"], chunk["id"]),
                             chunk["feed"])
        try:
            fanout = _FanOut(_units(chunk, worker, subtasks),
                             _chunk_policy(chunk, worker),
                             chunk["update_timeout"], False, None,
                             record=record)
            pending = fanout.restore(record.recorded())
            if len(pending) < fanout.total:
                LOG.info(_("Chunk %(chunk)s: %(done)d of %(total)d entries "
                           "already recorded as done; running the other "
                           "%(left)d."), {"chunk": chunk["id"],
                                          "done": fanout.total - len(pending),
                                          "total": fanout.total,
                                          "left": len(pending)})
            _run_on(worker.pool, fanout, min(worker.max_workers,
                                             len(pending)))
            record.flush()
        finally:
            record.close()
        LOG.info(_("Chunk %(chunk)s: %(ran)d entries run in %(secs).2f s."),
                 {"chunk": chunk["id"], "ran": len(pending),
                  "secs": time.monotonic() - started})
        return {"ran": len(pending), "already_done": fanout.total - len(pending)}


def _run_on(pool: Any, fanout: _FanOut, threads: int) -> None:
    """Run ``fanout`` on ``threads`` loops of the worker's shared pool.

    The pool is shared by the chunks a worker holds: the loops of the
    next chunk start as those of the one before run out of entries, so
    the conductor's per-chunk work overlaps the entries' REST calls.
    """
    futures = [pool.submit(fanout.work) for _ in range(threads)]
    try:
        for future in futures:
            future.result()
    except BaseException:
        fanout.stop()
        raise


def _units(chunk: Dict[str, Any], worker: Any, subtasks: tuple) -> List:
    """One fan-out unit per entry: its UUID and a getter that GETs it
    afresh once its lock is held."""
    entry = chunk["entry"]
    entry_class = references.resolve(entry["class"])
    return [(uuid, EntryWrapperGetter(worker.adapter, entry_class, uuid,
                                      parent_class=entry["parent_type"],
                                      parent_uuid=entry["parent_uuid"],
                                      xag=entry["xag"]),
             subtasks, None)
            for uuid in chunk["uuids"]]


def _chunk_policy(chunk: Dict[str, Any], worker: Any) -> TransactionPolicy:
    """The poster's tries, delay and deadline, with this worker's lock
    provider."""
    policy = chunk["policy"]
    wait = policy["wait"]
    return TransactionPolicy(
        policy["tries"], None if wait is None else references.resolve(wait),
        policy["deadline"], worker.lock_provider, what="ChunkTask")
