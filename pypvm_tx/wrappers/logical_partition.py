"""Partitions: the shared partition base, LPAR, and their memory and
processor configurations.

An LPAR and a VIOS are both partitions; :class:`BasePartition` holds what
they share (name, id, state, type, memory and processor configuration)
and :class:`LPAR` registers it for the ``LogicalPartition`` schema type.

Reading a value that is absent from the XML gives ``None``, except for
the counts and flags the server leaves out when they are zero or false
(``is_mgmt_partition``, ``has_dedicated``, the dedicated processor counts,
``pool_id``, ``uncapped_weight``), which read ``0`` / ``False``.  Setting a
value that is absent inserts its element, and any missing parent, where
the server's schema order puts it; the server rejects out-of-order
elements.  Elements this module knows nothing about are never touched.
"""

from typing import Any, Callable, Optional, Sequence


from pypvm_tx import const as c
from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.base import new_element
from pypvm_tx.wrappers.config import ConfigElement
from pypvm_tx.wrappers.fields import Field
# The I/O configuration's wrappers are partition parts too (the peer's
# base_partition module has them), so they are reachable from here.
from pypvm_tx.wrappers.io_config import (IOAdapter, IOSlot,  # noqa: F401
                                         PartitionIOConfiguration,
                                         PhysFCAdapter)
from pypvm_tx.wrappers.storage import PhysFCPort  # noqa: F401

# -- schema orders (taken from real HMC / NovaLink responses) -------------

#: The children every partition (LPAR or VIOS) starts with, in schema order.
PARTITION_CHILD_ORDER_HEAD = (
    "Metadata", "AllowPerformanceDataCollection", "AssociatedPartitionProfile",
    "AvailabilityPriority",
    "CurrentAllocatedBarrierSynchronizationRegisterArrays",
    "CurrentProcessorCompatibilityMode", "CurrentProfileSync",
    "IsCallHomeEnabled", "IsConnectionMonitoringEnabled",
    "IsOperationInProgress", "IsRedundantErrorPathReportingEnabled",
    "IsTimeReferencePartition", "IsVirtualServiceAttentionLEDOn",
    "IsVirtualTrustedPlatformModuleEnabled", "KeylockPosition",
    "LogicalSerialNumber", "OperatingSystemVersion", "PartitionCapabilities",
    "PartitionID", "PartitionIOConfiguration", "PartitionMemoryConfiguration",
    "PartitionName", "PartitionProcessorConfiguration", "PartitionProfiles",
    "PartitionState", "PartitionType", "PartitionUUID",
    "PendingProcessorCompatibilityMode", "ProcessorPool",
    "ProgressPartitionDataRemaining", "ProgressPartitionDataTotal",
)

#: Children of ``LogicalPartition`` in schema order (from real captures).
LPAR_CHILD_ORDER = PARTITION_CHILD_ORDER_HEAD + (
    "ProgressState", "ResourceMonitoringControlState",
    "ResourceMonitoringIPAddress", "AssociatedManagedSystem",
    "ClientNetworkAdapters", "HostEthernetAdapterLogicalPort",
    "HostEthernetAdapterLogicalPorts", "MACAddressPrefix",
    "IsServicePartition", "ReferenceCode", "ReferenceCodeFull",
    "IsManagementPartition", "BootMode", "DisableSecureBoot",
    "PendingSecureBoot",
    "CurrentSecureBoot", "AssociatedPersistentMemoryConfiguration",
    "RemoteRestartCapable", "SimplifiedRemoteRestartCapable",
    "HasDedicatedProcessorsForMigration", "SuspendCapable",
    "VirtualSerialNumber", "KeyStoreSize", "PartitionNVRAM", "Uptime",
    "MigrationState", "RemoteRestartState", "PowerManagementMode",
    "VirtualFibreChannelClientAdapters", "VirtualSCSIClientAdapters",
    "IsRestrictedIOPartition", "StorageDeviceUniqueDeviceID",
    "DesignatedIPLSource", "DedicatedVirtualNICs", "BootListInformation",
)

#: Children of ``PartitionCapabilities`` in schema order.
CAP_CHILD_ORDER = (
    "Metadata", "DynamicLogicalPartitionIOCapable",
    "DynamicLogicalPartitionMemoryCapable",
    "DynamicLogicalPartitionProcessorCapable",
)

