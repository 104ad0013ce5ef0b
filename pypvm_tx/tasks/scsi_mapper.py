"""Virtual SCSI mappings of a VIOS: build, add, find and remove them.

Each function changes only the VIOS wrapper it is given; run it inside a
Subtask of a :class:`~pypvm_tx.transaction.WrapperTask` or
:class:`~pypvm_tx.transaction.FeedTask` (for example one from
:func:`pypvm_tx.tasks.partition.build_active_vio_feed_task`), which
writes the VIOS back once and redoes the change on a fresh copy if
another writer got there first::

    def attach(vios_w):
        mapping = scsi_mapper.build_vscsi_mapping(None, vios_w, lpar_uuid,
                                                  disk)
        return scsi_mapper.add_map(vios_w, mapping) is not None

    feed_task.add_functor_subtask(attach)

A client partition is named by its short id or its UUID.  A mapping
without a client adapter is an *orphan*: its client side is gone.
"""

from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Type)

from pypvm_tx.i18n import _
from pypvm_tx.tasks._ids import (ClientId, href_uuid, same_uuid,
                                 serves_client)
from pypvm_tx.wrappers.base import ElementWrapper
from pypvm_tx.wrappers.virtual_io_server import VIOS, VSCSIMapping

#: A test of a mapping's backing storage (None when it has none).
MatchFunc = Callable[[Optional[ElementWrapper]], bool]


def _match_all(_stg: Optional[ElementWrapper]) -> bool:
    return True


def _same_storage(stg_elem: ElementWrapper) -> MatchFunc:
    """Matches storage of ``stg_elem``'s type and name."""
    def match(stg: Optional[ElementWrapper]) -> bool:
        return (stg is not None and stg.schema_type == stg_elem.schema_type
                and getattr(stg, "name", None) == getattr(stg_elem, "name",
                                                          None))
    return match


def _is_client(mapping: VSCSIMapping, client_lpar_id: Optional[ClientId]
               ) -> bool:
    """Whether ``mapping`` serves that client (any client for None, or
    another false value, as the peer)."""
    return not client_lpar_id or serves_client(mapping, client_lpar_id)


def find_maps(mapping_list: Iterable[VSCSIMapping],
              client_lpar_id: Optional[ClientId] = None,
              match_func: Optional[MatchFunc] = None,
              stg_elem: Optional[ElementWrapper] = None,
              include_orphans: bool = False) -> List[VSCSIMapping]:
    """The mappings of ``mapping_list`` for one client whose storage
    matches.

    :param client_lpar_id: the client's short id or UUID (a UUID matches
        the mapping's client link, so mappings without one never match
        it); None: every client.
    :param match_func: called with each mapping's backing storage (or
        None); the mapping is kept when it returns True.
    :param stg_elem: keep mappings of storage with this one's type and
        name (instead of ``match_func``).
    :param include_orphans: consider mappings without a client adapter.
    :raises ValueError: both ``match_func`` and ``stg_elem`` are given, or
        ``client_lpar_id`` is neither a short id nor a UUID.
    """
    if match_func is not None and stg_elem is not None:
        raise ValueError(_("Give match_func or stg_elem, not both."))
    if stg_elem is not None:
        match_func = _same_storage(stg_elem)
    match = match_func or _match_all
    return [mapping for mapping in mapping_list
            if (include_orphans or mapping.client_adapter is not None)
            and _is_client(mapping, client_lpar_id)
            and match(mapping.backing_storage)]


def gen_match_func(wcls: Type[ElementWrapper], name_prop: str = "name",
                   names: Optional[Sequence[str]] = None,
                   prefixes: Optional[Sequence[str]] = None,
                   udids: Optional[Sequence[str]] = None) -> MatchFunc:
    """A ``match_func`` for :func:`find_maps`: storage of class ``wcls``
    whose ``name_prop`` is one of ``names``, else starts with one of
    ``prefixes``, else whose ``udid`` is one of ``udids``; with none of
    the three, any storage of that class."""
    def match(stg: Optional[ElementWrapper]) -> bool:
        if not isinstance(stg, wcls):
            return False
        if names:
            return getattr(stg, name_prop) in names
        if prefixes:
            value = getattr(stg, name_prop) or ""
            return any(value.startswith(prefix) for prefix in prefixes)
        if udids:
            return getattr(stg, "udid", None) in udids
        return True
    return match


