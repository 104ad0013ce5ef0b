"""Storage as a VIOS mapping sees it: backing storage, target devices,
the virtual adapters at each end of a mapping, and physical FC ports.

A virtual SCSI mapping (:class:`~pypvm_tx.wrappers.virtual_io_server.VSCSIMapping`)
serves one *backing storage* element -- a :class:`VDisk` (logical volume),
:class:`PV` (physical volume), :class:`LU` (shared storage pool logical
unit) or :class:`VOptMedia` (virtual optical medium) -- through a server
adapter on the VIOS to a client adapter on the LPAR, and the VIOS exposes
it as a *target device* (``vtscsiN``).  A virtual Fibre Channel mapping
shares a physical port (:class:`PhysFCPort`) instead.

Each storage class says which target device type serves it
(``target_dev_type``) and has ``bld_ref`` (``bld`` for a PV) to name an
existing device in a new mapping.  The elements here are parts of a
VIOS, never Atom entries of their own; new children go in the server's
schema order.
"""

import copy
from typing import Any, Dict, List, Mapping, Optional, Type

from lxml import etree

from pypvm_tx.i18n import _
from pypvm_tx.wrappers.base import ElementWrapper, new_element
from pypvm_tx.wrappers.fields import Field

# -- schema orders (the server validates children against them) ----------

#: Children every storage element may start with, in schema order.
_STORAGE_HEAD = ("Metadata", "ReadIOPS", "WriteIOPS", "EncryptionState",
                 "EncryptionKey", "EncryptionAgent", "Tag", "EmulateModel")

VDISK_CHILD_ORDER = _STORAGE_HEAD + (
    "DiskCapacity", "DiskLabel", "DiskName", "MaxLogicalVolumes",
    "PartitionSize", "VolumeGroup", "BaseImage", "UniqueDeviceID",
    "VirtualDiskType", "BackStoreType", "FileFormat", "RbdUser",
    "OptionalParameters")
PV_CHILD_ORDER = _STORAGE_HEAD + (
    "AvailablePhysicalPartitions", "Description", "LocationCode",
    "PersistentReserveKeyValue", "ReservePolicy", "ReservePolicyAlgorithm",
    "TotalPhysicalPartitions", "UniqueDeviceID", "AvailableForUsage",
    "VolumeCapacity", "VolumeName", "VolumeState", "VolumeUniqueID",
    "IsFibreChannelBacked", "StorageLabel", "DescriptorPage83")
LU_CHILD_ORDER = _STORAGE_HEAD + (
    "ThinDevice", "UniqueDeviceID", "UnitCapacity", "LogicalUnitType",
    "ClonedFrom", "InUse", "UnitName", "LogicalUnitMigration")
VOPT_CHILD_ORDER = _STORAGE_HEAD + ("MediaName", "MediaUDID", "MountType",
                                    "Size")
TARGET_DEV_CHILD_ORDER = ("Metadata", "LogicalUnitAddress", "TargetName",
                          "UniqueDeviceID")

#: Children of a mapping's ``ClientAdapter`` / ``ServerAdapter`` in schema
#: order.  SCSI and FC adapters share one order: the properties they have
#: in common come in the same order in both (the captures agree).
ADAPTER_CHILD_ORDER = (
    "Metadata", "AdapterType", "DynamicReconfigurationConnectorName",
    "LocationCode", "LocalPartitionID", "RequiredAdapter", "VariedOn",
    "UseNextAvailableSlotID", "UseNextAvailableHighSlotID",
    "VirtualSlotNumber", "Enabled", "AdapterName", "BackingDeviceName",
    "RemoteBackingDeviceName", "RemoteLogicalPartitionID",
    "ConnectingPartition", "ConnectingPartitionID", "RemoteSlotNumber",
    "ConnectingVirtualSlotNumber", "ServerLocationCode", "UniqueDeviceID",
    # a server adapter's own
    "MapPort", "PhysicalPort",
    # a client adapter's own
    "ServerAdapter", "WWPNs", "NportLoggedInStatus", "OperatingSystemDisks",
)
PORT_CHILD_ORDER = (
    "Metadata", "LocationCode", "PhysicalVolumes", "PortName",
    "UniqueDeviceID", "WWPN", "AvailablePorts", "TotalPorts",
)


def _bool_text(value: Any) -> str:
    return "true" if value else "false"


class _Built(ElementWrapper):
    """An element this module can build empty (with its ``Metadata``)."""

    @classmethod
    def _new(cls):
        return cls(new_element(cls.schema_type, cls.schema_ns, metadata=True))


# -- target devices ------------------------------------------------------------


