"""Partitions as an orchestrator sees them: which Virtual I/O Servers can
serve storage now, and a FeedTask over those.

A VIOS is *active* when it is running and its RMC connection (the
console's channel to its operating system, which mapping changes need)
is active or busy -- busy only means it is working on something.  The
management partition needs no RMC connection to count.
"""

from typing import Any, Iterable, List, Optional

from oslo_log import log as logging

from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.adapter.paths import Xag
from pypvm_tx.wrappers.entry_wrapper import EntryWrapper
from pypvm_tx.wrappers.logical_partition import LPARState, RMCState
from pypvm_tx.wrappers.virtual_io_server import VIOS

LOG = logging.getLogger(__name__)

#: RMC states in which a running VIOS can take mapping changes.
_USABLE_RMC_STATES = (RMCState.ACTIVE, RMCState.BUSY)

#: Partition states in which a VIOS serves anything.
_UP_STATES = (LPARState.RUNNING,)

#: The groups a VIOS FeedTask reads by default: what storage and mapping
#: changes work on.
MAPPING_XAGS = (c.XAG.VIO_STOR, c.XAG.VIO_SMAP, c.XAG.VIO_FMAP)


def is_active(vios_w: VIOS) -> bool:
    """Whether ``vios_w`` is running and reachable (see the module)."""
    return vios_w.state in _UP_STATES and (
        vios_w.rmc_state in _USABLE_RMC_STATES or vios_w.is_mgmt_partition)


def get_active_vioses(adapter: Any, xag: Xag = (),
                      vios_wraps: Optional[Iterable[VIOS]] = None,
                      find_min: Optional[int] = None) -> List[VIOS]:
    """The active VIOSes of the host, the management partition first.

    :param adapter: the Adapter to read the VIOS feed through.
    :param xag: extended attribute groups to read the feed with.
    :param vios_wraps: VIOS wrappers to choose from instead of reading the
        feed.
    :param find_min: the fewest active VIOSes acceptable.
    :raises NotEnoughActiveVioses: fewer than ``find_min`` are active.
    """
    if vios_wraps is None:
        vios_wraps = VIOS.get(adapter, xag=xag)
    # sorted() is stable: the others keep the feed's order.
    active = sorted((v for v in vios_wraps if is_active(v)),
                    key=lambda v: not v.is_mgmt_partition)
    if find_min is not None and len(active) < find_min:
        raise pvmex.NotEnoughActiveVioses(exp=find_min, act=len(active))
    LOG.debug("Active Virtual I/O Servers: %s", [v.name for v in active])
    return active


def build_active_vio_feed_task(adapter: Any, name: str = "vio_feed_task",
                               xag: Xag = MAPPING_XAGS,
                               **feed_task_kwargs: Any) -> tx.FeedTask:
    """A :class:`~pypvm_tx.transaction.FeedTask` over the active VIOSes,
    read with ``xag`` (by default the storage and both mapping groups), to
    which the caller adds the Subtasks that change their mappings.

    ``feed_task_kwargs`` go to the FeedTask (e.g. ``max_workers``).

    :raises NotEnoughActiveVioses: no VIOS is active.
    """
    feed: List[EntryWrapper] = list(get_active_vioses(adapter, xag=xag,
                                                      find_min=1))
    return tx.FeedTask(name, feed, **feed_task_kwargs)
