"""WrapperTask: a TaskFlow task running Subtasks on one object and
POSTing once, only when something changed."""

import threading
from typing import (Any, Callable, Dict, Iterable, List, Optional, Tuple,
                    Union, cast)

from oslo_log import log as logging
from taskflow import task as tf_task

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks
from pypvm_tx.i18n import _
from pypvm_tx.transaction.entry import _transact
from pypvm_tx.transaction.policy import TransactionPolicy, _policy
from pypvm_tx.transaction.protocols import (GetterLike, WrapperLike,
                                            is_getter, is_wrapper, type_name)
from pypvm_tx.transaction.subtask import (
    FunctorSubtask,
    Subtask,
    _SubtaskList,
    _SubtaskRun,
)

LOG = logging.getLogger(__name__)


class WrapperTask(tf_task.Task):
    """A TaskFlow task: run Subtasks on one object, POST once if changed.

    ``execute()`` runs under :func:`entry_transaction` on the wrapper (or
    getter): every Subtask in the order added, then one
    ``wrapper.update(timeout=update_timeout)`` if any Subtask with
    ``flag_update`` returned a truthy value.  On an etag mismatch the whole
    sequence runs again on the refreshed wrapper.  It returns
    ``(wrapper, provided)`` and, in a flow, provides
    ``wrapper_<uuid>`` and ``subtask_rets_<uuid>``.

    :param name: the TaskFlow name.
    :param wrapper_or_getter: an ``EntryWrapper`` or ``EntryWrapperGetter``
        (preferred: the GET then happens under the lock), this library's
        or any object with the same protocol (pypowervm's included; see
        :mod:`~pypvm_tx.transaction.protocols`).
    :param subtasks: Subtasks to start with.
    :param allow_empty: with no Subtasks, ``execute()`` logs and returns
        None instead of raising ``WrapperTaskNoSubtasks``.
    :param update_timeout: the POST's timeout (-1: the session's).
    :param policy, lock_provider, tries, delay_func, deadline: the
        transaction's options, as for :func:`entry_transaction` (beyond
        the peer).
    :raises ValueError: ``wrapper_or_getter`` is neither kind, or a Subtask
        is invalid.
    """

    #: The FeedTask this task belongs to (set by it), whose phase decides
    #: whether Subtasks may still be added.
    _owner: Any = None

    def __init__(self, name: str,
                 wrapper_or_getter: Union[WrapperLike, GetterLike],
                 subtasks: Optional[Iterable[Subtask]] = None,
                 allow_empty: bool = False, update_timeout: int = -1, *,
                 policy: Optional[TransactionPolicy] = None,
                 lock_provider: Optional[locks.LockProvider] = None,
                 tries: Optional[int] = None,
                 delay_func: Optional[Callable] = None,
                 deadline: Optional[float] = None):
        self._wrapper: Any = None
        self._getter: Optional[GetterLike] = None
        if is_wrapper(wrapper_or_getter):
            self._wrapper = wrapper_or_getter
        elif is_getter(wrapper_or_getter):
            self._getter = cast(GetterLike, wrapper_or_getter)
        else:
            raise ValueError(_(
                "WrapperTask %(name)s needs an EntryWrapper or an "
                "EntryWrapperGetter (an object with uuid, etag, update() and "
                "refresh(), or with uuid and get()); got %(type)s.") % {"name": name,
                                    "type": type_name(wrapper_or_getter)})
        uuid = wrapper_or_getter.uuid
        super().__init__(name, provides=("wrapper_%s" % uuid,
                                         "subtask_rets_%s" % uuid))
        self._uuid = uuid
        self._policy = _policy("WrapperTask", policy, tries, delay_func,
                               deadline, lock_provider)
        self.allow_empty = allow_empty
        self.update_timeout = update_timeout
        self.provided: Dict[str, Any] = {}
        self._subtasks = _SubtaskList()
        #: The ``provides`` names used by this task's Subtasks.
        self.provided_keys = self._subtasks.provides
        self._tasks: List[Subtask] = self._subtasks.tasks
        self._lock = threading.Lock()
        self._running = False
        for subtask in subtasks or ():
            self._add(subtask)

    @property
    def uuid(self) -> Optional[str]:
        """The UUID of the object this task works on."""
        return self._uuid

    def add_subtask(self, task: Subtask) -> "WrapperTask":
        """Add a Subtask, to run after those already added.

        :raises ValueError: not a Subtask, or its ``provides`` name is taken.
        :raises RuntimeError: this task (or the FeedTask that owns it) is
            executing.
        :returns: self, for chaining.
        """
        owner = self._owner
        if owner is not None:
            with owner._lock:
                owner._check_open_for_subtasks()
                return self._add(task)
        return self._add(task)

    def _add(self, task):
        with self._lock:
            if self._running:
                raise RuntimeError(_(
                    "WrapperTask %s is executing; add Subtasks before it "
                    "starts.") % self.name)
            self._subtasks.check(task, "WrapperTask %s" % self.name)
            self._subtasks.add(task)
        return self

    def add_functor_subtask(self, func: Callable, *args,
                            **kwargs) -> "WrapperTask":
        """Add a :class:`FunctorSubtask` built from the arguments."""
        return self.add_subtask(FunctorSubtask(func, *args, **kwargs))

    @property
    def subtasks(self) -> Tuple[Subtask, ...]:
        """The Subtasks, in order, as a tuple."""
        return tuple(self._tasks)

    @property
    def wrapper(self) -> Any:
        """The wrapper: GETs it through the getter on first use (outside
        any lock); after execution, the latest (possibly updated) one."""
        if self._wrapper is None:
            assert self._getter is not None  # set when no wrapper was given
            self._wrapper = self._getter.get()
        return self._wrapper

    def execute(self) -> Optional[Tuple[Any, Dict[str, Any]]]:
        """Run the Subtasks and POST if needed.

        :returns: ``(wrapper, provided)``, or None when there are no
            Subtasks and ``allow_empty`` is set.
        :raises WrapperTaskNoSubtasks: no Subtasks and not ``allow_empty``.
        """
        with self._lock:
            if self._running:
                raise RuntimeError(_("WrapperTask %s is already executing.")
                                   % self.name)
            subtasks = tuple(self._tasks)
            if subtasks:
                self._running = True
        if not subtasks:
            if self.allow_empty:
                LOG.info(_("WrapperTask %s has no Subtasks; nothing to do."),
                         self.name)
                return None
            raise pvmex.WrapperTaskNoSubtasks(name=self.name)
        run = _SubtaskRun(subtasks, self.update_timeout)
        try:
            self._run(run, None)
        finally:
            self._running = False
        return run.wrapper, run.provided

    def _run(self, run: _SubtaskRun, outcome) -> None:
        """One execution of ``run`` as this entry's transaction."""
        first = self._wrapper if self._wrapper is not None else self._getter
        try:
            _transact(self._policy, run, first, (), {}, outcome=outcome,
                      uuid=self._uuid)
        finally:
            if run.wrapper is not None:
                self._wrapper = run.wrapper
        self.provided = run.provided
