"""Logical partitions: :class:`LPAR`, the ``LogicalPartition`` schema
type.

An LPAR and a VIOS are both partitions; what they share (name, id, state,
type, memory and processor configuration) is
:class:`~pypvm_tx.wrappers.base_partition.BasePartition`.  Every name of
:mod:`pypvm_tx.wrappers.base_partition` and
:mod:`pypvm_tx.wrappers.partition_config` is importable from this module
too, as pypowervm's ``logical_partition`` users expect.
"""

from pypvm_tx import const as c
from pypvm_tx.wrappers import entry_wrapper as ewrap
# What every partition has, reachable from here as it always was.
from pypvm_tx.wrappers.base_partition import (  # noqa: F401
    CAP_CHILD_ORDER, DED_PROC_CHILD_ORDER, MEM_CHILD_ORDER,
    PARTITION_CHILD_ORDER_HEAD, PROC_CHILD_ORDER, SHARED_PROC_CHILD_ORDER,
    BasePartition, BootMode, DedicatedProcessorConfiguration, IOAdapter,
    IOSlot, KeylockPos, LPARState, LPARType, PartitionCapabilities,
    PartitionIOConfiguration, PartitionMemoryConfiguration,
    PartitionProcessorConfiguration, PhysFCAdapter, PhysFCPort, RMCState,
    SharedProcessorConfiguration, SharingMode, _one_of)
from pypvm_tx.wrappers.fields import Field

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


class IPLSrc:
    """Values of ``DesignatedIPLSource``: the IBM i partition's initial
    program load source."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    UNKNOWN = "Unknown"
    ALL_VALUES = (A, B, C, D, UNKNOWN)


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
