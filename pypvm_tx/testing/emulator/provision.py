"""What the server fills in when a VIOS comes back with new mappings.

A client asks for a new virtual adapter pair by sending a mapping whose
adapters say ``UseNextAvailableSlotID`` (see ``VSCSIMapping.bld``); the
server then picks the slots, names the server adapter (``vhostN`` /
``vfchostN``), writes both partitions' ids on both ends, and makes a
target device (``vtscsiN``) for storage that has none.  The emulator does
the same on a POST, so a client reads back what it would from a real
console (and finds the mapping again by the client's short id).
"""

from typing import Callable, Dict, List, Optional, Set

from lxml import etree

from pypvm_tx.testing.emulator.common import UOM
from pypvm_tx.wrappers.base import insert_in_order
from pypvm_tx.wrappers.mappings import SCSI_MAPPING_CHILD_ORDER
from pypvm_tx.wrappers.storage import (ADAPTER_CHILD_ORDER, STORAGE_TYPES,
                                       TARGET_DEV_CHILD_ORDER)

#: The first slot the server gives a new server adapter on a VIOS, and a
#: new client adapter on an LPAR.
FIRST_SERVER_SLOT = 1000
FIRST_CLIENT_SLOT = 2

#: Per mapping kind: its list, server adapter name prefix, and the
#: elements naming the other end's partition id and slot.
_KINDS = (
    ("VirtualSCSIMappings/VirtualSCSIMapping", "vhost",
     "RemoteLogicalPartitionID", "RemoteSlotNumber"),
    ("VirtualFibreChannelMappings/VirtualFibreChannelMapping", "vfchost",
     "ConnectingPartitionID", "ConnectingVirtualSlotNumber"),
)


def _q(path: str) -> str:
    return "/".join(UOM + part for part in path.split("/"))


def _int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class _Book:
    """What is taken on one VIOS: slots, adapter names, target names."""

    def __init__(self, vios: etree._Element):
        self.server_slots: Set[int] = set()
        self.names: Set[str] = set()
        self.client_slots: Dict[int, Set[int]] = {}
        for adapter in vios.iter(UOM + "ServerAdapter"):
            self._take(self.server_slots,
                       adapter.findtext(UOM + "VirtualSlotNumber"))
            self.names.add(adapter.findtext(UOM + "AdapterName") or "")
        for adapter in vios.iter(UOM + "ClientAdapter"):
            lpar = _int(adapter.findtext(UOM + "LocalPartitionID"))
            if lpar is not None:
                self._take(self.client_slots.setdefault(lpar, set()),
                           adapter.findtext(UOM + "VirtualSlotNumber"))
        self.names.update(t.text or "" for t in vios.iter(UOM + "TargetName"))

    @staticmethod
    def _take(taken: Set[int], text: Optional[str]) -> None:
        slot = _int(text)
        if slot is not None:
            taken.add(slot)

    @staticmethod
    def _next(taken: Set[int], first: int) -> int:
        slot = first
        while slot in taken:
            slot += 1
        taken.add(slot)
        return slot

    def server_slot(self) -> int:
        return self._next(self.server_slots, FIRST_SERVER_SLOT)

    def client_slot(self, lpar_id: int) -> int:
        return self._next(self.client_slots.setdefault(lpar_id, set()),
                          FIRST_CLIENT_SLOT)

    def name(self, prefix: str) -> str:
        number = 0
        while "%s%d" % (prefix, number) in self.names:
            number += 1
        self.names.add("%s%d" % (prefix, number))
        return "%s%d" % (prefix, number)


def _fill(adapter: etree._Element, values: Dict[str, object]) -> None:
    """Write ``values`` into ``adapter`` in schema order; the request for
    a new slot is answered, so it goes."""
    for request in adapter.findall(UOM + "UseNextAvailableSlotID"):
        adapter.remove(request)
    for name, value in values.items():
        elem = adapter.find(UOM + name)
        if elem is None:
            elem = etree.Element(UOM + name)
            insert_in_order(adapter, elem, ADAPTER_CHILD_ORDER)
        elem.text = str(value)


