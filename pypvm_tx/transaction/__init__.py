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

Modules: :mod:`~pypvm_tx.transaction.policy` (TransactionPolicy),
:mod:`~pypvm_tx.transaction.entry` (entry_transaction),
:mod:`~pypvm_tx.transaction.subtask` (Subtask, FunctorSubtask),
:mod:`~pypvm_tx.transaction.outcome` (EntryOutcome),
:mod:`~pypvm_tx.transaction.wrapper_task` (WrapperTask),
:mod:`~pypvm_tx.transaction.executor` (ContextThreadPoolExecutor),
:mod:`~pypvm_tx.transaction.fanout` (the parallel phase),
:mod:`~pypvm_tx.transaction.post_exec` (the post-execute phase),
:mod:`~pypvm_tx.transaction.run_record` (a resumable run's record) and
:mod:`~pypvm_tx.transaction.feed_task` (FeedTask).  Every public name is
importable from here, as ``pypvm_tx.transaction.FeedTask`` and so on.
"""

from pypvm_tx.transaction.entry import entry_transaction
from pypvm_tx.transaction.executor import ContextThreadPoolExecutor
from pypvm_tx.transaction.feed_task import FeedTask
from pypvm_tx.transaction.outcome import EntryOutcome, OutcomeStatus
from pypvm_tx.transaction.policy import (
                                            DEFAULT_DELAY,
                                            DEFAULT_TRIES,
                                            FAST,
                                            PEER_DEFAULT,
                                            TransactionPolicy,
)
from pypvm_tx.transaction.post_exec import (
                                            WRAPPER_TASK_OUTCOMES,
                                            WRAPPER_TASK_RETS,
)
from pypvm_tx.transaction.subtask import FunctorSubtask, Subtask, _FunctorSubtask
from pypvm_tx.transaction.wrapper_task import WrapperTask

__all__ = [
    "DEFAULT_DELAY", "DEFAULT_TRIES", "FAST", "PEER_DEFAULT",
    "WRAPPER_TASK_OUTCOMES", "WRAPPER_TASK_RETS", "ContextThreadPoolExecutor",
    "EntryOutcome", "FeedTask", "OutcomeStatus", "FunctorSubtask", "Subtask",
    "TransactionPolicy", "WrapperTask", "_FunctorSubtask",
    "entry_transaction",
]
