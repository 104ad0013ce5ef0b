"""Virtual Fibre Channel (NPIV) mappings of a VIOS: add, find and remove
them.

A *port map* is a pair ``(physical_port_wwpn, "client_wwpn1
client_wwpn2")``: which physical port of a VIOS serves a client, and the
client's two WWPNs (``"-1 -1"`` while the server is to generate them).
Each function changes only the VIOS wrapper it is given; run it inside a
Subtask of a :class:`~pypvm_tx.transaction.WrapperTask` or
:class:`~pypvm_tx.transaction.FeedTask`, which writes the VIOS back.
"""

from typing import Iterable, List, Optional, Sequence, Tuple, cast

from oslo_log import log as logging

from pypvm_tx import exceptions as pvmex
from pypvm_tx.tasks._ids import (ClientId, id_or_uuid, serves_client)
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers.virtual_io_server import VIOS, VFCMapping

LOG = logging.getLogger(__name__)

#: A client WWPN the server is to generate, and a pair of them.
ANY_WWPN = "-1"
FUSED_ANY_WWPN = "-1 -1"

#: ``(physical port WWPN, "client WWPN client WWPN")``.
PortMap = Tuple[str, str]


def sanitize_wwpn(wwpn: str) -> str:
    """A WWPN as the server writes it: upper case, without colons."""
    return wwpn.upper().replace(":", "")


def _client_wwpns(port_map: PortMap) -> List[str]:
    return [sanitize_wwpn(w) for w in port_map[1].split()]


def find_vios_for_wwpn(vios_wraps: Sequence[VIOS], p_port_wwpn: str
                       ) -> Tuple[Optional[VIOS], Optional[stor.PhysFCPort]]:
    """The VIOS with the physical port ``p_port_wwpn``, and that port;
    ``(None, None)`` when none has it."""
    wanted = sanitize_wwpn(p_port_wwpn)
    for vios_w in vios_wraps:
        for port in vios_w.pfc_ports:
            if port.wwpn and sanitize_wwpn(port.wwpn) == wanted:
                return vios_w, port
    return None, None


def _wwpns_match(mapping: VFCMapping,
                 client_adpt: Optional[stor.VFCClientAdapterElement],
                 port_map: Optional[PortMap]) -> bool:
    """Whether the mapping's client WWPNs are those ``client_adpt`` and
    ``port_map`` ask for (each check only when given)."""
    mine = cast(Optional[stor.VFCClientAdapterElement],
                mapping.client_adapter)
    if client_adpt is not None and set(client_adpt.wwpns) != {ANY_WWPN}:
        if mine is None or set(client_adpt.wwpns) != set(mine.wwpns):
            return False
    if port_map:
        wanted = _client_wwpns(port_map)
        if mine is None:
            return False
        if wanted == [ANY_WWPN, ANY_WWPN]:
            return mine.wwpns == []  # a new mapping: none generated yet
        return set(mine.wwpns) == set(wanted)
    return True


def find_maps(mapping_list: Iterable[VFCMapping], client_lpar_id: ClientId,
              client_adpt: Optional[stor.VFCClientAdapterElement] = None,
              port_map: Optional[PortMap] = None) -> List[VFCMapping]:
    """The mappings of ``mapping_list`` for the client ``client_lpar_id``
    (short id or UUID; a UUID matches the mapping's client link), and with
    the WWPNs of ``client_adpt`` / ``port_map`` when given.

    :raises ValueError: ``client_lpar_id`` is neither an id nor a UUID.
    """
    id_or_uuid(client_lpar_id)  # refuse a bad id even for an empty list
    return [m for m in mapping_list if serves_client(m, client_lpar_id)
            and _wwpns_match(m, client_adpt, port_map)]


def remove_maps(v_wrap: VIOS, client_lpar_id: ClientId,
                client_adpt: Optional[stor.VFCClientAdapterElement] = None,
                port_map: Optional[PortMap] = None) -> List[VFCMapping]:
    """Remove from ``v_wrap`` the mappings :func:`find_maps` finds.

    :return: the mappings removed.
    """
    removed = find_maps(v_wrap.vfc_mappings, client_lpar_id,
                        client_adpt=client_adpt, port_map=port_map)
    mappings = v_wrap.vfc_mappings
    for mapping in removed:
        mappings.remove(mapping)
    return removed


def add_map(vios_w: VIOS, host_uuid: Optional[str], lpar_uuid: str,
            port_map: PortMap, error_if_invalid: bool = True,
            lpar_slot_num: Optional[int] = None) -> Optional[VFCMapping]:
    """Map the LPAR ``lpar_uuid`` to the physical port ``port_map`` names
    on ``vios_w``, with the port map's client WWPNs.

    A mapping with those WWPNs that lacks its physical port gets the port;
    one that has it is left alone.

    :param host_uuid: the system's UUID (a CHILD link to the LPAR), or None.
    :param error_if_invalid: raise when ``vios_w`` lacks the port (else
        return None).
    :param lpar_slot_num: the client slot, if not the server's choice.
    :return: the mapping added or completed; None when there was nothing
        to do.
    :raises UnableToDerivePhysicalPortForNPIV: ``vios_w`` has no port with
        that WWPN and ``error_if_invalid`` is true.
    """
    found, port = find_vios_for_wwpn([vios_w], port_map[0])
    if found is None or port is None:
        if error_if_invalid:
            raise pvmex.UnableToDerivePhysicalPortForNPIV(
                wwpn=port_map[0], vio_uri=vios_w.href)
        return None
    wwpns = None if port_map[1] == FUSED_ANY_WWPN else _client_wwpns(port_map)
    if wwpns is not None:
        for mapping in vios_w.vfc_mappings:
            client = cast(Optional[stor.VFCClientAdapterElement],
                          mapping.client_adapter)
            if client is None or set(client.wwpns) != set(wwpns):
                continue
            if mapping.backing_port is not None:
                return None  # already complete
            LOG.info("Adding port %(port)s to the mapping of WWPNs "
                     "%(wwpns)s.", {"port": port.name, "wwpns": wwpns})
            mapping.backing_port = stor.PhysFCPort.bld_ref(
                vios_w.adapter, port.name, ref_tag="Port")
            return mapping
    mapping = VFCMapping.bld(vios_w.adapter, host_uuid, lpar_uuid, port.name,
                             client_wwpns=wwpns, lpar_slot_num=lpar_slot_num)
    vios_w.vfc_mappings.append(mapping)
    return mapping
