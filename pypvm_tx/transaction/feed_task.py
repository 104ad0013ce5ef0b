"""FeedTask: the same Subtasks on every object of a feed, in parallel,
then post-execute tasks that see every result."""

import threading
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from oslo_log import log as logging
from taskflow import exceptions as tf_exc
from taskflow import task as tf_task

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks
from pypvm_tx.i18n import _
from pypvm_tx.transaction import feed_options as opts
from pypvm_tx.transaction import remote
from pypvm_tx.transaction.fanout import _FanOut
from pypvm_tx.transaction.outcome import EntryOutcome
from pypvm_tx.transaction.policy import TransactionPolicy, _policy
from pypvm_tx.transaction.post_exec import (  # noqa: F401 - re-exported
                                            WRAPPER_TASK_OUTCOMES,
                                            WRAPPER_TASK_RETS, atom_names,
                                            post_exec_names, run_post_exec,
                                            unique_names)
# Kept importable here, where it was.
from pypvm_tx.transaction.feed_options import (  # noqa: F401
    checked_feed_list as _checked_feed_list)
from pypvm_tx.transaction.protocols import FeedGetterLike
from pypvm_tx.transaction.run_record import (Persistence, RunRecord,
                                             open_run, recorded_result)
from pypvm_tx.transaction.subtask import FunctorSubtask, Subtask, _SubtaskList
from pypvm_tx.transaction.wrapper_task import WrapperTask

LOG = logging.getLogger(__name__)


_IDLE, _PARALLEL, _POST_EXEC = "idle", "parallel", "post-execute"


