"""Scale-out: what lets a FeedTask outlive its process and spread over
several.

:mod:`~pypvm_tx.distributed.persistence` keeps the record of a resumable
FeedTask run (``FeedTask(..., persistence=..., run_id=...)``) in TaskFlow
persistence: SQLite or any SQLAlchemy database, a directory, or memory.

A FeedTask given ``jobboard=`` posts its entries in chunks as TaskFlow
jobs (:mod:`~pypvm_tx.distributed.poster`); :class:`Worker` processes run
them through TaskFlow conductors (:mod:`~pypvm_tx.distributed.worker`,
:mod:`~pypvm_tx.distributed.chunks`) with claims that expire unless
extended (:mod:`~pypvm_tx.distributed.jobboard`); Subtasks travel to
them by reference (:mod:`~pypvm_tx.distributed.references`).

This layer sits above :mod:`pypvm_tx.transaction`; the transaction layer
reaches it only through lazy imports, when a FeedTask is given
``persistence`` or ``jobboard``.
"""

from pypvm_tx.distributed.jobboard import ExpiringClaims, open_jobboard
from pypvm_tx.distributed.persistence import (
                                              TaskFlowRun,
                                              fetch_backend,
                                              open_run,
)
from pypvm_tx.distributed.worker import Worker

__all__ = ["ExpiringClaims", "TaskFlowRun", "Worker", "fetch_backend",
           "open_jobboard", "open_run"]
