"""A VIOS's storage mappings: virtual SCSI (:class:`VSCSIMapping`) and
virtual Fibre Channel (:class:`VFCMapping`), each joining a client LPAR to
the VIOS through a client / server adapter pair.

They are the items of a VIOS's ``scsi_mappings`` and ``vfc_mappings``
(:class:`~pypvm_tx.wrappers.virtual_io_server.VIOS`), and are importable
from :mod:`pypvm_tx.wrappers.virtual_io_server` too.  A new mapping comes
from :meth:`VSCSIMapping.bld` / :meth:`VFCMapping.bld` (new adapter pair,
storage from :mod:`pypvm_tx.wrappers.storage`),
:meth:`VSCSIMapping.bld_from_existing` (another device on an existing
adapter pair) or ``bld_by_id`` (named by the client's short id).
"""

from typing import Any, List, Optional, Tuple, Type

from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.adapter.paths import build_path
from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers.base import new_element, sub_element
from pypvm_tx.wrappers.fields import Field

SCSI_MAPPING_CHILD_ORDER = (
    "Metadata", "AssociatedLogicalPartition", "ClientAdapter",
    "ServerAdapter", "Storage", "TargetDevice",
)
VFC_MAPPING_CHILD_ORDER = (
    "Metadata", "AssociatedLogicalPartition", "ClientAdapter", "Port",
    "ServerAdapter",
)

#: The storage element types a SCSI mapping's ``Storage`` can hold, with
#: the child that names each one.
STORAGE_NAME_CHILD = {
    "VirtualDisk": "DiskName",
    "PhysicalVolume": "VolumeName",
    "LogicalUnit": "UnitName",
    "VirtualOpticalMedia": "MediaName",
}


def _link_uuid(href: Optional[str]) -> Optional[str]:
    """The last path segment of ``href`` (its query and fragment left out)."""
    if not href:
        return None
    path = href.split("#", 1)[0].split("?", 1)[0]
    return path.rstrip("/").rsplit("/", 1)[-1] or None


def _plain(name: str) -> etree._Element:
    """A mapping's child that is a plain property (no ``schemaVersion``),
    e.g. ``Storage`` or ``AssociatedLogicalPartition``."""
    return etree.Element("{%s}%s" % (c.UOM_NS, name))


def _lpar_link(host_uuid: Optional[str], lpar_uuid: str
               ) -> Tuple[str, str, Optional[str], Optional[str]]:
    """``(root_type, root_id, child_type, child_id)`` of a client LPAR:
    ROOT, or a CHILD of the system ``host_uuid`` when given."""
    if host_uuid is None:
        return c.LOGICAL_PARTITION, lpar_uuid, None, None
    return c.MANAGED_SYSTEM, host_uuid, c.LOGICAL_PARTITION, lpar_uuid