class _TargetDev(_Built):
    """A virtual target device (``vtscsiN``) serving one backing storage."""

    lua = Field("LogicalUnitAddress", settable=True,
                doc="The logical unit address on the bus, e.g. "
                    "``0x8100000000000000``.")
    name = Field("TargetName", settable=True,
                 doc="The device's name on the VIOS, e.g. ``vtscsi0``.")
    udid = Field("UniqueDeviceID", doc="The device's unique id.")

    @classmethod
    def bld(cls, adapter: Any, lua: Optional[str] = None,
            name: Optional[str] = None) -> "_TargetDev":
        """A new target device; the server picks what is not given.
        ``adapter`` is accepted for call compatibility and not used."""
        vtd = cls._new()
        if lua is not None:
            vtd.lua = lua
        if name is not None:
            vtd.name = name
        return vtd


@ElementWrapper.pvm_type("LogicalVolumeVirtualTargetDevice",
                         child_order=TARGET_DEV_CHILD_ORDER)
class VDiskTargetDev(_TargetDev):
    """The target device of a virtual disk (logical volume)."""


@ElementWrapper.pvm_type("PhysicalVolumeVirtualTargetDevice",
                         child_order=TARGET_DEV_CHILD_ORDER)
class PVTargetDev(_TargetDev):
    """The target device of a physical volume."""


@ElementWrapper.pvm_type("SharedStoragePoolLogicalUnitVirtualTargetDevice",
                         child_order=TARGET_DEV_CHILD_ORDER)
class LUTargetDev(_TargetDev):
    """The target device of a shared storage pool logical unit."""


@ElementWrapper.pvm_type("VirtualOpticalTargetDevice",
                         child_order=TARGET_DEV_CHILD_ORDER)
class VOptTargetDev(_TargetDev):
    """The target device of a virtual optical medium."""


# -- backing storage -----------------------------------------------------------


class _Storage(_Built):
    """Backing storage: what a SCSI mapping serves.  ``name`` and the
    type together identify it on its VIOS."""

    #: The target device class that serves this kind of storage.
    target_dev_type: Type[_TargetDev]
    name: Any
    udid = Field("UniqueDeviceID", doc="The device's unique id.")


class VDiskType:
    """Values of ``VirtualDiskType``: what backs a virtual disk."""

    FILE = "File"
    LV = "LogicalVolume"
    RBD = "RBD"


@ElementWrapper.pvm_type("VirtualDisk", child_order=VDISK_CHILD_ORDER)
class VDisk(_Storage):
    """A virtual disk: a logical volume of a VIOS volume group."""

    target_dev_type = VDiskTargetDev
    name = Field("DiskName", settable=True, doc="The disk's name.")
    label = Field("DiskLabel", doc="The disk's label.")
    capacity = Field("DiskCapacity", float, doc="The disk's size in GB.")
    vdtype = Field("VirtualDiskType",
                   doc="What backs the disk, a :class:`VDiskType` value.")

    @classmethod
    def bld_ref(cls, adapter: Any, name: str) -> "VDisk":
        """A reference to the existing disk ``name``, for a new mapping.
        ``adapter`` is accepted for call compatibility and not used."""
        disk = cls._new()
        disk.name = _required(name, "VirtualDisk")
        disk._set_val("VirtualDiskType", VDiskType.LV)
        return disk


@ElementWrapper.pvm_type("PhysicalVolume", child_order=PV_CHILD_ORDER)
class PV(_Storage):
    """A physical volume (``hdiskN``) of a VIOS."""

    target_dev_type = PVTargetDev
    name = Field("VolumeName", settable=True,
                 doc="The volume's name, e.g. ``hdisk4``.")
    udid = Field("UniqueDeviceID", settable=True,
                 doc="The volume's unique device id.")
    capacity = Field("VolumeCapacity", int, doc="The volume's size in MB.")
    state = Field("VolumeState", doc="The volume's state.")
    description = Field("Description",
                        doc="The volume's description, e.g. "
                            "``'SAS Disk Drive'``.")

    @classmethod
    def bld(cls, adapter: Any, name: str, udid: Optional[str] = None
            ) -> "PV":
        """A reference to the volume ``name`` (and ``udid``), for a new
        mapping.  ``adapter`` is accepted for call compatibility."""
        volume = cls._new()
        if udid:
            volume.udid = udid
        volume.name = _required(name, "PhysicalVolume")
        return volume