#: Where a partition's persistent-memory volume counts are.
_PMEM = "AssociatedPersistentMemoryConfiguration/"

#: Children of ``PartitionMemoryConfiguration`` in schema order.
MEM_CHILD_ORDER = (
    "Metadata", "ActiveMemoryExpansionEnabled", "ActiveMemorySharingEnabled",
    "BarrierSynchronizationRegisterArrayCount", "DesiredHugePageCount",
    "DesiredMemory", "ExpansionFactor", "HardwarePageTableRatio",
    "MaximumHugePageCount", "ManualEntitledModeEnabled", "MaximumMemory",
    "MinimumHugePageCount", "MinimumMemory", "CurrentEntitledMemory",
    "AutoEntitledMemoryEnabled",
    "CurrentBarrierSynchronizationRegisterArrays", "CurrentExpansionFactor",
    "CurrentHardwarePageTableRatio", "CurrentHugePageCount",
    "CurrentMaximumHugePageCount", "CurrentMaximumMemory", "CurrentMemory",
    "CurrentMinimumHugePageCount", "CurrentMemoryWeight",
    "CurrentMinimumMemory", "MemoryExpansionHardwareAccessEnabled",
    "MemoryEncryptionHardwareAccessEnabled", "MemoryExpansionEnabled",
    "RedundantErrorPathReportingEnabled", "RuntimeHugePageCount",
    "RuntimeMemory", "RuntimeMinimumMemory", "RuntimeMemoryWeight",
    "SharedMemoryEnabled",
)

#: Children of ``PartitionProcessorConfiguration`` in schema order.
PROC_CHILD_ORDER = (
    "Metadata", "DedicatedProcessorConfiguration", "HasDedicatedProcessors",
    "SharedProcessorConfiguration", "SharingMode",
    "CurrentHasDedicatedProcessors", "CurrentSharingMode",
    "CurrentDedicatedProcessorConfiguration", "RuntimeHasDedicatedProcessors",
    "RuntimeSharingMode", "CurrentSharedProcessorConfiguration",
)

#: Children of ``SharedProcessorConfiguration`` in schema order.
SHARED_PROC_CHILD_ORDER = (
    "Metadata", "DesiredProcessingUnits", "DesiredVirtualProcessors",
    "MaximumProcessingUnits", "MaximumVirtualProcessors",
    "MinimumProcessingUnits", "MinimumVirtualProcessors",
    "SharedProcessorPoolID", "UncappedWeight",
)

#: Children of ``DedicatedProcessorConfiguration`` in schema order.
DED_PROC_CHILD_ORDER = (
    "Metadata", "DesiredProcessors", "MaximumProcessors", "MinimumProcessors",
)


class LPARState:
    """Values of ``PartitionState``."""

    RUNNING = "running"
    NOT_ACTIVATED = "not activated"
    STARTING = "starting"
    SHUTTING_DOWN = "shutting down"
    ERROR = "error"
    OPEN_FIRMWARE = "open firmware"
    MIGRATING_RUNNING = "migrating running"
    UNKNOWN = "unknown"


class RMCState:
    """Values of ``ResourceMonitoringControlState``: whether the management
    console can reach the partition's operating system."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    NONE = "none"
    UNKNOWN = "unknown"
    BUSY = "busy"


class LPARType:
    """Values of ``PartitionType`` (what ``env`` returns)."""

    AIXLINUX = "AIX/Linux"
    OS400 = "OS400"
    VIOS = "Virtual IO Server"


class SharingMode:
    """Values of ``SharingMode``."""

    CAPPED = "capped"
    UNCAPPED = "uncapped"
    #: (sic) the server's spelling.
    SHARE_IDLE_PROCS = "sre idle proces"
    SHARE_IDLE_PROCS_ALWAYS = "sre idle procs always"
    KEEP_IDLE_PROCS = "keep idle procs"


class BootMode:
    """Values of ``BootMode``: how the partition's firmware boots it."""

    NORM = "Normal"
    SMS = "System_Management_Services"
    DD = "Diagnostic_With_Default_Boot_List"
    DS = "Diagnostic_With_Stored_Boot_List"
    OF = "Open_Firmware"
    PBL = "Petitboot"
    UNAVAILABLE = "Unavailable"
    DEFAULT = "Default"
    UNKNOWN = "Unknown"
    ALL_VALUES = (NORM, SMS, DD, DS, OF, PBL, UNAVAILABLE, DEFAULT, UNKNOWN)


