"""The Virtual I/O Server and its storage mappings.

A :class:`VIOS` is a partition (see
:mod:`pypvm_tx.wrappers.logical_partition`) that also serves storage to
client LPARs.  Its virtual SCSI and virtual Fibre Channel mappings come
only in the ``ViosSCSIMapping`` / ``ViosFCMapping`` extended attribute
groups, so read it with those (:attr:`VIOS.xags`) before changing them::

    getter = VIOS.getter(adapter, vios_uuid,
                         xag=[VIOS.xags.SCSI_MAPPING, VIOS.xags.FC_MAPPING])

``scsi_mappings`` and ``vfc_mappings`` are live lists: appending or
removing changes the XML, which ``update()`` writes back.
"""

from typing import List, Optional

from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers.base import new_element, sub_element
from pypvm_tx.wrappers.fields import Field

#: Children of ``VirtualIOServer`` in schema order (from real captures).
VIOS_CHILD_ORDER = lpar.PARTITION_CHILD_ORDER_HEAD + (
    "ResourceMonitoringControlState", "ResourceMonitoringIPAddress",
    "AssociatedManagedSystem", "HostEthernetAdapterLogicalPorts",
    "LogicalPorts", "MACAddressPrefix", "IsServicePartition", "ReferenceCode",
    "PowerOnWithHypervisor", "Description", "APICapable",
    "ManagerPassthroughCapable", "IsVNICCapable", "VNICFailOverCapable",
    "MediaRepositories", "MoverServicePartition", "PhysicalVolumes",
    "PagingServicePartition", "SharedEthernetAdapters", "StoragePools",
    "TrunkAdapters", "VirtualIOServerLicenseAccepted",
    "VirtualFibreChannelMappings", "VirtualSCSIMappings",
    "FreeIOAdaptersForLinkAggregation", "FreeEthenetBackingDevicesForSEA",
)

SCSI_MAPPING_CHILD_ORDER = (
    "Metadata", "AssociatedLogicalPartition", "ClientAdapter",
    "ServerAdapter", "Storage", "TargetDevice",
)
VFC_MAPPING_CHILD_ORDER = (
    "Metadata", "AssociatedLogicalPartition", "ClientAdapter", "Port",
    "ServerAdapter",
)
#: Children of a mapping's ``ServerAdapter`` / ``ClientAdapter``.
ADAPTER_CHILD_ORDER = (
    "Metadata", "AdapterType", "DynamicReconfigurationConnectorName",
    "LocationCode", "LocalPartitionID", "RequiredAdapter", "VariedOn",
    "VirtualSlotNumber", "AdapterName", "BackingDeviceName",
    "RemoteLogicalPartitionID", "RemoteSlotNumber", "ServerLocationCode",
    "ConnectingPartitionID", "ConnectingVirtualSlotNumber",
    "UniqueDeviceID", "MapPort", "PhysicalPort", "WWPNs",
)
PORT_CHILD_ORDER = (
    "Metadata", "LocationCode", "PortName", "UniqueDeviceID", "WWPN",
    "AvailablePorts", "TotalPorts",
)

#: The storage element types a SCSI mapping's ``Storage`` can hold, with
#: the child that names each one.
STORAGE_NAME_CHILD = {
    "VirtualDisk": "DiskName",
    "PhysicalVolume": "VolumeName",
    "LogicalUnit": "UnitName",
    "VirtualOpticalMedia": "MediaName",
}


class _XAGs:
    """The extended attribute groups a VIOS is read with."""

    SCSI_MAPPING = c.XAG.VIO_SMAP
    FC_MAPPING = c.XAG.VIO_FMAP
    STORAGE = c.XAG.VIO_STOR
    NETWORK = c.XAG.VIO_NET
    #: Both mapping groups, for code that changes mappings.
    MAPPINGS = (c.XAG.VIO_SMAP, c.XAG.VIO_FMAP)


def _link_uuid(href: Optional[str]) -> Optional[str]:
    return href.rstrip("/").rsplit("/", 1)[-1] if href else None


