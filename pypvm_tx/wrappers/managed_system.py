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

    @property
    def name(self) -> Optional[str]:
        """The system's name (``SystemName``)."""
        return self._get_val_str("SystemName")

    @property
    def state(self) -> Optional[str]:
        """The system's state, e.g. ``operating`` (``State``)."""
        return self._get_val_str("State")

    @property
    def machine_type(self) -> Optional[str]:
        return self._get_val_str(_MTMS + "/MachineType")

    @property
    def model(self) -> Optional[str]:
        return self._get_val_str(_MTMS + "/Model")

    @property
    def serial(self) -> Optional[str]:
        return self._get_val_str(_MTMS + "/SerialNumber")

    @property
    def mtms(self) -> Optional[str]:
        """``<type>-<model>*<serial>``, or None if any part is missing."""
        parts = (self.machine_type, self.model, self.serial)
        if None in parts:
            return None
        return "%s-%s*%s" % parts

    @property
    def max_partitions(self) -> Optional[int]:
        return self._get_val_int("MaximumPartitions")

    @property
    def primary_ip(self) -> Optional[str]:
        return self._get_val_str("PrimaryIPAddress")