class IPLSrc:
    """Values of ``DesignatedIPLSource``: the IBM i partition's initial
    program load source."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    UNKNOWN = "Unknown"
    ALL_VALUES = (A, B, C, D, UNKNOWN)


class KeylockPos:
    """Values of ``KeylockPosition``: the partition's virtual key switch."""

    MANUAL = "manual"
    NORMAL = "normal"
    UNKNOWN = "unknown"
    ALL_VALUES = (MANUAL, NORMAL, UNKNOWN)


def _one_of(what: str, allowed: Sequence[str]) -> Callable[[str], str]:
    """A Field coercion refusing a value not in ``allowed``."""
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(_("Invalid %(what)s %(value)r; expected one of "
                               "%(allowed)s.") % {
                "what": what, "value": value,
                "allowed": ", ".join(allowed)})
        return value
    return check


def _on_off(value) -> str:
    """``CurrentProfileSync`` text for a bool (``On``/``Off``), or the
    text itself when given as ``"On"``/``"Off"``."""
    if isinstance(value, bool):
        return "On" if value else "Off"
    if value in ("On", "Off"):
        return value
    raise ValueError(_("profile_sync takes True, False, 'On' or 'Off'; got "
                       "%r.") % (value,))


def _units(value: float) -> str:
    """Processing units as the server writes them (at most 2 decimals)."""
    return "%s" % round(float(value), 2)


@ewrap.ElementWrapper.pvm_type("PartitionCapabilities",
                               child_order=CAP_CHILD_ORDER)
class PartitionCapabilities(ConfigElement):
    """What can be changed while the partition runs (dynamic LPAR), as
    the server reports it; read-only, each False when not reported."""

    io_dlpar = Field("DynamicLogicalPartitionIOCapable", bool, default=False,
                     doc="Whether I/O can be added or removed while the "
                         "partition runs.")
    mem_dlpar = Field("DynamicLogicalPartitionMemoryCapable", bool,
                      default=False,
                      doc="Whether memory can be changed while the "
                          "partition runs.")
    proc_dlpar = Field("DynamicLogicalPartitionProcessorCapable", bool,
                       default=False,
                       doc="Whether processors can be changed while the "
                           "partition runs.")


@ewrap.ElementWrapper.pvm_type("PartitionMemoryConfiguration",
                               child_order=MEM_CHILD_ORDER)
class PartitionMemoryConfiguration(ConfigElement):
    """A partition's memory configuration; sizes are in MB."""

    desired = Field("DesiredMemory", int, settable=True,
                    doc="The memory the partition is given when it starts "
                        "(``DesiredMemory``).")
    min = Field("MinimumMemory", int, settable=True,
                doc="The least memory the partition may run with "
                    "(``MinimumMemory``).")
    max = Field("MaximumMemory", int, settable=True,
                doc="The most memory the partition may be given "
                    "(``MaximumMemory``).")
    current = Field("CurrentMemory", int,
                    doc="The memory the running partition has now "
                        "(read-only).")
    exp_factor = Field("ExpansionFactor", float, settable=True, default=0,
                       coerce=_units,
                       doc="The Active Memory Expansion factor: the "
                           "memory the partition's OS sees is this many "
                           "times its real memory (0, off, when absent).")
    ame_enabled = Field("MemoryExpansionEnabled", bool, default=False,
                        doc="Whether Active Memory Expansion is on (False "
                            "when absent).")

    @classmethod
    def bld(cls, adapter: Any, mem: int, min_mem: Optional[int] = None,
            max_mem: Optional[int] = None) -> "PartitionMemoryConfiguration":
        """A new memory configuration of ``mem`` MB desired, for a
        partition being built; ``min_mem`` and ``max_mem`` default to
        ``mem``.

        :param adapter: accepted for call compatibility; not used.
        """
        cfg = cls(new_element(cls.schema_type, cls.schema_ns,
                              metadata=True))
        cfg.desired = mem
        cfg.max = mem if max_mem is None else max_mem
        cfg.min = mem if min_mem is None else min_mem
        return cfg


@ewrap.ElementWrapper.pvm_type("SharedProcessorConfiguration",
                               child_order=SHARED_PROC_CHILD_ORDER)