def _asks_new(adapter: Optional[etree._Element]) -> bool:
    return adapter is not None and (adapter.findtext(
        UOM + "UseNextAvailableSlotID") or "").strip() == "true"


def _link_uuid(mapping: etree._Element) -> str:
    link = mapping.find(UOM + "AssociatedLogicalPartition")
    href = link.get("href", "") if link is not None else ""
    return href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _pair(mapping: etree._Element, kind, book: _Book, vios_id: int,
          client_id_of: Callable[[str], int]) -> bool:
    """Give a mapping that asks for a new adapter pair its pair."""
    _path, prefix, remote_id, remote_slot = kind
    server = mapping.find(UOM + "ServerAdapter")
    client = mapping.find(UOM + "ClientAdapter")
    if server is None or not _asks_new(server):
        return False
    lpar_id = client_id_of(_link_uuid(mapping))
    server_slot = book.server_slot()
    given = _int(client.findtext(UOM + "VirtualSlotNumber")) \
        if client is not None and not _asks_new(client) else None
    client_slot = given if given is not None else book.client_slot(lpar_id)
    values: Dict[str, object] = {
        "LocalPartitionID": vios_id, "VirtualSlotNumber": server_slot,
        "AdapterName": book.name(prefix), remote_id: lpar_id,
        remote_slot: client_slot,
        "UniqueDeviceID": "1eU8247.22L.2125D4A-V%d-C%d" % (vios_id,
                                                          server_slot)}
    port = mapping.findtext(_q("Port/PortName"))
    if port:
        values["MapPort"] = port
    _fill(server, values)
    if client is not None:
        client_values: Dict[str, object] = {
            "LocalPartitionID": lpar_id, "VirtualSlotNumber": client_slot,
            remote_id: vios_id, remote_slot: server_slot}
        if prefix == "vfchost" and not client.findtext(UOM + "WWPNs"):
            client_values["WWPNs"] = "c05076%06x%04x c05076%06x%04x" % (
                lpar_id, client_slot * 2, lpar_id, client_slot * 2 + 1)
        _fill(client, client_values)
    return True


def _target(mapping: etree._Element, book: _Book) -> bool:
    """Give served storage without a target device its ``vtscsiN``."""
    storage = mapping.find(UOM + "Storage")
    if storage is None or len(storage) != 1:
        return False
    holder = mapping.find(UOM + "TargetDevice")
    if holder is not None and len(holder) > 1:
        return False  # not a shape the server makes; leave it alone
    if holder is not None and len(holder) == 1:
        device = holder[0]
        if device.findtext(UOM + "TargetName"):
            return False
    else:
        kind = STORAGE_TYPES.get(etree.QName(storage[0]).localname)
        if kind is None:
            return False
        if holder is None:
            holder = etree.Element(UOM + "TargetDevice")
            insert_in_order(mapping, holder, SCSI_MAPPING_CHILD_ORDER)
        device = etree.SubElement(
            holder, UOM + str(kind.target_dev_type.schema_type),
            attrib={"schemaVersion": "V1_0"})
        etree.SubElement(etree.SubElement(device, UOM + "Metadata"),
                         UOM + "Atom")
    for name, value in (("LogicalUnitAddress", "0x8100000000000000"),
                        ("TargetName", book.name("vtscsi"))):
        if device.find(UOM + name) is None:
            elem = etree.Element(UOM + name)
            elem.text = value
            insert_in_order(device, elem, TARGET_DEV_CHILD_ORDER)
    return True


def complete_mappings(vios: etree._Element,
                      client_id_of: Callable[[str], int]) -> bool:
    """Fill in what the server assigns for the new mappings of a POSTed
    ``VirtualIOServer`` element (see the module); ``client_id_of`` gives a
    client LPAR's short id from its UUID (raising for an unknown one).
    Returns whether anything changed."""
    vios_id = _int(vios.findtext(UOM + "PartitionID")) or 0
    book = _Book(vios)
    changed = False
    for kind in _KINDS:
        mappings: List[etree._Element] = vios.findall(_q(kind[0]))
        for mapping in mappings:
            changed |= _pair(mapping, kind, book, vios_id, client_id_of)
            if kind[1] == "vhost":
                changed |= _target(mapping, book)
    return changed