class _Mapping(ewrap.ElementWrapper):
    """What SCSI and FC mappings share: the client LPAR and server adapter."""

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

    @classmethod
    def _bld_base(cls, client_lpar_href: Optional[str]) -> etree._Element:
        elem = new_element(cls.schema_type, metadata=True)
        if client_lpar_href:
            sub_element(elem, "AssociatedLogicalPartition",
                        attrib={"href": client_lpar_href, "rel": "related"})
        return elem


@ewrap.ElementWrapper.pvm_type("VirtualSCSIMapping",
                               child_order=SCSI_MAPPING_CHILD_ORDER)
class VSCSIMapping(_Mapping):
    """One virtual SCSI mapping: a backing storage device served by the
    VIOS through a server adapter to a client LPAR."""

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

    @classmethod
    def bld(cls, client_lpar_id: int, backing_storage_name: str,
            storage_type: str = "VirtualDisk",
            server_adapter_name: Optional[str] = None,
            client_lpar_href: Optional[str] = None) -> "VSCSIMapping":
        """A new mapping of ``backing_storage_name`` to a client partition.

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
class VFCMapping(_Mapping):
    """One virtual Fibre Channel (NPIV) mapping: a physical FC port of the
    VIOS shared through a server adapter with a client LPAR."""

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

    @classmethod
    def bld(cls, client_lpar_id: int, backing_port_name: str,
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


@ewrap.ElementWrapper.pvm_type("VirtualOpticalMedia")
class VOptMedia(ewrap.ElementWrapper):
    """One virtual optical medium in a media repository."""

    media_name = Field("MediaName", doc="The medium's name.")
    mount_type = Field("MountType",
                       doc="How the medium is mounted (``MountType``).")
    size = Field("Size", float, doc="The medium's size in GB.")


@ewrap.ElementWrapper.pvm_type("VirtualMediaRepository")
class VMediaRepos(ewrap.ElementWrapper):
    """A VIOS's virtual media (ISO) repository."""

    name = Field("RepositoryName", doc="The repository's name.")
    size = Field("RepositorySize", int, doc="Size in GB.")

    @property
    def optical_media(self) -> List[VOptMedia]:
        holder = self._find("OpticalMedia")
        if holder is None:
            return []
        return list(ewrap.WrapperElemList(holder, VOptMedia))


class _MappingList(ewrap.WrapperElemList):
    """A mapping list whose container element is created on first append
    (a VIOS read without the mapping's group has none)."""

    def __init__(self, vios: "VIOS", container: str,
                 child_class) -> None:
        root = vios.element.find("{%s}%s" % (c.UOM_NS, container))
        self._pending = root is None
        if root is None:
            root = new_element(container, metadata=True)
        super().__init__(root, child_class)
        self._vios = vios

    def append(self, item) -> None:
        self._check(item)
        if self._pending:
            ewrap.insert_in_order(self._vios.element, self.root,
                                  self._vios.child_order)
            self._pending = False
        super().append(item)


@ewrap.EntryWrapper.pvm_type(c.VIRTUAL_IO_SERVER, child_order=VIOS_CHILD_ORDER)
class VIOS(lpar.BasePartition):
    """A Virtual I/O Server (``VirtualIOServer``)."""

    #: Extended attribute groups to read a VIOS with (``xag=``).
    xags = _XAGs

    @property
    def scsi_mappings(self) -> ewrap.WrapperElemList:
        """Live list of :class:`VSCSIMapping` (``ViosSCSIMapping`` group)."""
        return _MappingList(self, "VirtualSCSIMappings", VSCSIMapping)

    @property
    def vfc_mappings(self) -> ewrap.WrapperElemList:
        """Live list of :class:`VFCMapping` (``ViosFCMapping`` group)."""
        return _MappingList(self, "VirtualFibreChannelMappings", VFCMapping)

    @property
    def media_repository(self) -> Optional[VMediaRepos]:
        """The first virtual media repository, or None when there is none."""
        elem = self._find("MediaRepositories/VirtualMediaRepository")
        return VMediaRepos(elem) if elem is not None else None

    is_license_accepted = Field(
        "VirtualIOServerLicenseAccepted", bool,
        doc="Whether the VIOS license has been accepted.")