class VStorageMapping(ewrap.ElementWrapper):
    """What SCSI and FC mappings share: the client LPAR and the adapters.

    Two views of the same XML: flat properties (``client_lpar_id``,
    ``server_adapter_name``, ...) and the peer's sub-wrappers
    (``client_adapter``, ``server_adapter``, ...).
    """

    _client_adapter_cls: Type[stor.VClientStorageAdapterElement]
    _server_adapter_cls: Type[stor.VServerStorageAdapterElement]

    @property
    def client_lpar_href(self) -> Optional[str]:
        """The link to the client LPAR (``AssociatedLogicalPartition``)."""
        link = self._find("AssociatedLogicalPartition")
        return link.get("href") if link is not None else None

    @property
    def client_lpar_uuid(self) -> Optional[str]:
        return _link_uuid(self.client_lpar_href)

    server_adapter_name = Field(
        "ServerAdapter/AdapterName",
        doc="The VIOS-side adapter, e.g. ``vhost0`` or ``vfchost1``.")
    server_slot = Field("ServerAdapter/VirtualSlotNumber", int,
                        doc="The server adapter's virtual slot number.")
    client_slot = Field("ClientAdapter/VirtualSlotNumber", int,
                        doc="The client adapter's virtual slot number.")

    @property
    def client_adapter(self) -> Optional[stor.VClientStorageAdapterElement]:
        """The client (LPAR) end, or None: a mapping without one is an
        *orphan* (its client adapter is gone)."""
        elem = self._find("ClientAdapter")
        return self._client_adapter_cls(elem) if elem is not None else None

    @property
    def server_adapter(self) -> Optional[stor.VServerStorageAdapterElement]:
        """The server (VIOS) end, or None when the mapping has none."""
        elem = self._find("ServerAdapter")
        return self._server_adapter_cls(elem) if elem is not None else None

    @staticmethod
    def crt_related_href(adapter: Any, host_uuid: Optional[str],
                         client_lpar_uuid: str) -> str:
        """The link to a client LPAR a new mapping carries: ROOT, or a
        CHILD of the system ``host_uuid`` when given, built by the
        adapter's ``build_href`` (absolute, without ``group=``).  Without
        an adapter (``None``) the link is the server-relative path."""
        if adapter is None:
            return build_path(c.SERVICE_UOM, *_lpar_link(
                host_uuid, client_lpar_uuid), xag=[])
        return adapter.build_href(*_lpar_link(host_uuid, client_lpar_uuid),
                                  xag=[])

    def _put_part(self, element: etree._Element) -> None:
        """Make ``element`` this mapping's child of its name: replacing
        the one there, else inserted in schema order."""
        old = self.element.find(element.tag)
        if old is not None:
            self.element.replace(old, element)
        else:
            ewrap.insert_in_order(self.element, element, self.child_order)

    def _client_lpar_href(self, href: str) -> None:
        if not isinstance(href, str):
            # e.g. a mocked adapter whose build_href was not configured
            raise TypeError(_("The client LPAR link must be a string; the "
                              "adapter's build_href gave %r.") % (href,))
        link = _plain("AssociatedLogicalPartition")
        link.set("href", href)
        link.set("rel", "related")
        self._put_part(link)

    @classmethod
    def _bld_new(cls, adapter: Any, host_uuid: Optional[str],
                 client_lpar_uuid: str,
                 client: stor.VClientStorageAdapterElement) -> Any:
        """A new mapping to ``client_lpar_uuid`` whose adapters the server
        is to create (the client one as ``client`` asks)."""
        if not client_lpar_uuid:
            raise ValueError(_("A new mapping needs its client LPAR's "
                               "UUID."))
        mapping = cls(new_element(cls.schema_type, metadata=True))
        mapping._client_lpar_href(cls.crt_related_href(
            adapter, host_uuid, client_lpar_uuid))
        mapping._put_part(client.element)
        mapping._put_part(stor.VServerStorageAdapterElement.bld(
            adapter).element)
        return mapping

    @classmethod
    def _bld_base(cls, client_lpar_href: Optional[str]) -> etree._Element:
        elem = new_element(cls.schema_type, metadata=True)
        if client_lpar_href:
            sub_element(elem, "AssociatedLogicalPartition",
                        attrib={"href": client_lpar_href, "rel": "related"})
        return elem


@ewrap.ElementWrapper.pvm_type("VirtualSCSIMapping",
                               child_order=SCSI_MAPPING_CHILD_ORDER)
