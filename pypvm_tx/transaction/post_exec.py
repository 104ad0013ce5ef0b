"""The post-execute phase of a FeedTask: its tasks run in order in a
TaskFlow engine (persisted in the run's record when it has one), with
every entry's results and outcomes in the engine's store."""

from typing import Any, Dict, Iterable, List, Optional, Set

from oslo_log import log as logging
from taskflow import engines as tf_engines
from taskflow import exceptions as tf_exc
from taskflow import flow as tf_flow
from taskflow import task as tf_task
from taskflow.patterns import linear_flow as tf_lf

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction.run_record import RunRecord

LOG = logging.getLogger(__name__)

#: Store names the post-execute tasks of a FeedTask may require.
WRAPPER_TASK_RETS = "wrapper_task_rets"
WRAPPER_TASK_OUTCOMES = "wrapper_task_outcomes"


def atom_names(item) -> List[str]:
    """Names of every task in ``item`` (a task, or a flow, recursively)."""
    if isinstance(item, tf_flow.Flow):
        names = []
        for node, _meta in item.iter_nodes():
            names.extend(atom_names(node))
        return names
    return [item.name]


def post_exec_names(name: str, items: Iterable[Any]) -> List[str]:
    """Names of every task in ``items``, given to FeedTask ``name``'s
    ``add_post_execute``.

    :raises TypeError: an item is not a TaskFlow task or flow.
    """
    names: List[str] = []
    for item in items:
        if not isinstance(item, (tf_task.Task, tf_flow.Flow)):
            raise TypeError(_("FeedTask %(name)s: add_post_execute takes "
                              "TaskFlow tasks or flows; got %(type)s.") % {
                "name": name, "type": type(item).__name__})
        names.extend(atom_names(item))
    return names


def unique_names(name: str, names: Iterable[str],
                 taken: Set[str]) -> Set[str]:
    """``taken`` with ``names`` added (``taken`` itself is not changed).

    :raises ValueError: a name is taken already, or given twice.
    """
    seen = set(taken)
    for task_name in names:
        if task_name in seen:
            raise ValueError(_(
                "FeedTask %(name)s already has a post-execute task "
                "named %(task)r; post-execute task names must be "
                "unique.") % {"name": name, "task": task_name})
        seen.add(task_name)
    return seen


def run_post_exec(name: str, rets: Dict[str, Any], outcomes: Dict,
                  items: List[Any],
                  run: Optional[RunRecord] = None) -> Dict[str, Any]:
    """Run ``items`` in order after FeedTask ``name``'s entries; with a
    ``run``, on an engine persisted there, so that a task that finished is
    not run again.

    :returns: ``rets`` and what the tasks provided.
    :raises MultipleExceptionsInFeedTask: several tasks failed.
    """
    if not items:
        return rets
    flow = tf_lf.Flow("%s_post_execs" % name)
    flow.add(*items)
    store = dict(rets)
    store[WRAPPER_TASK_OUTCOMES] = outcomes
    if run is not None:
        engine = run.engine(flow, store)
    else:
        engine = tf_engines.load(flow, store=store)
    try:
        engine.run()
    except tf_exc.WrappedFailure as wrapped:
        LOG.error(_("FeedTask %s: several post-execute tasks failed; "
                    "each is logged below."), name)
        for failure in wrapped:
            LOG.error(failure.pformat(traceback=True))
        raise pvmex.MultipleExceptionsInFeedTask(
            name, wrapped, outcomes=outcomes) from None
    results = engine.storage.fetch_all()
    results.pop(WRAPPER_TASK_OUTCOMES, None)
    return results
