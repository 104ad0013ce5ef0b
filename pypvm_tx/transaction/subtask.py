"""Subtasks: one modification of a wrapper that says whether it changed
anything, and the run of a sequence of them on one entry."""

import abc
import inspect
from typing import Any, Callable, Dict, Optional, Sequence

from oslo_log import log as logging

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction.outcome import EntryOutcome

LOG = logging.getLogger(__name__)


def _accepts_provided(func) -> bool:
    """Whether ``func`` declares a ``provided`` parameter or ``**kwargs``."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    for param in params:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return True
        if param.name == "provided" and param.kind in (
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                inspect.Parameter.KEYWORD_ONLY):
            return True
    return False


def _check_provides(provides, what):
    if provides is not None and (not isinstance(provides, str)
                                 or not provides):
        raise ValueError(_("%(what)s provides must be a non-empty string "
                           "naming its return value, or None; got "
                           "%(value)r.") % {"what": what, "value": provides})


class Subtask(abc.ABC):
    """One modification of a wrapper, run inside a :class:`WrapperTask`.

    Subclasses override :meth:`execute`.  The Subtask object only holds the
    arguments; it keeps no state from a run, so one object can be shared
    by many WrapperTasks running in parallel (as :class:`FeedTask` does).

    :param save_args: positional arguments passed to ``execute`` after the
        wrapper.
    :param provides: a name under which ``execute``'s return value is kept
        and shown to later Subtasks of the same WrapperTask (``provided``)
        and in the WrapperTask's results.
    :param flag_update: whether a truthy return asks for a POST (default
        True); False to only provide data to later Subtasks.
    :param save_kwargs: keyword arguments passed to ``execute``.
    :raises ValueError: ``provides`` is not a non-empty string, or
        ``provided`` is among ``save_kwargs`` (it is reserved).
    """

    def __init__(self, *save_args, provides: Optional[str] = None,
                 flag_update: bool = True, **save_kwargs):
        _check_provides(provides, type(self).__name__)
        if "provided" in save_kwargs:
            raise ValueError(_("%s: 'provided' is reserved for the values of "
                               "earlier Subtasks, which WrapperTask passes "
                               "itself; give the argument another name.")
                             % type(self).__name__)
        self.provides = provides
        self.flag_update = flag_update
        self.save_args = tuple(save_args)
        self.save_kwargs = save_kwargs

    @abc.abstractmethod
    def execute(self, wrapper: Any, *args: Any, **kwargs: Any) -> Any:
        """Modify ``wrapper``; return a value whose truth says it changed.

        Called as ``execute(wrapper, *save_args, **save_kwargs)``, plus
        ``provided=`` (the dict of earlier Subtasks' provided values) when
        this method declares a ``provided`` parameter or ``**kwargs``.
        Never call ``wrapper.update()`` or ``refresh()`` here: the
        WrapperTask does that.
        """

    def _wants_provided(self) -> bool:
        wants = self.__dict__.get("_pvm_wants_provided")
        if wants is None:
            wants = _accepts_provided(self.execute)
            self.__dict__["_pvm_wants_provided"] = wants
        return wants

    def __repr__(self):
        return "<%s provides=%r>" % (type(self).__name__, self.provides)


def _call_subtask(subtask: Subtask, wrapper, provided: dict):
    """Run one Subtask; its stored arguments are passed, never modified."""
    if subtask._wants_provided():
        return subtask.execute(wrapper, *subtask.save_args,
                               provided=provided, **subtask.save_kwargs)
    return subtask.execute(wrapper, *subtask.save_args,
                           **subtask.save_kwargs)


def _check_logspec(logspec) -> Optional[tuple]:
    """``logspec`` as a tuple, or None when empty.

    :raises ValueError: non-empty, but not a sequence of at least a
        callable and a format string.
    """
    if logspec is None:
        return None
    try:
        items = tuple(logspec)
    except TypeError:
        items = None
    if items == ():
        return None
    if (items is None or isinstance(logspec, (str, bytes)) or len(items) < 2
            or not callable(items[0])):
        raise ValueError(_(
            "logspec must be a sequence of a callable, a format string and "
            "zero or more arguments, e.g. (LOG.info, 'Doing %%s', name), or "
            "empty/None for no logging; got %r.") % (logspec,))
    return items


class FunctorSubtask(Subtask):
    """A :class:`Subtask` around a plain callable.

    ``func(wrapper, *args, **kwargs)`` does the work; it receives
    ``provided=`` under the rule of :meth:`Subtask.execute`.  ``func`` is
    positional-only, so a keyword argument named ``func`` is passed on to
    it like any other.

    :param logspec: None, empty, or a sequence ``(log_callable, format,
        *format_args)``; ``log_callable(format, *format_args)`` is called
        just before ``func``.  It is never passed to ``func``.
    :raises TypeError: ``func`` is not callable.
    :raises ValueError: ``logspec`` is non-empty but has fewer than two items
        or does not start with a callable.
    """

    def __init__(self, func: Callable, /, *save_args,
                 provides: Optional[str] = None, flag_update: bool = True,
                 logspec: Optional[Sequence] = None, **save_kwargs):
        if not callable(func):
            raise TypeError(_("FunctorSubtask needs a callable taking the "
                              "wrapper first; got %r.") % (func,))
        logspec = _check_logspec(logspec)
        super().__init__(*save_args, provides=provides,
                         flag_update=flag_update, **save_kwargs)
        self._func = func
        self._logspec = logspec
        self._func_wants_provided = _accepts_provided(func)

    def execute(self, wrapper: Any, *args: Any, **kwargs: Any) -> Any:
        """Log per ``logspec``, then call the wrapped callable."""
        if not self._func_wants_provided:
            kwargs.pop("provided", None)
        if self._logspec is not None:
            self._logspec[0](*self._logspec[1:])
        return self._func(wrapper, *args, **kwargs)

    def _wants_provided(self) -> bool:
        return self._func_wants_provided

    def __repr__(self):
        return "<FunctorSubtask %s provides=%r>" % (
            getattr(self._func, "__qualname__", self._func), self.provides)


#: The peer's name, for code written against it.
_FunctorSubtask = FunctorSubtask


def _check_subtask(subtask, provides_names, owner):
    if not isinstance(subtask, Subtask):
        raise ValueError(_("%(owner)s: add_subtask takes a Subtask (a "
                           "Subtask subclass instance or FunctorSubtask); "
                           "got %(type)s.") % {
            "owner": owner, "type": type(subtask).__name__})
    if subtask.provides is not None and subtask.provides in provides_names:
        raise ValueError(_("%(owner)s already has a Subtask providing "
                           "%(name)r; each provides name must be unique "
                           "within a WrapperTask.") % {
            "owner": owner, "name": subtask.provides})


class _SubtaskList:
    """Subtasks in the order added and the ``provides`` names they use:
    the bookkeeping a WrapperTask keeps for its entry and a FeedTask for
    every entry."""

    __slots__ = ("tasks", "provides")

    def __init__(self):
        self.tasks: list = []
        self.provides: set = set()

    def check(self, task, owner: str) -> None:
        """:raises ValueError: ``task`` is not a Subtask, or its
        ``provides`` name is taken here."""
        _check_subtask(task, self.provides, owner)

    def add(self, task) -> None:
        self.tasks.append(task)
        if task.provides is not None:
            self.provides.add(task.provides)


class _SubtaskRun:
    """One entry's Subtask sequence, as the function of a transaction.

    Called once per attempt with the (fresh) wrapper: starts a new
    ``provided`` dict, runs the Subtasks in order and POSTs once if any
    flagged a change.

    A POST whose reply was lost (a ``ConnectionError`` or ``TimeoutError``
    with ``request_sent``) may have been applied.  Still under the lock,
    the entry is re-read: the etag the POST was sent with means it was not
    (the entry failed); a new etag on which the Subtasks flag no change
    means it was (the entry is updated, with the fresh wrapper); anything
    else, a failed re-read included, leaves it ``'unknown'``.
    """

    __slots__ = ("subtasks", "update_timeout", "provided", "updated",
                 "wrapper", "failed_status", "_flagged")

    def __init__(self, subtasks, update_timeout):
        self.subtasks = subtasks
        self.update_timeout = update_timeout
        self.provided = {}
        self.updated = False
        self.wrapper = None
        #: The outcome status should the run raise.
        self.failed_status = EntryOutcome.FAILED

    def __call__(self, wrapper):
        self.wrapper = wrapper
        self.provided = self._run_subtasks(wrapper)
        self.updated = False
        self.failed_status = EntryOutcome.FAILED
        if self._flagged:
            try:
                wrapper = wrapper.update(timeout=self.update_timeout)
            except (pvmex.ConnectionError, pvmex.TimeoutError) as exc:
                if not getattr(exc, "request_sent", False):
                    raise
                fresh = self._landed_copy(wrapper, exc)
                if fresh is None:
                    raise
                wrapper = fresh
            self.wrapper = wrapper
            self.updated = True
        return wrapper

    def _run_subtasks(self, wrapper) -> dict:
        """Run every Subtask on ``wrapper``; set ``_flagged``; return the
        provided values."""
        provided: Dict[str, Any] = {}
        flagged = False
        for subtask in self.subtasks:
            ret = _call_subtask(subtask, wrapper, provided)
            if subtask.flag_update and ret:
                flagged = True
            if subtask.provides is not None:
                provided[subtask.provides] = ret
        self._flagged = flagged
        return provided

    def _landed_copy(self, sent, lost):
        """After the reply to POSTing ``sent`` was lost (``lost``): the
        server's copy if it shows the change landed, else None, with
        ``failed_status`` saying which failure it is."""
        uuid = sent.uuid
        self.failed_status = EntryOutcome.UNKNOWN
        try:
            fresh = sent.refresh(use_etag=False)
            if sent.etag is not None and fresh.etag == sent.etag:
                self.failed_status = EntryOutcome.FAILED
                LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                              "(%(exc)s); the entry is unchanged since, so "
                              "the POST was not applied."),
                            {"uuid": uuid, "exc": lost})
                return None
            self._run_subtasks(fresh)
        except Exception:
            LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                          "(%(exc)s) and re-reading the entry failed; whether "
                          "the change was applied is unknown."),
                        {"uuid": uuid, "exc": lost}, exc_info=True)
            return None
        if self._flagged:
            LOG.warning(_("The reply to the POST of %(uuid)s was lost "
                          "(%(exc)s) and the entry has changed since, but not "
                          "as this POST would have changed it; whether it was "
                          "applied is unknown."), {"uuid": uuid, "exc": lost})
            return None
        LOG.info(_("The reply to the POST of %s was lost, but re-reading the "
                   "entry shows the change was applied."), uuid)
        self.failed_status = EntryOutcome.FAILED
        return fresh
