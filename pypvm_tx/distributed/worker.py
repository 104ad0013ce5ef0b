"""Workers: processes that run the chunks of distributed FeedTasks.

A :class:`Worker` runs one TaskFlow conductor on a jobboard.  The
conductor claims a chunk job (the claim expires unless the worker keeps
extending it, see :class:`~pypvm_tx.distributed.jobboard.ExpiringClaims`),
loads the chunk's flow from the shared persistence, runs it with this
worker's adapter, thread count and lock provider, and consumes the job.
It holds up to two chunks at once (``chunks_at_once``) whose entries
share one pool of ``max_workers`` threads: the next chunk's entries start
as the threads run out of the first one's, so TaskFlow's per-chunk work
(loading the job, saving the flow's states) overlaps REST calls instead
of leaving the threads idle.

:meth:`Worker.stop` (the command line calls it on SIGTERM) lets the chunk
in hand finish, records its outcomes, and claims nothing more.  A worker
killed outright leaves its claim to lapse; another worker then claims the
chunk and runs the entries without a recorded outcome.
"""

import os
import socket
import threading
from typing import Any, Optional

from oslo_log import log as logging
from taskflow import states as tf_states
from taskflow import storage as tf_storage
from taskflow.conductors.backends import impl_nonblocking

from pypvm_tx import locks
from pypvm_tx.distributed import chunks
from pypvm_tx.distributed.jobboard import (DEFAULT_CLAIM_EXPIRY,
                                           ExpiringClaims, open_jobboard)
from pypvm_tx.distributed.persistence import fetch_backend
from pypvm_tx.i18n import _
from pypvm_tx.transaction.executor import ContextThreadPoolExecutor

LOG = logging.getLogger(__name__)


def repair_flow_detail(flow_detail: Any) -> Any:
    """``flow_detail`` made loadable after its worker was killed while
    TaskFlow injected the job's store.

    TaskFlow saves the store's atom detail first and its values after; a
    worker killed between the two leaves the detail with no results, and
    every later load of the flow fails (``'NoneType' object has no
    attribute 'keys'``), so the chunk could never be taken over.  Empty
    results (in the state TaskFlow gives them once saved) let the next
    load inject the store again.
    """
    for atom_detail in flow_detail:
        if (atom_detail.name == tf_storage.Storage.injector_name
                and atom_detail.results is None):
            LOG.info(_("Flow %s: the store of a worker killed while loading "
                       "it is injected again."), flow_detail.uuid)
            atom_detail.results = {}
            atom_detail.state = tf_states.SUCCESS
    return flow_detail


class _Conductor(impl_nonblocking.NonBlockingConductor):
    """A conductor holding up to ``jobs`` chunks at once, whose engines
    see the worker (transiently)."""

    #: Seconds between two looks at an idle board.
    WAIT_TIMEOUT = 0.2

    def __init__(self, name: str, board: Any, persistence: Any,
                 worker: "Worker", jobs: int):
        super().__init__(name, board, persistence=persistence,
                         max_simultaneous_jobs=jobs)
        self._worker = worker

    def _flow_detail_from_job(self, job):
        return repair_flow_detail(super()._flow_detail_from_job(job))

    def _engine_from_job(self, job):
        engine = super()._engine_from_job(job)
        engine.storage.inject({chunks.WORKER: self._worker}, transient=True)
        return engine


class Worker:
    """A TaskFlow conductor running the chunks of distributed FeedTasks.

    :param jobboard: a TaskFlow jobboard or its URL
        (``redis://:password@host:6379/namespace``), the one the
        FeedTasks post to.
    :param persistence: the TaskFlow persistence backend the FeedTasks
        use, or its URL (``sqlite:///path.db`` or another SQLAlchemy URL).
    :param adapter: this worker's :class:`~pypvm_tx.adapter.Adapter` (its
        Session's connection pool should allow ``max_workers``
        connections).
    :param max_workers: entries run at once within a chunk.
    :param lock_provider: the entry lock provider (None: the default
        provider); several workers changing the same objects share one
        through tooz.
    :param claim_expiry: seconds a claim lasts unless extended; a killed
        worker's chunk is taken over about that long after its death.
    :param chunks_at_once: chunks claimed and run at a time; their
        entries share the ``max_workers`` threads.
    :param name: this worker's name on the board (default host and pid).
    :raises ValueError: a URL cannot be used, or ``max_workers`` is not a
        positive integer.
    """

    def __init__(self, jobboard: Any, persistence: Any, adapter: Any,
                 max_workers: int = 10,
                 lock_provider: Optional[locks.LockProvider] = None,
                 claim_expiry: float = DEFAULT_CLAIM_EXPIRY,
                 chunks_at_once: int = 2,
                 name: Optional[str] = None):
        for option, value in (("max_workers", max_workers),
                              ("chunks_at_once", chunks_at_once)):
            if (isinstance(value, bool) or not isinstance(value, int)
                    or value < 1):
                raise ValueError(_("A worker's %(option)s must be an integer "
                                   "of at least 1; got %(value)r.") % {
                    "option": option, "value": value})
        self.adapter = adapter
        self.max_workers = max_workers
        self.lock_provider = locks.check_provider(lock_provider, "Worker")
        self.name = name or "%s-%d" % (socket.gethostname(), os.getpid())
        self.backend = fetch_backend(persistence)
        board, self._owns_board = open_jobboard(jobboard, self.backend,
                                                name=self.name)
        self._board = board
        self._claims = ExpiringClaims(board, claim_expiry)
        self._conductor = _Conductor(self.name, self._claims, self.backend,
                                     self, chunks_at_once)
        #: The threads every chunk's entries run on.
        self.pool = ContextThreadPoolExecutor(max_workers=max_workers)
        self._stop = threading.Event()

    def run(self, max_chunks: Optional[int] = None) -> None:
        """Claim and run chunks until :meth:`stop` (or ``max_chunks``).

        Blocks; call it from the thread that owns the worker.
        """
        LOG.info(_("Worker %(name)s: taking chunks with %(threads)d "
                   "threads."), {"name": self.name,
                                 "threads": self.max_workers})
        if self._stop.is_set():
            return
        self._conductor.run(max_dispatches=max_chunks)

    def stop(self) -> None:
        """Finish the chunk in hand, then make :meth:`run` return.

        Safe from a signal handler and from any thread.
        """
        self._stop.set()
        self._conductor.stop()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until :meth:`run` has returned; False on timeout."""
        return self._conductor.wait(timeout)

    def close(self) -> None:
        """Stop extending claims and close what this worker opened."""
        self._claims.close_claims()
        self.pool.shutdown(wait=True)
        if self._owns_board:
            self._board.close()

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.close()
