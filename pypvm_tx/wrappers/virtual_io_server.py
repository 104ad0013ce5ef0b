"""The Virtual I/O Server.

A :class:`VIOS` is a partition (see
:mod:`pypvm_tx.wrappers.base_partition`) that also serves storage to
client LPARs.  Its virtual SCSI and virtual Fibre Channel mappings come
only in the ``ViosSCSIMapping`` / ``ViosFCMapping`` extended attribute
groups, so read it with those (:attr:`VIOS.xags`) before changing them::

    getter = VIOS.getter(adapter, vios_uuid,
                         xag=[VIOS.xags.SCSI_MAPPING, VIOS.xags.FC_MAPPING])

``scsi_mappings`` and ``vfc_mappings`` are live lists: appending or
removing changes the XML, which ``update()`` writes back.  The mappings
themselves (:mod:`pypvm_tx.wrappers.mappings`, importable from here too)
come from :meth:`~pypvm_tx.wrappers.mappings.VSCSIMapping.bld` /
:meth:`~pypvm_tx.wrappers.mappings.VFCMapping.bld` (new adapter pair,
storage from :mod:`pypvm_tx.wrappers.storage`),
:meth:`~pypvm_tx.wrappers.mappings.VSCSIMapping.bld_from_existing`
(another device on an existing adapter pair) or ``bld_by_id`` (named by
the client's short id)::

    disk = storage.VDisk.bld_ref(adapter, "boot_disk")
    vios_w.scsi_mappings.append(
        VSCSIMapping.bld(adapter, None, lpar_uuid, disk))
"""

import re
from typing import FrozenSet, List, Optional, Set, Tuple

from pypvm_tx import const as c
from pypvm_tx.wrappers import base_partition as bp
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers.config import SeededElemList
from pypvm_tx.wrappers.fields import Field
from pypvm_tx.wrappers.io_config import IOAdapter
# The mappings are a VIOS's parts; their names are kept here for code
# that imported them from this module.
from pypvm_tx.wrappers.mappings import (  # noqa: F401
    SCSI_MAPPING_CHILD_ORDER, STORAGE_NAME_CHILD, VFC_MAPPING_CHILD_ORDER,
    VFCMapping, VSCSIMapping, VStorageMapping)

#: Children of ``VirtualIOServer`` in schema order (from real captures).
VIOS_CHILD_ORDER = bp.PARTITION_CHILD_ORDER_HEAD + (
    "ResourceMonitoringControlState", "ResourceMonitoringIPAddress",
    "AssociatedManagedSystem", "HostEthernetAdapterLogicalPorts",
    "LogicalPorts", "MACAddressPrefix", "IsServicePartition", "ReferenceCode",
    "ReferenceCodeFull", "IsManagementPartition", "BootMode",
    "PartitionNVRAM", "Uptime", "DisableSecureBoot", "PendingSecureBoot",
    "CurrentSecureBoot", "PowerOnWithHypervisor", "Description", "APICapable",
    "ManagerPassthroughCapable", "IsVNICCapable", "VNICFailOverCapable",
    "MediaRepositories", "MoverServicePartition", "PhysicalVolumes",
    "PagingServicePartition", "SharedEthernetAdapters", "StoragePools",
    "TrunkAdapters", "VirtualIOServerLicenseAccepted",
    "VirtualFibreChannelMappings", "VirtualSCSIMappings",
    "FreeIOAdaptersForLinkAggregation", "FreeEthenetBackingDevicesForSEA",
)

#: A VIOS's physical volumes, below its element.
_PVS = "PhysicalVolumes/PhysicalVolume"
#: The IP addresses of its shared Ethernet adapters and of the free
#: Ethernet backing devices.
_SEA_IP = ("SharedEthernetAdapters/SharedEthernetAdapter/IPInterface/"
           "IPAddress")
_FREE_ETH_IP = ("FreeEthenetBackingDevicesForSEA/IOAdapterChoice/"
                "EthernetBackingDevice/IPInterface/IPAddress")
#: The adapters free for link aggregation.
_LNAGG_ADPTS = "FreeIOAdaptersForLinkAggregation/IOAdapterChoice/IOAdapter"
#: The client WWPNs of its VFC mappings.
_VFC_CLIENT_WWPNS = ("VirtualFibreChannelMappings/"
                     "VirtualFibreChannelMapping/ClientAdapter/WWPNs")
#: A ``VolumeUniqueID``: five digits, the LUN's 32 hex digits, the rest.
_VOLUME_LUN_RE = re.compile(r"^[0-9]{5}([0-9A-F]{32}).+$")
#: Where a VIOS's physical FC ports are, below its element.
_PFC_PORTS = "/".join((
    "PartitionIOConfiguration", "ProfileIOSlots", "ProfileIOSlot",
    "AssociatedIOSlot", "RelatedIOAdapter", "PhysicalFibreChannelAdapter",
    "PhysicalFibreChannelPorts", "PhysicalFibreChannelPort"))

# Schema orders and storage parts live in the storage module; these names
# are kept here for code that imported them from this one.
ADAPTER_CHILD_ORDER = stor.ADAPTER_CHILD_ORDER
PORT_CHILD_ORDER = stor.PORT_CHILD_ORDER
VOptMedia = stor.VOptMedia


