"""The managed system (the physical server) as a wrapper.

pypvm_tx needs only a little of a ``ManagedSystem``: its identity, name
and state, so that it can serve as the parent of CHILD objects, e.g.
``LPAR.getter(adapter, parent_class=System, parent_uuid=...)`` or
``LPAR.getter(adapter, parent=system)``.  Everything else in the element
is kept untouched.
"""

from typing import Optional

from pypvm_tx import const as c
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.fields import Field

#: Children of ``ManagedSystem`` in schema order (from real captures).
SYSTEM_CHILD_ORDER = (
    "Metadata", "AssociatedIPLConfiguration", "AssociatedLogicalPartitions",
    "AssociatedReservedStorageDevicePool", "AssociatedSystemCapabilities",
    "AssociatedSystemIOConfiguration", "AssociatedSystemMemoryConfiguration",
    "AssociatedSystemProcessorConfiguration",
    "AssociatedSystemVirtualStorage", "MachineTypeModelAndSerialNumber",
    "ManufacturingDefaultConfigurationEnabled", "MaximumPartitions",
    "PrimaryIPAddress", "SecondaryIPAddress", "State", "SystemName",
    "SystemMigrationInformation", "IsPowerVMManagementMaster",
    "IsManagementPartitionPowerVMManagementMaster",
    "IsHMCPowerVMManagementMaster", "AssociatedGroups", "AssociatedTasks",
)

_MTMS = "MachineTypeModelAndSerialNumber"


@ewrap.EntryWrapper.pvm_type(c.MANAGED_SYSTEM, child_order=SYSTEM_CHILD_ORDER)
class System(ewrap.EntryWrapper):
    """A ``ManagedSystem``: the server that hosts LPARs and VIOSes."""

    name = Field("SystemName", doc="The system's name (``SystemName``).")
    state = Field("State",
                  doc="The system's state, e.g. ``operating`` (``State``).")
    machine_type = Field(_MTMS + "/MachineType",
                         doc="The machine type, e.g. ``8247``.")
    model = Field(_MTMS + "/Model", doc="The model, e.g. ``22L``.")
    serial = Field(_MTMS + "/SerialNumber", doc="The serial number.")

    @property
    def mtms(self) -> Optional[str]:
        """``<type>-<model>*<serial>``, or None if any part is missing."""
        parts = (self.machine_type, self.model, self.serial)
        if None in parts:
            return None
        return "%s-%s*%s" % parts

    max_partitions = Field("MaximumPartitions", int,
                           doc="How many partitions the system can host.")
    primary_ip = Field("PrimaryIPAddress",
                       doc="The system's primary IP address.")