class FeedTask(tf_task.Task):
    """A TaskFlow task: the same Subtasks on every object of a feed.

    All entries run in parallel (at most ``max_workers`` at a time), each
    as a :class:`WrapperTask`-equivalent transaction; then the post-execute
    tasks run in order and may require ``wrapper_task_rets`` (and
    ``wrapper_task_outcomes``).

    Nothing is fetched until ``wrapper_tasks``, ``get_wrapper()``, ``feed``
    or ``execute()`` needs it; the later the GET, the fewer etag conflicts.

    Every entry runs whatever the others do: a failure never stops the
    fan-out, so which exception ``execute()`` raises does not depend on
    thread timing.

    :param name: the TaskFlow name; each entry's WrapperTask is named
        ``<name>_<uuid>``.
    :param feed_or_getter: a ``FeedGetter`` (preferred) or a non-empty list
        of ``EntryWrapper``, this library's or any object with the same
        protocol (see :mod:`~pypvm_tx.transaction.protocols`).
    :param max_workers: the most entries run at once.
    :param update_timeout: each POST's timeout (-1: the session's).
    :param continue_on_error: return normally after failures (they are in
        :attr:`outcomes`, and left out of ``wrapper_task_rets``) and run
        every post-execute task.
    :param progress: ``progress(outcome, done, total)``, called once per
        entry as it finishes, from the worker thread that ran it (skipped
        entries, and entries a resumed run takes from its record: from the
        thread that called ``execute()``), never two
        calls at once: ``done`` is 1, 2, ... ``total`` in the order of the
        calls, so ``progress=print`` prints whole lines.  A slow callback
        holds up the workers as they finish entries; an exception from it
        is logged and ignored.
    :param fail_fast: take no new entry once one has failed; the entries
        never started get status ``'skipped'`` (and a progress call).
        Cannot be combined with ``continue_on_error``.
    :param policy, lock_provider, tries, delay_func, deadline: each entry's
        transaction options, as for :func:`entry_transaction`.
    :param persistence, run_id: record the run, named ``run_id``, in a
        TaskFlow persistence backend or its URL (``sqlite:///path.db``,
        ``memory://``, ``dir:///path`` ...); ``execute()`` again with the
        same two, in any process, runs only the entries not recorded as
        updated or unchanged (see "Resuming a run" in the guide).  With
        ``jobboard``, ``run_id`` defaults to a new one.
    :param jobboard, chunk_size, max_inflight: run the entries in
        ``pypvm-tx worker`` processes: a TaskFlow jobboard or its URL
        (``redis://[:password@]host:port/namespace``), entries per job,
        jobs on the board at most.  Needs ``persistence`` shared with the
        workers, and Subtasks importable by module path with JSON
        arguments.  See "A FeedTask across worker processes".
    :raises FeedTaskEmptyFeed: ``feed_or_getter`` is an empty list.
    :raises ValueError: ``feed_or_getter`` is of another kind or the list
        holds something other than EntryWrappers, ``max_workers`` is not
        a positive integer, or both ``fail_fast`` and ``continue_on_error``
        are set.
    :raises TypeError: ``progress`` is not callable, ``persistence``
        or ``run_id`` is of a wrong type (ValueError: only one given),
        ``jobboard`` is neither a jobboard nor a URL, or (with
        ``jobboard``) the delay function is not importable by name.
    :raises ValueError: (also) ``jobboard`` without ``persistence``, or
        ``chunk_size`` or ``max_inflight`` is not a positive integer.

    :ivar outcomes: after ``execute()``, ``{uuid: EntryOutcome}`` for every
        entry, in feed order.
    """

    def __init__(self, name: str,
                 feed_or_getter: Union[FeedGetterLike, List[Any]],
                 max_workers: int = 10,
                 update_timeout: int = -1, *,
                 continue_on_error: bool = False,
                 progress: Optional[Callable] = None,
                 policy: Optional[TransactionPolicy] = None,
                 lock_provider: Optional[locks.LockProvider] = None,
                 tries: Optional[int] = None,
                 delay_func: Optional[Callable] = None,
                 deadline: Optional[float] = None,
                 fail_fast: bool = False,
                 persistence: Persistence = None,
                 run_id: Optional[str] = None,
                 jobboard: Any = None,
                 chunk_size: int = remote.DEFAULT_CHUNK_SIZE,
                 max_inflight: int = remote.DEFAULT_MAX_INFLIGHT):
        super().__init__(name)
        # Checked in this order: recording and distribution, failure
        # mode, feed, workers and progress.
        run_id = opts.checked_run_id(name, persistence, run_id, jobboard,
                                     chunk_size, max_inflight)
        opts.check_failure_mode(name, fail_fast, continue_on_error)
        self._feed_uuids: Optional[List[str]] = None
        self._getter, self._feed = opts.feed_source(name, feed_or_getter)
        opts.check_workers(name, max_workers, progress)
        self.max_workers = max_workers
        self.update_timeout = update_timeout
        self.continue_on_error = continue_on_error
        self.fail_fast = fail_fast
        self.progress = progress
        self.persistence = persistence
        self.run_id = run_id
        self.jobboard = jobboard
        self.chunk_size = chunk_size
        self.max_inflight = max_inflight
        self._policy = _policy("FeedTask", policy, tries, delay_func,
                               deadline, lock_provider)
        if jobboard is not None:
            remote.check_delay(name, self._policy.wait)
        self._lock = threading.RLock()
        self._phase = _IDLE
        self._common = _SubtaskList()
        self._tx_by_uuid: Dict[str, WrapperTask] = {}
        self._post_exec: List[Tuple[Any, bool]] = []
        self._post_exec_names: Set[str] = set()
        self.outcomes: Dict[str, EntryOutcome] = {}

    # -- the feed ----------------------------------------------------------

    @property
    def feed(self) -> List:
        """(Fetches and) returns the list of wrappers.

        Rebuilt from the WrapperTasks when any of them now holds a wrapper
        with a different etag.
        """
        if self._feed is None:
            assert self._getter is not None  # one of the two is set
            fetched = self._getter.get()
            with self._lock:
                if self._feed is None:
                    if not fetched:
                        raise pvmex.FeedTaskEmptyFeed()
                    self._feed = list(fetched)
                    self._feed_uuids = None
        with self._lock:
            if self._tx_by_uuid:
                current = [tx.wrapper for tx in self._tx_by_uuid.values()]
                if any(now.etag != self._feed[index].etag
                       for index, now in enumerate(current)):
                    self._feed = current
            return self._feed

    def _uuids(self) -> List[str]:
        """The feed's UUIDs in feed order, computed once per feed."""
        feed = self.feed
        with self._lock:
            uuids = self._feed_uuids
            if uuids is None or len(uuids) != len(feed):
                uuids = self._feed_uuids = [wrapper.uuid for wrapper in feed]
            return uuids

    @property
    def wrapper_tasks(self) -> Dict[str, WrapperTask]:
        """(Fetches and) returns ``{uuid: WrapperTask}``, one per entry.

        Subtasks may be added to one entry through it.
        """
        with self._lock:
            if not self._tx_by_uuid:
                for wrapper in self.feed:
                    uuid = wrapper.uuid
                    task = WrapperTask(
                        "%s_%s" % (self.name, uuid), wrapper,
                        subtasks=self._common.tasks, allow_empty=True,
                        update_timeout=self.update_timeout,
                        policy=self._policy)
                    task._owner = self
                    self._tx_by_uuid[uuid] = task
            return self._tx_by_uuid

    def get_wrapper(self, uuid: str) -> Any:
        """(Fetches and) returns the current wrapper of entry ``uuid``.

        :raises KeyError: no entry has that UUID.
        """
        if self._tx_by_uuid:
            task = self._tx_by_uuid.get(uuid)
            if task is not None:
                return task.wrapper
        else:
            for index, known in enumerate(self._uuids()):
                if known == uuid:
                    return self.feed[index]
        raise KeyError(_("FeedTask %(name)s has no entry with UUID %(uuid)r; "
                         "the UUIDs it has are the keys of "
                         "wrapper_tasks.") % {"name": self.name,
                                              "uuid": uuid})

    # -- adding work ---------------------------------------------------------

    def _check_open_for_subtasks(self):
        if self._phase != _IDLE:
            raise RuntimeError(_(
                "FeedTask %(name)s is in its %(phase)s phase; Subtasks can "
                "be added only before it executes (post-execute tasks until "
                "its post-execute phase).") % {"name": self.name,
                                               "phase": self._phase})

    def add_subtask(self, task: Subtask) -> "FeedTask":
        """Add a Subtask to every entry; thread-safe.

        :raises ValueError: not a Subtask, or its ``provides`` name is taken
            in an entry.
        :raises TypeError: with a ``jobboard``, the Subtask cannot travel
            to a worker process (its class or function is not importable
            by module path, or an argument is not JSON).
        :raises RuntimeError: the FeedTask is executing.
        :returns: self.
        """
        if self.jobboard is not None and isinstance(task, Subtask):
            remote.check_subtask(task)
        with self._lock:
            self._check_open_for_subtasks()
            # Every entry is checked before any is changed, so a refused
            # Subtask is never half-added.
            self._common.check(task, "FeedTask %s" % self.name)
            for tx in self._tx_by_uuid.values():
                tx._subtasks.check(task, "WrapperTask %s" % tx.name)
            for tx in self._tx_by_uuid.values():
                tx._add(task)
            self._common.add(task)
        return self

    def add_functor_subtask(self, func: Callable, *args,
                            **kwargs) -> "FeedTask":
        """Add a :class:`FunctorSubtask` to every entry."""
        return self.add_subtask(FunctorSubtask(func, *args, **kwargs))

    def add_post_execute(self, *tasks, run_on_failure: bool = False) -> None:
        """Add TaskFlow tasks or flows to run, in order, after the entries.

        They may require ``wrapper_task_rets`` (``{uuid: {'wrapper': w,
        <provides>: value}}``) and ``wrapper_task_outcomes``.  With
        ``run_on_failure`` they also run after entries failed, before the
        exception is raised.  Thread-safe, also from a Subtask of
        this running FeedTask, until the post-execute phase starts.

        :raises TypeError: an item is not a TaskFlow task or flow.
        :raises ValueError: a task name is already used by a post-execute
            task of this FeedTask.
        :raises RuntimeError: the post-execute phase has started.
        """
        names = post_exec_names(self.name, tasks)
        with self._lock:
            if self._phase == _POST_EXEC:
                raise RuntimeError(_(
                    "FeedTask %s is running its post-execute tasks; add them "
                    "before that phase starts.") % self.name)
            self._post_exec_names = unique_names(self.name, names,
                                                 self._post_exec_names)
            self._post_exec.extend((item, run_on_failure) for item in tasks)

    # -- execution -------------------------------------------------------------

    def execute(self) -> Optional[Dict[str, Any]]:
        """Run every entry in parallel, then the post-execute tasks.

        :returns: ``{'wrapper_task_rets': {uuid: {'wrapper': w,
            <provides>: value}}, <post-execute provides>: value}``, or None
            when there is nothing to do (no GET is made then).
        :raises: the failed entry's exception when one entry failed (or
            was left ``'unknown'``), ``MultipleExceptionsInFeedTask`` when
            several did, in feed order (both carry ``outcomes``); not
            raised with ``continue_on_error``.
        """
        with self._lock:
            if self._phase != _IDLE:
                raise RuntimeError(_("FeedTask %s is already executing.")
                                   % self.name)
            has_subtasks = bool(self._common.tasks) or any(
                tx._tasks for tx in self._tx_by_uuid.values())
            if not has_subtasks and not self._post_exec:
                LOG.info(_("FeedTask %s has no Subtasks and no post-execute "
                           "tasks; nothing to do."), self.name)
                return None
            self._phase = _PARALLEL
        try:
            if self.persistence is None:
                return self._execute(has_subtasks, None)
            return self._execute_recorded(has_subtasks)
        finally:
            with self._lock:
                self._phase = _IDLE

    def _execute_recorded(self, has_subtasks):
        """:meth:`_execute` on the run's record: a finished run's recorded
        result, else the entries not yet done."""
        assert self.run_id is not None  # checked with persistence
        run = open_run(self.persistence, self.run_id, self.name)
        try:
            finished = run.finished()
            if finished is not None:
                LOG.info(_("FeedTask %(name)s: run %(run)s has finished; "
                           "returning its recorded result."),
                         {"name": self.name, "run": self.run_id})
                self.outcomes, rets, post = recorded_result(finished)
                return dict(post, **{WRAPPER_TASK_RETS: rets})
            return self._execute(has_subtasks, run)
        finally:
            run.close()

    def _execute(self, has_subtasks, run: Optional[RunRecord]):
        self.outcomes = {}
        fanout = None
        if has_subtasks:
            fanout = self._fan_out(run)
            self.outcomes = fanout.outcomes
        rets = {WRAPPER_TASK_RETS: fanout.rets if fanout else {}}
        with self._lock:
            self._phase = _POST_EXEC
            post_exec = list(self._post_exec)
        if fanout is not None and fanout.failures:
            result = self._after_failures(fanout, rets, post_exec, run)
        else:
            result = self._run_post_exec(
                rets, [item for item, _f in post_exec], run)
        if run is not None:
            run.finish(list(self.outcomes), {
                key: value for key, value in (result or {}).items()
                if key != WRAPPER_TASK_RETS})
        return result

    def _units(self):
        """One ``(uuid, wrapper, subtasks, task)`` per entry, in feed order."""
        uuids = self._uuids()
        with self._lock:
            if self._tx_by_uuid:
                return [(uuid, tx.wrapper, tuple(tx._tasks), tx)
                        for uuid, tx in self._tx_by_uuid.items()]
            subtasks = tuple(self._common.tasks)
            feed = self._feed
            return [(uuid, feed[index], subtasks, None)
                    for index, uuid in enumerate(uuids)]

    def _fan_out(self, run: Optional[RunRecord]) -> _FanOut:
        if self.jobboard is not None:
            fanout = remote.fan_out(self, run)
            units = fanout.units
        else:
            units = self._units()
            fanout = _FanOut(units, self._policy, self.update_timeout,
                             self.fail_fast, self.progress, record=run)
            pending = units
            if run is not None:
                pending = fanout.restore(run.recorded())
            workers = min(self.max_workers, len(pending))
            if workers:
                fanout.run(workers)
        if len(fanout.outcomes) < len(units):
            fanout.skip_the_rest()
        # Feed order, and the feed itself shows the final wrappers.
        fanout.put_in_feed_order()
        if self.jobboard is None:
            self._keep_final_wrappers(units, fanout.outcomes)
        return fanout

    def _keep_final_wrappers(self, units, outcomes):
        """Make ``feed`` show each entry's final wrapper."""
        with self._lock:
            if self._tx_by_uuid or len(units) != len(self._feed):
                return
            final = []
            for uuid, wrapper, _subtasks, _task in units:
                outcome = outcomes.get(uuid)
                final.append(outcome.wrapper if outcome is not None
                             and outcome.wrapper is not None else wrapper)
            self._feed = final

    def _after_failures(self, fanout, rets, post_exec, run):
        if self.continue_on_error:
            for uuid, failure in fanout.failures:
                LOG.warning(_("FeedTask %(name)s: entry %(uuid)s failed: "
                              "%(exc)s"), {"name": self.name, "uuid": uuid,
                                           "exc": failure.exception_str})
            return self._run_post_exec(
                rets, [item for item, _f in post_exec], run)
        on_failure = [item for item, run in post_exec if run]
        if on_failure:
            try:
                self._run_post_exec(rets, on_failure)
            except Exception:
                LOG.exception(_("FeedTask %s: a post-execute task run after "
                                "entry failures failed itself."), self.name)
        raise self._failure_exception(fanout)

    def _failure_exception(self, fanout) -> BaseException:
        outcomes = self.outcomes
        if len(fanout.failures) == 1:
            exc = fanout.failures[0][1].exception
            try:
                exc.outcomes = outcomes
            except (AttributeError, TypeError):
                LOG.debug("Cannot attach outcomes to %r", exc)
            return exc
        LOG.error(_("FeedTask %(name)s: %(count)d entries failed; each is "
                    "logged below."), {"name": self.name,
                                       "count": len(fanout.failures)})
        for uuid, failure in fanout.failures:
            LOG.error(_("FeedTask %(name)s: entry %(uuid)s failed:\n%(tb)s"),
                      {"name": self.name, "uuid": uuid,
                       "tb": failure.pformat(traceback=True)})
        wrapped = tf_exc.WrappedFailure([f for _u, f in fanout.failures])
        return pvmex.MultipleExceptionsInFeedTask(self.name, wrapped,
                                                  outcomes=outcomes)

    def _run_post_exec(self, rets, items, run: Optional[RunRecord] = None):
        return run_post_exec(self.name, rets, self.outcomes, items, run)

