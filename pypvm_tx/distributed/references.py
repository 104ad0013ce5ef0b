"""Subtasks by reference: what lets a Subtask travel to a worker process.

A distributed FeedTask does not ship code to its workers; it ships the
*name* of the code and the data it needs.  A Subtask travels as the
import path of its class (``'package.module:Class'``) and its instance
attributes as JSON; a :class:`~pypvm_tx.transaction.FunctorSubtask` as
the import path of its function and its arguments.  The worker imports
the same names and rebuilds the Subtask.

Anything a worker could not rebuild -- a lambda, a nested function, a
closure, a bound method, an open file or a lock among the arguments --
is refused with a ``TypeError`` naming it, when the Subtask is added,
rather than failing later in some other process.  Tuples arrive as
lists (JSON has no tuples).
"""

import importlib
import json
from typing import Any, Callable, Dict

from pypvm_tx.i18n import _

#: Instance attributes a Subtask computes for itself (never shipped).
_CACHED = ("_pvm_wants_provided",)


def reference(obj: Any, what: str) -> str:
    """The import path ``'module:qualname'`` of ``obj``.

    :param what: how messages name ``obj`` (e.g. "the functor").
    :raises TypeError: ``obj`` cannot be imported back by that path (a
        lambda, a nested function, a closure, a bound method, or an
        object that is not module-level).
    """
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise TypeError(_(
            "%(what)s %(obj)r cannot travel to a worker process: only a "
            "module-level class or function can (a worker imports it by "
            "name), not a lambda, a nested function or a closure.") % {
            "what": what, "obj": obj})
    path = "%s:%s" % (module, qualname)
    try:
        found = resolve(path)
    except (ImportError, AttributeError) as exc:
        raise TypeError(_(
            "%(what)s %(obj)r cannot travel to a worker process: %(path)s "
            "cannot be imported (%(exc)s).") % {
            "what": what, "obj": obj, "path": path, "exc": exc}) from exc
    if found is not obj:
        raise TypeError(_(
            "%(what)s %(obj)r cannot travel to a worker process: importing "
            "%(path)s gives another object (a bound method, a decorated or "
            "redefined function?).") % {"what": what, "obj": obj,
                                         "path": path})
    return path


def resolve(path: str) -> Any:
    """Import ``'module:qualname'`` and return the object it names.

    :raises ImportError: the module cannot be imported.
    :raises AttributeError: the module has no such name.
    """
    module_name, _sep, qualname = path.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def check_json(what: str, value: Any) -> Any:
    """``value`` if JSON can carry it to a worker.

    :raises TypeError: naming ``what`` and the value JSON refused.
    """
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(_(
            "%(what)s cannot travel to a worker process: it must be "
            "JSON-serialisable (numbers, strings, lists, dicts, None); "
            "%(exc)s.") % {"what": what, "exc": exc}) from exc
    return value


def _check_values(owner: str, args, kwargs) -> None:
    for index, arg in enumerate(args):
        check_json(_("Argument %(index)d of %(owner)s (%(value)r)") % {
            "index": index, "owner": owner, "value": arg}, arg)
    for key, arg in kwargs.items():
        check_json(_("Argument %(key)s= of %(owner)s (%(value)r)") % {
            "key": key, "owner": owner, "value": arg}, arg)


def subtask_spec(subtask: Any) -> Dict[str, Any]:
    """What a worker needs to rebuild ``subtask``: JSON-serialisable.

    :raises TypeError: the Subtask's class or function is not importable
        by module path, one of its arguments or attributes is not
        JSON-serialisable, or a FunctorSubtask has a ``logspec`` (its log
        callable cannot travel).
    """
    from pypvm_tx.transaction.subtask import FunctorSubtask

    if isinstance(subtask, FunctorSubtask):
        return _functor_spec(subtask)
    cls_path = reference(type(subtask), _("The Subtask class"))
    state = {key: value for key, value in vars(subtask).items()
             if key not in _CACHED}
    owner = _("Subtask %s") % cls_path
    _check_values(owner, state.pop("save_args", ()),
                  state.pop("save_kwargs", {}))
    for key, value in state.items():
        check_json(_("Attribute %(key)s of %(owner)s (%(value)r)") % {
            "key": key, "owner": owner, "value": value}, value)
    return {"class": cls_path,
            "state": {key: value for key, value in vars(subtask).items()
                      if key not in _CACHED}}


def _functor_spec(subtask: Any) -> Dict[str, Any]:
    func_path = reference(subtask._func, _("The functor"))
    if subtask._logspec is not None:
        raise TypeError(_(
            "The functor %s has a logspec; a distributed FeedTask cannot "
            "send its log callable to a worker process: log from the "
            "function itself.") % func_path)
    _check_values(_("the functor %s") % func_path, subtask.save_args,
                  subtask.save_kwargs)
    return {"functor": func_path, "args": list(subtask.save_args),
            "kwargs": dict(subtask.save_kwargs),
            "provides": subtask.provides,
            "flag_update": subtask.flag_update}


def load_subtask(spec: Dict[str, Any]) -> Any:
    """The Subtask :func:`subtask_spec` described, rebuilt here."""
    from pypvm_tx.transaction.subtask import FunctorSubtask, Subtask

    if "functor" in spec:
        func: Callable = resolve(spec["functor"])
        return FunctorSubtask(func, *spec["args"],
                              provides=spec["provides"],
                              flag_update=spec["flag_update"],
                              **spec["kwargs"])
    cls = resolve(spec["class"])
    if not (isinstance(cls, type) and issubclass(cls, Subtask)):
        raise TypeError(_("%s is not a Subtask class.") % spec["class"])
    subtask = cls.__new__(cls)
    state = dict(spec["state"])
    state["save_args"] = tuple(state.get("save_args", ()))
    subtask.__dict__.update(state)
    return subtask