@ElementWrapper.pvm_type("LogicalUnit", child_order=LU_CHILD_ORDER)
class LU(_Storage):
    """A logical unit of a shared storage pool."""

    target_dev_type = LUTargetDev
    name = Field("UnitName", settable=True, doc="The unit's name.")
    udid = Field("UniqueDeviceID", settable=True,
                 doc="The unit's unique device id.")
    capacity = Field("UnitCapacity", float, doc="The unit's size in GB.")
    lu_type = Field("LogicalUnitType", doc="The unit's type.")
    is_thin = Field("ThinDevice", bool, doc="Whether it is thin-provisioned.")

    @classmethod
    def bld_ref(cls, adapter: Any, name: str, udid: str) -> "LU":
        """A reference to the existing unit ``name`` / ``udid``, for a new
        mapping.  ``adapter`` is accepted for call compatibility."""
        unit = cls._new()
        unit.udid = _required(udid, "LogicalUnit udid")
        unit.name = _required(name, "LogicalUnit")
        return unit


@ElementWrapper.pvm_type("VirtualOpticalMedia", child_order=VOPT_CHILD_ORDER)
class VOptMedia(_Storage):
    """One virtual optical medium (an ISO image in a media repository)."""

    target_dev_type = VOptTargetDev
    media_name = Field("MediaName", doc="The medium's name.")
    name = Field("MediaName", doc="The medium's name (as ``media_name``).")
    udid = Field("MediaUDID", doc="The medium's unique id.")
    mount_type = Field("MountType",
                       doc="How the medium is mounted (``MountType``).")
    size = Field("Size", float, doc="The medium's size in GB.")

    @classmethod
    def bld_ref(cls, adapter: Any, name: str) -> "VOptMedia":
        """A reference to the existing medium ``name``, for a new mapping.
        ``adapter`` is accepted for call compatibility and not used."""
        media = cls._new()
        media._set_val("MediaName", _required(name, "VirtualOpticalMedia"))
        return media

    @classmethod
    def bld(cls, adapter: Any, name: str, size: Optional[float] = None,
            mount_type: str = "rw") -> "VOptMedia":
        """A new medium ``name`` to add to a media repository."""
        media = cls.bld_ref(adapter, name)
        media._set_val("MountType", mount_type)
        if size is not None:
            media._set_val("Size", round(float(size), 4))
        return media


def _required(value: Optional[str], what: str) -> str:
    if not value or not str(value).strip():
        raise ValueError(_("A %s reference needs a non-empty name or id.")
                         % what)
    return value


#: Backing storage and target device classes by element name.
STORAGE_TYPES: Dict[str, Type[_Storage]] = {
    str(k.schema_type): k for k in (VDisk, PV, LU, VOptMedia)
}
TARGET_DEV_TYPES: Dict[str, Type[_TargetDev]] = {
    str(k.schema_type): k for k in (VDiskTargetDev, PVTargetDev,
                                    LUTargetDev, VOptTargetDev)
}


def wrap_by_tag(elem: Optional[etree._Element],
                classes: Mapping[str, Type[ElementWrapper]]
                ) -> Optional[ElementWrapper]:
    """``elem`` wrapped by the class ``classes`` names for its tag (a plain
    ElementWrapper for an unknown tag); None for None."""
    if elem is None:
        return None
    cls = classes.get(etree.QName(elem).localname, ElementWrapper)
    return cls(elem)


def element_copy(wrapper: ElementWrapper) -> etree._Element:
    """A deep copy of ``wrapper``'s element: an lxml element has one
    parent, so a part reused in a new mapping must be copied, not moved."""
    return copy.deepcopy(wrapper.element)


# -- the adapters at each end of a mapping ------------------------------------


class _VAdapter(_Built):
    """A virtual storage adapter inside a mapping (SCSI or FC)."""

    side = Field("AdapterType", doc="``Server`` (on the VIOS) or "
                                    "``Client`` (on the LPAR).")
    loc_code = Field("LocationCode", doc="The adapter's location code.")
    is_varied_on = Field("VariedOn", bool, doc="Whether it is varied on.")
    udid = Field("UniqueDeviceID", doc="The adapter's unique device id.")

    @classmethod
    def _bld_new(cls, side: str, slot_num: Optional[int] = None):
        """An adapter the server is asked to create: in ``slot_num``, or
        in the next free slot when None."""
        adapter = cls._new()
        adapter._set_val("AdapterType", side)
        adapter._set_val("UseNextAvailableSlotID", _bool_text(
            slot_num is None))
        if slot_num is not None:
            adapter._set_val("VirtualSlotNumber", int(slot_num))
        return adapter