class SharedProcessorConfiguration(ConfigElement):
    """Shared-processor settings: processing units and virtual processors.

    Processing units are written with at most two decimals, as the server
    writes them.
    """

    desired_units = Field("DesiredProcessingUnits", float, settable=True,
                          coerce=_units,
                          doc="Desired processing units "
                              "(``DesiredProcessingUnits``).")
    min_units = Field("MinimumProcessingUnits", float, settable=True,
                      coerce=_units,
                      doc="Minimum processing units "
                          "(``MinimumProcessingUnits``).")
    max_units = Field("MaximumProcessingUnits", float, settable=True,
                      coerce=_units,
                      doc="Maximum processing units "
                          "(``MaximumProcessingUnits``).")
    desired_virtual = Field("DesiredVirtualProcessors", int, settable=True,
                            doc="Desired virtual processors "
                                "(``DesiredVirtualProcessors``).")
    min_virtual = Field("MinimumVirtualProcessors", int, settable=True,
                        doc="Minimum virtual processors "
                            "(``MinimumVirtualProcessors``).")
    max_virtual = Field("MaximumVirtualProcessors", int, settable=True,
                        doc="Maximum virtual processors "
                            "(``MaximumVirtualProcessors``).")
    pool_id = Field("SharedProcessorPoolID", int, settable=True, default=0,
                    doc="The shared processor pool's id "
                        "(``SharedProcessorPoolID``; 0, the default pool, "
                        "when absent).")
    uncapped_weight = Field("UncappedWeight", int, settable=True, default=0,
                            doc="The partition's share of idle capacity "
                                "when uncapped (``UncappedWeight``; 0 when "
                                "absent).")


@ewrap.ElementWrapper.pvm_type("DedicatedProcessorConfiguration",
                               child_order=DED_PROC_CHILD_ORDER)
class DedicatedProcessorConfiguration(ConfigElement):
    """Dedicated-processor settings: whole processors."""

    desired = Field("DesiredProcessors", int, settable=True, default=0,
                    doc="Desired dedicated processors "
                        "(``DesiredProcessors``; 0 when absent).")
    min = Field("MinimumProcessors", int, settable=True, default=0,
                doc="Minimum dedicated processors (``MinimumProcessors``; "
                    "0 when absent).")
    max = Field("MaximumProcessors", int, settable=True, default=0,
                doc="Maximum dedicated processors (``MaximumProcessors``; "
                    "0 when absent).")


@ewrap.ElementWrapper.pvm_type("PartitionProcessorConfiguration",
                               child_order=PROC_CHILD_ORDER)
class PartitionProcessorConfiguration(ConfigElement):
    """A partition's processor configuration, dedicated or shared.

    ``has_dedicated`` says which of ``dedicated_proc_cfg`` and
    ``shared_proc_cfg`` is in force.  The ``desired_*`` shortcuts read and
    write the desired values of the configuration in force.
    """

    has_dedicated = Field("HasDedicatedProcessors", bool, settable=True,
                          default=False,
                          doc="Whether the partition uses dedicated "
                              "processors (``HasDedicatedProcessors``; "
                              "False when absent).")
    sharing_mode = Field("SharingMode", settable=True,
                         doc="``SharingMode``, one of the "
                             ":class:`SharingMode` values.")

    @property
    def shared_proc_cfg(self) -> SharedProcessorConfiguration:
        return SharedProcessorConfiguration._of(
            self, PROC_CHILD_ORDER, ensure_parent=self._ensure_attached)

    @property
    def dedicated_proc_cfg(self) -> DedicatedProcessorConfiguration:
        return DedicatedProcessorConfiguration._of(
            self, PROC_CHILD_ORDER, ensure_parent=self._ensure_attached)

    # Shortcuts for the configuration in force.

    @property
    def desired_units(self) -> Optional[float]:
        """Desired processing units (shared processors), else None."""
        if self.has_dedicated:
            return None
        return self.shared_proc_cfg.desired_units

    @desired_units.setter
    def desired_units(self, value: float) -> None:
        self._require_shared("desired_units")
        self.shared_proc_cfg.desired_units = value

    @property
    def desired_virtual(self) -> Optional[int]:
        """Desired virtual processors (shared processors), else None."""
        if self.has_dedicated:
            return None
        return self.shared_proc_cfg.desired_virtual

    @desired_virtual.setter
    def desired_virtual(self, value: int) -> None:
        self._require_shared("desired_virtual")
        self.shared_proc_cfg.desired_virtual = value

    @property
    def desired_procs(self) -> Optional[int]:
        """Desired dedicated processors, else None."""
        if not self.has_dedicated:
            return None
        return self.dedicated_proc_cfg.desired

    @desired_procs.setter
    def desired_procs(self, value: int) -> None:
        if not self.has_dedicated:
            raise ValueError(_("Cannot set desired_procs: this partition "
                               "uses shared processors; set desired_units "
                               "and desired_virtual, or set has_dedicated "
                               "to True first."))
        self.dedicated_proc_cfg.desired = value

    def _require_shared(self, what: str) -> None:
        if self.has_dedicated:
            raise ValueError(_("Cannot set %s: this partition uses dedicated "
                               "processors; set desired_procs, or set "
                               "has_dedicated to False first.") % what)