class _XAGs:
    """The extended attribute groups a VIOS is read with."""

    SCSI_MAPPING = c.XAG.VIO_SMAP
    FC_MAPPING = c.XAG.VIO_FMAP
    STORAGE = c.XAG.VIO_STOR
    NETWORK = c.XAG.VIO_NET
    #: Both mapping groups, for code that changes mappings.
    MAPPINGS = (c.XAG.VIO_SMAP, c.XAG.VIO_FMAP)


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


@ewrap.EntryWrapper.pvm_type(c.VIRTUAL_IO_SERVER, child_order=VIOS_CHILD_ORDER)
class VIOS(bp.BasePartition):
    """A Virtual I/O Server (``VirtualIOServer``)."""

    #: Extended attribute groups to read a VIOS with (``xag=``).
    xags = _XAGs

    @property
    def scsi_mappings(self) -> ewrap.WrapperElemList:
        """Live list of :class:`~pypvm_tx.wrappers.mappings.VSCSIMapping`
        (``ViosSCSIMapping`` group)."""
        return SeededElemList(self, "VirtualSCSIMappings", VSCSIMapping)

    @property
    def vfc_mappings(self) -> ewrap.WrapperElemList:
        """Live list of :class:`~pypvm_tx.wrappers.mappings.VFCMapping`
        (``ViosFCMapping`` group)."""
        return SeededElemList(self, "VirtualFibreChannelMappings",
                              VFCMapping)

    @property
    def pfc_ports(self) -> List[stor.PhysFCPort]:
        """The physical Fibre Channel ports of the VIOS's I/O slots (what
        a VFC mapping's ``Port`` can be)."""
        return [stor.PhysFCPort(elem) for elem in self._findall(_PFC_PORTS)]

    @property
    def media_repository(self) -> Optional[VMediaRepos]:
        """The first virtual media repository, or None when there is none."""
        elem = self._find("MediaRepositories/VirtualMediaRepository")
        return VMediaRepos(elem) if elem is not None else None

    is_license_accepted = Field(
        "VirtualIOServerLicenseAccepted", bool,
        doc="Whether the VIOS license has been accepted.")
    is_mover_service_partition = Field(
        "MoverServicePartition", bool, settable=True, default=False,
        doc="Whether the VIOS moves partitions' memory in a live "
            "migration (False when absent).")
    vnic_capable = Field("IsVNICCapable", bool, default=False,
                         doc="Whether the VIOS can back vNIC adapters.")
    vnic_failover_capable = Field(
        "VNICFailOverCapable", bool, default=False,
        doc="Whether the VIOS can back a vNIC with fail-over.")

    @property
    def phys_vols(self) -> Tuple[stor.PV, ...]:
        """The VIOS's physical volumes (``ViosStorage`` group), read-only."""
        return tuple(stor.PV(elem) for elem in self._findall(_PVS))

    def hdisk_from_uuid(self, disk_uuid: str) -> Optional[str]:
        """The name (``hdiskN``) of the physical volume whose unique
        device id is ``disk_uuid``, or None when the VIOS has none."""
        return next((pv.name for pv in self.phys_vols
                     if pv.udid == disk_uuid), None)

    def hdisk_reserve_policy(self, disk_uuid: str) -> Optional[str]:
        """The reserve policy (e.g. ``'NoReserve'``) of the physical
        volume of LUN ``disk_uuid`` (its 32 hex digits, as embedded in the
        volume's ``VolumeUniqueID``), or None when the VIOS has none."""
        for elem in self._findall(_PVS):
            volume = stor.PV(elem)
            match = _VOLUME_LUN_RE.match(
                volume._get_val_str("VolumeUniqueID") or "")
            if match and match.group(1) == disk_uuid:
                return volume._get_val_str("ReservePolicy")
        return None

    @property
    def ip_addresses(self) -> Tuple[str, ...]:
        """The IP addresses of the VIOS's shared Ethernet adapters and free
        Ethernet backing devices (``ViosNetwork`` group), each once, in
        document order; read-only."""
        found: List[str] = []
        for path in (_SEA_IP, _FREE_ETH_IP):
            for elem in self._findall(path):
                text = (elem.text or "").strip()
                if text and text not in found:
                    found.append(text)
        return tuple(found)

    @property
    def io_adpts_for_link_agg(self) -> Tuple[IOAdapter, ...]:
        """The physical adapters free for a link aggregation
        (``ViosNetwork`` group), read-only."""
        return tuple(IOAdapter(elem) for elem in self._findall(_LNAGG_ADPTS))

    def get_pfc_wwpns(self) -> Set[str]:
        """The WWPNs of the VIOS's physical Fibre Channel ports."""
        return {port.wwpn for port in self.pfc_ports if port.wwpn}

    def get_active_pfc_wwpns(self) -> List[str]:
        """The WWPNs of the physical FC ports that offer NPIV (a port with
        NPIV ports counts as active)."""
        return [port.wwpn for port in self.pfc_ports
                if port.wwpn and port.npiv_total_ports > 0]

    def get_vfc_wwpns(self) -> Set[FrozenSet[str]]:
        """The client WWPN pairs of the VIOS's VFC mappings
        (``ViosFCMapping`` group), each a frozenset."""
        return {frozenset(elem.text.split())
                for elem in self._findall(_VFC_CLIENT_WWPNS)
                if elem.text and elem.text.strip()}
