"""The parallel phase of one FeedTask execution: worker threads taking
entries from a shared queue, recording outcomes and reporting progress."""

import threading
from typing import Dict, List, Tuple

from oslo_log import log as logging
from taskflow.types import failure as tf_failure

from pypvm_tx.i18n import _
from pypvm_tx.transaction.entry import _transact
from pypvm_tx.transaction.executor import ContextThreadPoolExecutor
from pypvm_tx.transaction.outcome import EntryOutcome
from pypvm_tx.transaction.subtask import _SubtaskRun

LOG = logging.getLogger(__name__)

#: Statuses of entries that are not run again when a run resumes.
_DONE = (EntryOutcome.UPDATED, EntryOutcome.UNCHANGED)


class _FanOut:
    """The parallel phase of one FeedTask execution.

    Worker threads call :meth:`work`, which takes entries one at a time
    from a shared queue until it is empty.  A failed entry never stops the
    others (so which exception is raised does not depend on thread
    timing), unless ``fail_fast`` asks to take no new entry after the
    first failure; :meth:`skip_the_rest` then gives the entries never
    started a ``'skipped'`` outcome.

    Finished entries are recorded, and ``progress`` is called, under one
    lock: the callback is never called twice at once, and ``done`` grows
    by one with each call, in the order of the calls.

    With a ``record`` (a resumable run), each finished entry's outcome is
    handed to it as well; :meth:`restore` takes the entries an earlier
    execution recorded as done instead of running them.
    """

    def __init__(self, units, policy, update_timeout, fail_fast, progress,
                 record=None):
        self.units = units
        self.total = len(units)
        self.record = record
        self.policy = policy
        self.update_timeout = update_timeout
        self.fail_fast = fail_fast
        self.progress = progress
        self._next = iter(units)
        self._mutex = threading.Lock()
        self._finish_lock = threading.Lock()
        self.stopped = False
        self.done = 0
        self.outcomes: Dict[str, EntryOutcome] = {}
        self.rets: Dict[str, dict] = {}
        self.failures: List[Tuple[str, tf_failure.Failure]] = []

    def run(self, workers: int) -> None:
        """Run the entries on ``workers`` threads of a pool of this run's
        own, shut down before returning (also on an interrupt)."""
        pool = ContextThreadPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(self.work) for _ in range(workers)]
            for future in futures:
                future.result()
        except BaseException:
            self.stop()
            raise
        finally:
            pool.shutdown(wait=True)

    def work(self):
        """Run entries until none are left or the fan-out is stopped."""
        while True:
            with self._mutex:
                unit = None if self.stopped else next(self._next, None)
            if unit is None:
                return
            outcome, rets = self._run(unit)
            self._finish(outcome, rets)

    def stop(self):
        with self._mutex:
            self.stopped = True

    def restore(self, recorded):
        """Take the entries an earlier execution recorded as updated or
        unchanged as done (each reported to ``progress``); return the
        units left to run."""
        pending = []
        for unit in self.units:
            uuid, wrapper = unit[0], unit[1]
            earlier = recorded.get(uuid)
            if earlier is None or earlier.status not in _DONE:
                pending.append(unit)
                continue
            outcome = EntryOutcome(uuid, earlier.status,
                                   retries=earlier.retries, wrapper=wrapper)
            rets = dict(earlier.provides)
            rets["wrapper"] = wrapper
            self._finish(outcome, rets, restored=True)
        self._next = iter(pending)
        return pending

    def skip_the_rest(self):
        """Give every entry that never started a ``'skipped'`` outcome."""
        for uuid, wrapper, _subtasks, _task in self.units:
            if uuid not in self.outcomes:
                self._finish(EntryOutcome(uuid, EntryOutcome.SKIPPED,
                                          wrapper=wrapper), None)

    def put_in_feed_order(self) -> None:
        """Order ``outcomes``, ``rets`` and ``failures`` as the entries are
        in the feed (the order ``units`` has), whatever order they
        finished in."""
        order = {unit[0]: index for index, unit in enumerate(self.units)}
        self.outcomes = {unit[0]: self.outcomes[unit[0]]
                         for unit in self.units}
        self.rets = {unit[0]: self.rets[unit[0]]
                     for unit in self.units if unit[0] in self.rets}
        self.failures.sort(key=lambda failed: order[failed[0]])

    def _finish(self, outcome, rets, restored=False):
        """Record a finished entry and report it, one entry at a time."""
        if (self.record is not None and not restored
                and outcome.status != EntryOutcome.SKIPPED):
            provides = {key: value for key, value in (rets or {}).items()
                        if key != "wrapper"}
            self.record.record(outcome, provides)
        with self._finish_lock:
            self.done += 1
            self.outcomes[outcome.uuid] = outcome
            if rets is not None:
                self.rets[outcome.uuid] = rets
            if self.progress is not None:
                self._report(outcome, self.done)

    def _run(self, unit):
        """Run one entry; return its outcome and its rets (None if failed)."""
        uuid, wrapper, subtasks, task = unit
        outcome = EntryOutcome(uuid, wrapper=wrapper)
        if not subtasks:
            outcome.status = EntryOutcome.UNCHANGED
            return outcome, {"wrapper": wrapper}
        run = _SubtaskRun(subtasks, self.update_timeout)
        try:
            if task is not None:
                task._run(run, outcome)
            else:
                _transact(self.policy, run, wrapper, (), {},
                          outcome=outcome, uuid=uuid)
        except Exception as exc:
            outcome.status = run.failed_status
            outcome.exception = exc
            if run.wrapper is not None:
                outcome.wrapper = run.wrapper
            failure = tf_failure.Failure()
            with self._mutex:
                self.failures.append((uuid, failure))
                if self.fail_fast:
                    self.stopped = True
            return outcome, None
        outcome.wrapper = run.wrapper
        outcome.status = (EntryOutcome.UPDATED if run.updated
                          else EntryOutcome.UNCHANGED)
        rets = dict(run.provided)
        rets["wrapper"] = run.wrapper
        return outcome, rets

    def _report(self, outcome, done):
        try:
            self.progress(outcome, done, self.total)
        except Exception:
            LOG.warning(_("The progress callback failed for entry %s; "
                          "carrying on."), outcome.uuid, exc_info=True)