@ElementWrapper.pvm_type("ClientAdapter", child_order=ADAPTER_CHILD_ORDER)
class VClientStorageAdapterElement(_VAdapter):
    """The client (LPAR) end of a mapping."""

    lpar_id = Field("LocalPartitionID", int,
                    doc="The client partition's short id.")
    lpar_slot_num = Field("VirtualSlotNumber", int,
                          doc="The adapter's slot on the client.")

    @classmethod
    def bld(cls, adapter: Any, slot_num: Optional[int] = None):
        """A new client adapter, in ``slot_num`` or the next free slot.
        ``adapter`` is accepted for call compatibility and not used."""
        return cls._bld_new("Client", slot_num)


@ElementWrapper.pvm_type("ServerAdapter", child_order=ADAPTER_CHILD_ORDER)
class VServerStorageAdapterElement(_VAdapter):
    """The server (VIOS) end of a mapping."""

    name = Field("AdapterName",
                 doc="The adapter's name on the VIOS, e.g. ``vhost0``.")
    vios_id = Field("LocalPartitionID", int, doc="The VIOS's short id.")
    vios_slot_num = Field("VirtualSlotNumber", int,
                          doc="The adapter's slot on the VIOS.")

    @classmethod
    def bld(cls, adapter: Any):
        """A new server adapter in the next free slot.  ``adapter`` is
        accepted for call compatibility and not used."""
        return cls._bld_new("Server")


class VSCSIClientAdapterElement(VClientStorageAdapterElement):
    """The client end of a virtual SCSI mapping."""

    vios_id = Field("RemoteLogicalPartitionID", int,
                    doc="The VIOS's short id.")
    vios_slot_num = Field("RemoteSlotNumber", int,
                          doc="The paired server adapter's slot.")


class VSCSIServerAdapterElement(VServerStorageAdapterElement):
    """The server end of a virtual SCSI mapping."""

    backing_dev_name = Field("BackingDeviceName",
                             doc="The device this adapter serves.")
    lpar_id = Field("RemoteLogicalPartitionID", int,
                    doc="The client partition's short id.")
    lpar_slot_num = Field("RemoteSlotNumber", int,
                          doc="The paired client adapter's slot.")


class VFCClientAdapterElement(VClientStorageAdapterElement):
    """The client end of a virtual Fibre Channel mapping."""

    vios_id = Field("ConnectingPartitionID", int,
                    doc="The VIOS's short id.")
    vios_slot_num = Field("ConnectingVirtualSlotNumber", int,
                          doc="The paired server adapter's slot.")

    @property
    def wwpns(self) -> List[str]:
        """The client's WWPNs, upper case (empty if none assigned yet)."""
        text = self._get_val_str("WWPNs")
        return text.upper().split() if text else []

    @classmethod
    def bld(cls, adapter: Any,  # type: ignore[override]
            wwpns: Optional[List[str]] = None,
            slot_num: Optional[int] = None):
        """A new client adapter with ``wwpns`` (the server generates them
        when None), in ``slot_num`` or the next free slot."""
        client = cls._bld_new("Client", slot_num)
        if wwpns is not None:
            client._set_val("WWPNs", " ".join(wwpns).lower())
        return client


class VFCServerAdapterElement(VServerStorageAdapterElement):
    """The server end of a virtual Fibre Channel mapping."""

    map_port = Field("MapPort", doc="The physical port it is mapped to.")
    lpar_id = Field("ConnectingPartitionID", int,
                    doc="The client partition's short id.")
    lpar_slot_num = Field("ConnectingVirtualSlotNumber", int,
                          doc="The paired client adapter's slot.")


@ElementWrapper.pvm_type("PhysicalFibreChannelPort",
                         child_order=PORT_CHILD_ORDER)
class PhysFCPort(_Built):
    """A physical Fibre Channel port of a VIOS (a VFC mapping's ``Port``)."""

    name = Field("PortName", doc="The port's name, e.g. ``fcs0``.")
    wwpn = Field("WWPN", doc="The port's WWPN.")
    loc_code = Field("LocationCode", doc="The port's location code.")
    udid = Field("UniqueDeviceID", doc="The port's unique device id.")
    npiv_available_ports = Field("AvailablePorts", int, default=0,
                                 doc="Free NPIV ports (0 when absent).")
    npiv_total_ports = Field("TotalPorts", int, default=0,
                             doc="NPIV ports in all (0 when absent).")

    @classmethod
    def bld_ref(cls, adapter: Any, name: str,
                ref_tag: Optional[str] = None) -> "PhysFCPort":
        """A reference to the port ``name``; ``ref_tag`` names the element
        (``Port`` inside a mapping)."""
        port = cls(new_element(ref_tag or cls.schema_type, cls.schema_ns,
                               metadata=True))
        port._set_val("PortName", _required(name, "Fibre Channel port"))
        return port