# -- partitions --------------------------------------------------------------


def _partition_name(value: str) -> str:
    """``value`` if it is a usable partition name, else ValueError."""
    if not value or not str(value).strip():
        raise ValueError(_("A partition name must be a non-empty "
                           "string; got %r.") % (value,))
    return value


class BasePartition(ewrap.EntryWrapper):
    """What every partition (LPAR or VIOS) has.

    Not registered for a schema type itself; :class:`LPAR` and
    :class:`~pypvm_tx.wrappers.virtual_io_server.VIOS` are.
    """

    name = Field("PartitionName", settable=True, coerce=_partition_name,
                 doc="The partition's name (``PartitionName``); a name "
                     "set must be a non-empty string.")
    id = Field("PartitionID", int,
               doc="The partition's short numeric id on its system "
                   "(``PartitionID``).")
    partition_uuid = Field("PartitionUUID",
                           doc="``PartitionUUID`` as written in the object "
                               "(usually ``uuid``).")
    state = Field("PartitionState",
                  doc="``PartitionState``, one of the :class:`LPARState` "
                      "values.")
    partition_type = Field("PartitionType",
                           doc="``PartitionType``, one of the "
                               ":class:`LPARType` values.")
    env = Field("PartitionType", settable=True,
                doc="The partition's environment: its ``PartitionType`` "
                    "value.")
    is_mgmt_partition = Field("IsManagementPartition", bool, default=False,
                              doc="Whether this is the management "
                                  "partition (``IsManagementPartition``; "
                                  "False when absent).")
    rmc_state = Field("ResourceMonitoringControlState",
                      doc="The partition's RMC connection state "
                          "(``ResourceMonitoringControlState``), one of the "
                          ":class:`RMCState` values.")

    rmc_ip = Field("ResourceMonitoringIPAddress",
                   doc="The IP address the management console reaches the "
                       "partition's RMC daemon at.")
    operating_system = Field("OperatingSystemVersion", default="Unknown",
                             doc="The operating system's name and version "
                                 "as the partition reports it "
                                 "(``'Unknown'`` when not reported).")
    ref_code = Field("ReferenceCode",
                     doc="The partition's last reference (progress or "
                         "error) code.")
    ref_code_full = Field("ReferenceCodeFull",
                          doc="The last reference code with its time stamp "
                              "and details.")
    uptime = Field("Uptime", int,
                   doc="Seconds since the partition was started.")
    avail_priority = Field("AvailabilityPriority", int, settable=True,
                           default=0,
                           doc="Priority (0-255) for keeping this partition "
                               "running when processors fail (0 when "
                               "absent).")
    is_service_partition = Field("IsServicePartition", bool, settable=True,
                                 default=False,
                                 doc="Whether this is the system's service "
                                     "partition (False when absent).")
    keylock_pos = Field("KeylockPosition", settable=True,
                        coerce=_one_of("KeylockPos", KeylockPos.ALL_VALUES),
                        doc="The virtual key switch, a :class:`KeylockPos` "
                            "value; any other value set raises "
                            "ValueError.")
    bootmode = Field("BootMode", settable=True,
                     coerce=_one_of("BootMode", BootMode.ALL_VALUES),
                     doc="How the partition boots next, a :class:`BootMode` "
                         "value; any other value set raises ValueError.")
    disable_secure_boot = Field("DisableSecureBoot", bool, settable=True,
                                default=False,
                                doc="Whether secure boot is switched off "
                                    "(False when absent).")
    pending_secure_boot = Field("PendingSecureBoot", int, settable=True,
                                default=0,
                                doc="The secure-boot level the partition "
                                    "gets at its next boot (0: off).")
    current_secure_boot = Field("CurrentSecureBoot", int, default=0,
                                doc="The secure-boot level in force: 0 off, "
                                    "1 log only, 2 and up enforced.")
    allow_perf_data_collection = Field(
        "AllowPerformanceDataCollection", bool, settable=True, default=False,
        doc="Whether the partition may collect the system's performance "
            "data (False when absent).")
    nvram = Field("PartitionNVRAM", settable=True,
                  doc="The partition's NVRAM contents, as the server encodes "
                      "them (sent only when asked for).")
    pending_proc_compat_mode = Field(
        "PendingProcessorCompatibilityMode",
        doc="The processor compatibility mode the partition gets at its "
            "next start (e.g. ``'POWER8'``).")
    max_pmem_volumes = Field(_PMEM + "MaximumPersistentMemoryVolumes", int,
                             doc="Most persistent-memory volumes the "
                                 "partition may have.")
    cur_pmem_volumes = Field(_PMEM + "CurrentPersistentMemoryVolumes", int,
                             doc="Persistent-memory volumes it has now.")
    max_dram_pmem_volumes = Field(
        _PMEM + "MaximumDramPersistentMemoryVolumes", int,
        doc="Most DRAM-backed persistent-memory volumes it may have.")
    cur_dram_pmem_volumes = Field(
        _PMEM + "CurrentDramPersistentMemoryVolumes", int,
        doc="DRAM-backed persistent-memory volumes it has now.")

    @property
    def profile_sync(self) -> bool:
        """Whether the partition's profile follows its running
        configuration (``CurrentProfileSync`` is ``On``).  Set with a bool
        or with ``'On'`` / ``'Off'``."""
        return self._get_val_str("CurrentProfileSync", "Off") == "On"

    @profile_sync.setter
    def profile_sync(self, value) -> None:
        self._set_val("CurrentProfileSync", _on_off(value))

    @property
    def proc_compat_mode(self) -> Optional[str]:
        """The processor compatibility mode in force (e.g. ``'POWER8'``).

        Setting it sets the *pending* mode
        (``PendingProcessorCompatibilityMode``), which the partition gets
        at its next start; the mode in force is the server's to change.
        """
        return self._get_val_str("CurrentProcessorCompatibilityMode")

    @proc_compat_mode.setter
    def proc_compat_mode(self, value: str) -> None:
        self._set_val("PendingProcessorCompatibilityMode", value)

    @property
    def capabilities(self) -> PartitionCapabilities:
        """What can change while the partition runs (read as absent when
        not sent)."""
        return PartitionCapabilities._of(self, self.child_order)

    @property
    def io_config(self) -> PartitionIOConfiguration:
        """The I/O configuration: virtual slot count and physical slots
        (read as absent when not sent)."""
        return PartitionIOConfiguration._of(self, self.child_order)

    @property
    def mem_config(self) -> PartitionMemoryConfiguration:
        """The memory configuration (read as absent when not sent)."""
        return PartitionMemoryConfiguration._of(self, self.child_order)

    @property
    def proc_config(self) -> PartitionProcessorConfiguration:
        """The processor configuration (read as absent when not sent)."""
        return PartitionProcessorConfiguration._of(self, self.child_order)

    @property
    def assoc_sys_uuid(self) -> Optional[str]:
        """UUID of the managed system this partition belongs to, if linked."""
        link = self._find("AssociatedManagedSystem")
        href = link.get("href") if link is not None else None
        if not href:
            return None
        return href.rstrip("/").rsplit("/", 1)[-1]


@ewrap.EntryWrapper.pvm_type(c.LOGICAL_PARTITION, child_order=LPAR_CHILD_ORDER)
class LPAR(BasePartition):
    """A logical partition (``LogicalPartition``)."""

    desig_ipl_src = Field("DesignatedIPLSource", settable=True,
                          coerce=_one_of("IPLSrc", IPLSrc.ALL_VALUES),
                          doc="An IBM i partition's IPL source, an "
                              ":class:`IPLSrc` value; any other value set "
                              "raises ValueError.")
    srr_enabled = Field("SimplifiedRemoteRestartCapable", bool,
                        settable=True, default=False,
                        doc="Whether the partition can be restarted on "
                            "another system when its own fails (simplified "
                            "remote restart; False when absent).")