class VSCSIMapping(VStorageMapping):
    """One virtual SCSI mapping: a backing storage device served by the
    VIOS through a server adapter to a client LPAR.

    Build a new one with :meth:`bld` (new adapters) or
    :meth:`bld_from_existing` (another disk on an existing adapter pair),
    and add it to
    :attr:`~pypvm_tx.wrappers.virtual_io_server.VIOS.scsi_mappings`.
    """

    _client_adapter_cls = stor.VSCSIClientAdapterElement
    _server_adapter_cls = stor.VSCSIServerAdapterElement

    client_lpar_id = Field(
        "ServerAdapter/RemoteLogicalPartitionID", int,
        doc="The client partition's id (the server adapter's remote end).")

    def _storage(self) -> Optional[etree._Element]:
        holder = self._find("Storage")
        if holder is None or len(holder) == 0:
            return None
        return holder[0]

    @property
    def backing_storage_type(self) -> Optional[str]:
        """Kind of backing storage: ``VirtualDisk``, ``PhysicalVolume``,
        ``LogicalUnit`` or ``VirtualOpticalMedia`` (None if unmapped)."""
        stg = self._storage()
        return etree.QName(stg).localname if stg is not None else None

    @property
    def backing_storage_name(self) -> Optional[str]:
        """The backing storage's name (disk, volume, unit or media name)."""
        stg = self._storage()
        if stg is None:
            return None
        child = STORAGE_NAME_CHILD.get(etree.QName(stg).localname)
        if child is None:
            return None
        text = stg.findtext("{%s}%s" % (c.UOM_NS, child))
        return text.strip() if text and text.strip() else None

    @property
    def target_name(self) -> Optional[str]:
        """The virtual target device's name, e.g. ``vtscsi0``."""
        holder = self._find("TargetDevice")
        if holder is None or len(holder) == 0:
            return None
        text = holder[0].findtext("{%s}TargetName" % c.UOM_NS)
        return text.strip() if text and text.strip() else None

    @property
    def backing_storage(self) -> Optional[ewrap.ElementWrapper]:
        """The backing storage: a :class:`~pypvm_tx.wrappers.storage.VDisk`,
        ``PV``, ``LU`` or ``VOptMedia`` (None when the mapping has none).
        Setting it replaces the storage with a copy of the one given."""
        return stor.wrap_by_tag(self._storage(), stor.STORAGE_TYPES)

    @backing_storage.setter
    def backing_storage(self, stg: ewrap.ElementWrapper) -> None:
        holder = _plain("Storage")
        holder.append(stor.element_copy(stg))
        self._put_part(holder)

    @property
    def target_dev(self) -> Optional[ewrap.ElementWrapper]:
        """The virtual target device serving the storage (a
        ``VDiskTargetDev``, ``PVTargetDev``, ``LUTargetDev`` or
        ``VOptTargetDev`` of :mod:`pypvm_tx.wrappers.storage`), or None."""
        holder = self._find("TargetDevice")
        if holder is None or len(holder) != 1:
            return None
        return stor.wrap_by_tag(holder[0], stor.TARGET_DEV_TYPES)

    def _target_dev(self, vtd: ewrap.ElementWrapper) -> None:
        holder = _plain("TargetDevice")
        holder.append(vtd.element)
        self._put_part(holder)

    def _set_target(self, adapter: Any, stg_ref: Any,
                    lua: Optional[str], target_name: Optional[str]) -> None:
        """Ask for a target device of the storage's kind when a LUA or a
        name is wanted (else the server makes one as it likes)."""
        if lua is None and target_name is None:
            return
        if stg_ref is None:
            raise ValueError(_("A target device's LUA or name needs backing "
                               "storage in the mapping."))
        self._target_dev(stg_ref.target_dev_type.bld(adapter, lua,
                                                     target_name))

    @classmethod
    def bld(cls, adapter: Any, host_uuid: Optional[str],
            client_lpar_uuid: str, stg_ref: Any,
            lpar_slot_num: Optional[int] = None, lua: Optional[str] = None,
            target_name: Optional[str] = None) -> "VSCSIMapping":
        """A new mapping of ``stg_ref`` to the LPAR ``client_lpar_uuid``
        over a new client/server adapter pair (the server picks the slots
        unless ``lpar_slot_num`` is given).

        :param adapter: the Adapter the mapping will be written through
            (its session's address goes into the LPAR link).
        :param host_uuid: not used: the LPAR link is always a ROOT one.
        :param client_lpar_uuid: the client LPAR's UUID.
        :param stg_ref: the backing storage (``VDisk``, ``PV``, ``LU`` or
            ``VOptMedia`` of :mod:`pypvm_tx.wrappers.storage`); a copy
            goes into the mapping.
        :param lpar_slot_num: the client adapter's slot, if not the next
            free one.
        :param lua: the target device's logical unit address.
        :param target_name: the target device's name.
        """
        mapping = cls._bld_new(adapter, None, client_lpar_uuid,
                               stor.VClientStorageAdapterElement.bld(
                                   adapter, slot_num=lpar_slot_num))
        mapping.backing_storage = stg_ref
        mapping._set_target(adapter, stg_ref, lua, target_name)
        return mapping

    @classmethod
    def bld_from_existing(cls, existing_map: "VSCSIMapping", stg_ref: Any,
                          lpar_slot_num: Optional[int] = None,
                          lua: Optional[str] = None,
                          target_name: Optional[str] = None
                          ) -> "VSCSIMapping":
        """A new mapping on the same LPAR and adapter pair as
        ``existing_map``, serving ``stg_ref`` (None: no storage yet); the
        existing mapping's target device is not carried over.

        :param lpar_slot_num: move the client adapter to this slot.
        :param lua: the new target device's logical unit address.
        :param target_name: the new target device's name.
        :raises ValueError: ``lua`` or ``target_name`` without storage.
        """
        mapping = cls(new_element(cls.schema_type, metadata=True))
        if existing_map.client_lpar_href is not None:
            mapping._client_lpar_href(existing_map.client_lpar_href)
        for part in (existing_map.client_adapter,
                     existing_map.server_adapter):
            if part is not None:
                mapping._put_part(stor.element_copy(part))
        if stg_ref is not None:
            mapping.backing_storage = stg_ref
        client = mapping.client_adapter
        if lpar_slot_num is not None and client is not None:
            client._set_val("VirtualSlotNumber", int(lpar_slot_num))
            client._set_val("UseNextAvailableSlotID", "false")
        mapping._set_target(None, stg_ref, lua, target_name)
        return mapping

    @classmethod
    def bld_by_id(cls, client_lpar_id: int, backing_storage_name: str,
                  storage_type: str = "VirtualDisk",
                  server_adapter_name: Optional[str] = None,
                  client_lpar_href: Optional[str] = None) -> "VSCSIMapping":
        """A new mapping of ``backing_storage_name`` to a client partition
        named by its short id, on an existing server adapter when
        ``server_adapter_name`` is given.

        :param client_lpar_id: the client LPAR's ``id``.
        :param backing_storage_name: name of the disk / volume / unit /
            media to serve.
        :param storage_type: one of :data:`STORAGE_NAME_CHILD`'s keys.
        :param server_adapter_name: the VIOS adapter (``vhostN``) to use;
            the server picks one when omitted.
        :param client_lpar_href: link to the client LPAR, when known.
        """
        if storage_type not in STORAGE_NAME_CHILD:
            raise ValueError(_("Unknown storage type %(got)r; use one of "
                               "%(ok)s.") % {"got": storage_type,
                                             "ok": sorted(STORAGE_NAME_CHILD)})
        if not backing_storage_name:
            raise ValueError(_("A SCSI mapping needs the name of its backing "
                               "storage."))
        elem = cls._bld_base(client_lpar_href)
        server = new_element("ServerAdapter", metadata=True)
        sub_element(server, "AdapterType", "Server")
        if server_adapter_name:
            sub_element(server, "AdapterName", server_adapter_name)
        sub_element(server, "RemoteLogicalPartitionID", int(client_lpar_id))
        elem.append(server)
        stg = new_element(storage_type, metadata=True)
        sub_element(stg, STORAGE_NAME_CHILD[storage_type],
                    backing_storage_name)
        sub_element(elem, "Storage").append(stg)
        return cls(elem)