def add_map(vios_w: VIOS, scsi_mapping: VSCSIMapping
            ) -> Optional[VSCSIMapping]:
    """Add ``scsi_mapping`` to ``vios_w`` unless that client already has
    a mapping of the same storage.

    :return: the mapping added, or None when there was one already (so a
        Subtask can say whether it changed anything).
    """
    client = href_uuid(scsi_mapping.client_lpar_href)
    if client is None:
        raise ValueError(_("A mapping to add needs its client LPAR link "
                           "(build it with VSCSIMapping.bld)."))
    if find_maps(vios_w.scsi_mappings, client_lpar_id=client,
                 stg_elem=scsi_mapping.backing_storage):
        return None
    vios_w.scsi_mappings.append(scsi_mapping)
    return scsi_mapping


def remove_maps(vwrap: VIOS, client_lpar_id: ClientId,
                match_func: Optional[MatchFunc] = None,
                include_orphans: bool = True) -> List[VSCSIMapping]:
    """Remove from ``vwrap`` the client's mappings that ``match_func``
    accepts (all of them when None), orphans included unless
    ``include_orphans`` is False.

    :return: the mappings removed.
    """
    removed = find_maps(vwrap.scsi_mappings, client_lpar_id=client_lpar_id,
                        match_func=match_func,
                        include_orphans=include_orphans)
    mappings = vwrap.scsi_mappings
    for mapping in removed:
        mappings.remove(mapping)
    return removed


def build_vscsi_mapping(host_uuid: Optional[str], vios_w: VIOS,
                        lpar_uuid: str, storage_elem: Any,
                        fuse_limit: int = 32,
                        lpar_slot_num: Optional[int] = None,
                        lua: Optional[str] = None,
                        target_name: Optional[str] = None
                        ) -> VSCSIMapping:
    """A mapping of ``storage_elem`` to the LPAR ``lpar_uuid`` for
    ``vios_w`` (not added to it: see :func:`add_map`).

    The mapping goes on an adapter pair the LPAR already has on this VIOS
    while that pair serves fewer than ``fuse_limit`` devices; otherwise a
    new pair is asked for.  ``host_uuid`` is not used.

    :param lpar_slot_num: the client slot, if not the server's choice.
    :param lua: the target device's logical unit address.
    :param target_name: the target device's name.
    """
    for group in _by_server_adapter(vios_w, lpar_uuid).values():
        if len(group) < fuse_limit:
            return VSCSIMapping.bld_from_existing(
                group[0], storage_elem, lpar_slot_num=lpar_slot_num, lua=lua,
                target_name=target_name)
    adapter = getattr(storage_elem, "adapter", None) or vios_w.adapter
    return VSCSIMapping.bld(adapter, None, lpar_uuid, storage_elem,
                            lpar_slot_num=lpar_slot_num, lua=lua,
                            target_name=target_name)


def _by_server_adapter(vios_w: VIOS, lpar_uuid: str
                       ) -> Dict[Optional[str], List[VSCSIMapping]]:
    """The LPAR's mappings on ``vios_w`` (orphans left out), grouped by
    the server adapter they use (its unique device id)."""
    groups: Dict[Optional[str], List[VSCSIMapping]] = {}
    for mapping in vios_w.scsi_mappings:
        server = mapping.server_adapter
        if (mapping.client_adapter is None or server is None
                or not same_uuid(href_uuid(mapping.client_lpar_href),
                                 lpar_uuid)):
            continue
        groups.setdefault(server.udid, []).append(mapping)
    return groups
