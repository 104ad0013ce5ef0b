"""Scale-out: what lets a FeedTask outlive its process.

:mod:`~pypvm_tx.distributed.persistence` keeps the record of a resumable
FeedTask run (``FeedTask(..., persistence=..., run_id=...)``) in TaskFlow
persistence: SQLite or any SQLAlchemy database, a directory, or memory.
This layer sits above :mod:`pypvm_tx.transaction`; the transaction layer
reaches it only through one lazy import in
:func:`pypvm_tx.transaction.run_record.open_run`.
"""

from pypvm_tx.distributed.persistence import (
                                              TaskFlowRun,
                                              fetch_backend,
                                              open_run,
)

__all__ = ["TaskFlowRun", "fetch_backend", "open_run"]