@ewrap.ElementWrapper.pvm_type("VirtualFibreChannelMapping",
                               child_order=VFC_MAPPING_CHILD_ORDER)
class VFCMapping(VStorageMapping):
    """One virtual Fibre Channel (NPIV) mapping: a physical FC port of the
    VIOS shared through a server adapter with a client LPAR."""

    _client_adapter_cls = stor.VFCClientAdapterElement
    _server_adapter_cls = stor.VFCServerAdapterElement

    client_lpar_id = Field(
        "ServerAdapter/ConnectingPartitionID", int,
        doc="The client partition's id (the server adapter's connecting "
            "partition).")

    @property
    def backing_port_name(self) -> Optional[str]:
        """The physical FC port, e.g. ``fcs0`` (None if not mapped)."""
        return (self._get_val_str("Port/PortName")
                or self._get_val_str("ServerAdapter/MapPort"))

    @property
    def client_wwpns(self) -> List[str]:
        """The client adapter's WWPNs (empty if none assigned yet)."""
        text = self._get_val_str("ClientAdapter/WWPNs")
        return text.split() if text else []

    @property
    def backing_port(self) -> Optional[stor.PhysFCPort]:
        """The physical port backing the mapping (the ``Port`` element), or
        None while none is; setting it puts a copy of the port given."""
        elem = self._find("Port")
        return stor.PhysFCPort(elem) if elem is not None else None

    @backing_port.setter
    def backing_port(self, port: stor.PhysFCPort) -> None:
        elem = stor.element_copy(port)
        elem.tag = "{%s}Port" % c.UOM_NS
        self._put_part(elem)

    @classmethod
    def bld(cls, adapter: Any, host_uuid: Optional[str],
            client_lpar_uuid: str, backing_phy_port: str,
            client_wwpns: Optional[List[str]] = None,
            lpar_slot_num: Optional[int] = None) -> "VFCMapping":
        """A new mapping of the physical port ``backing_phy_port``
        (``fcsN``) to the LPAR ``client_lpar_uuid`` over a new adapter
        pair; the server generates the client WWPNs unless
        ``client_wwpns`` are given.

        :param host_uuid: the system's UUID (a CHILD link to the LPAR), or
            None for a ROOT link.
        :param lpar_slot_num: the client adapter's slot, if not the next
            free one.
        """
        mapping = cls._bld_new(adapter, host_uuid, client_lpar_uuid,
                               stor.VFCClientAdapterElement.bld(
                                   adapter, wwpns=client_wwpns,
                                   slot_num=lpar_slot_num))
        mapping.backing_port = stor.PhysFCPort.bld_ref(
            adapter, backing_phy_port, ref_tag="Port")
        return mapping

    @classmethod
    def bld_by_id(cls, client_lpar_id: int, backing_port_name: str,
                  server_adapter_name: Optional[str] = None,
                  client_lpar_href: Optional[str] = None,
                  client_wwpns: Optional[List[str]] = None) -> "VFCMapping":
        """A new mapping of physical port ``backing_port_name`` (``fcsN``)
        to a client partition; WWPNs are assigned by the server when not
        given."""
        if not backing_port_name:
            raise ValueError(_("A Fibre Channel mapping needs the name of "
                               "its physical port (e.g. fcs0)."))
        elem = cls._bld_base(client_lpar_href)
        if client_wwpns:
            client = new_element("ClientAdapter", metadata=True)
            sub_element(client, "AdapterType", "Client")
            sub_element(client, "WWPNs", " ".join(client_wwpns))
            elem.append(client)
        port = new_element("Port", metadata=True)
        sub_element(port, "PortName", backing_port_name)
        elem.append(port)
        server = new_element("ServerAdapter", metadata=True)
        sub_element(server, "AdapterType", "Server")
        if server_adapter_name:
            sub_element(server, "AdapterName", server_adapter_name)
        sub_element(server, "ConnectingPartitionID", int(client_lpar_id))
        sub_element(server, "MapPort", backing_port_name)
        elem.append(server)
        return cls(elem)
