"""What every partition (LPAR or VIOS) has: :class:`BasePartition`, the
values of its state, type and boot settings, and the schema order its
children start with.

:class:`BasePartition` is not registered for a schema type itself;
:class:`~pypvm_tx.wrappers.logical_partition.LPAR` and
:class:`~pypvm_tx.wrappers.virtual_io_server.VIOS` are.  Its capabilities,
memory, processor and I/O configurations are wrappers of their own
(:mod:`pypvm_tx.wrappers.partition_config`,
:mod:`pypvm_tx.wrappers.io_config`), reachable from here too.

Reading a value that is absent from the XML gives ``None``, except for
the counts and flags the server leaves out when they are zero or false
(``is_mgmt_partition``, ``avail_priority``, the secure-boot levels, ...),
which read ``0`` / ``False``.  Setting a value that is absent inserts its
element where the server's schema order puts it; the server rejects
out-of-order elements.  Elements this module knows nothing about are
never touched.
"""

from typing import Callable, Optional, Sequence

from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.fields import Field
# The I/O configuration's wrappers are partition parts too (the peer's
# base_partition module has them), so they are reachable from here.
from pypvm_tx.wrappers.io_config import (IOAdapter, IOSlot,  # noqa: F401
                                         PartitionIOConfiguration,
                                         PhysFCAdapter)
# So are the capabilities, memory and processor configurations.
from pypvm_tx.wrappers.partition_config import (  # noqa: F401
    CAP_CHILD_ORDER, DED_PROC_CHILD_ORDER, MEM_CHILD_ORDER, PROC_CHILD_ORDER,
    SHARED_PROC_CHILD_ORDER, DedicatedProcessorConfiguration,
    PartitionCapabilities, PartitionMemoryConfiguration,
    PartitionProcessorConfiguration, SharedProcessorConfiguration)
from pypvm_tx.wrappers.storage import PhysFCPort  # noqa: F401

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

#: Where a partition's persistent-memory volume counts are.
_PMEM = "AssociatedPersistentMemoryConfiguration/"


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


def _partition_name(value: str) -> str:
    """``value`` if it is a usable partition name, else ValueError."""
    if not value or not str(value).strip():
        raise ValueError(_("A partition name must be a non-empty "
                           "string; got %r.") % (value,))
    return value


class BasePartition(ewrap.EntryWrapper):
    """What every partition (LPAR or VIOS) has.

    Not registered for a schema type itself;
    :class:`~pypvm_tx.wrappers.logical_partition.LPAR` and
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
