"""The managed system (the physical server) as a wrapper.

pypvm_tx needs only a little of a ``ManagedSystem``: its identity, name
and state, so that it can serve as the parent of CHILD objects, e.g.
``LPAR.getter(adapter, parent_class=System, parent_uuid=...)`` or
``LPAR.getter(adapter, parent=system)``.  Everything else in the element
is kept untouched.
"""

from typing import Any, Optional

from pypvm_tx import const as c
from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.base import new_element
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

#: Children of ``MachineTypeModelAndSerialNumber`` in schema order.
MTMS_CHILD_ORDER = ("Metadata", "MachineType", "Model", "SerialNumber")


@ewrap.ElementWrapper.pvm_type(_MTMS, child_order=MTMS_CHILD_ORDER)
class MTMS(ewrap.ElementWrapper):
    """A system's machine type, model and serial number.

    ``mtms_str`` is the usual one-string form, ``<type>-<model>*<serial>``
    (e.g. ``8247-22L*2125D4A``), which identifies a server.
    """

    machine_type = Field("MachineType", settable=True,
                         doc="The machine type, e.g. ``8247``.")
    model = Field("Model", settable=True, doc="The model, e.g. ``22L``.")
    serial = Field("SerialNumber", settable=True,
                   doc="The serial number.")

    @property
    def mtms_str(self) -> Optional[str]:
        """``<type>-<model>*<serial>``, or None if any part is missing."""
        parts = (self.machine_type, self.model, self.serial)
        if None in parts:
            return None
        return "%s-%s*%s" % parts

    @classmethod
    def bld(cls, adapter: Any, mtms_str: str) -> "MTMS":
        """A new element from ``mtms_str`` (``<type>-<model>*<serial>``);
        ``adapter`` is accepted for call compatibility and not used.

        :raises ValueError: ``mtms_str`` is not of that form.
        """
        mtm, star, serial = str(mtms_str).partition("*")
        mtype, dash, model = mtm.partition("-")
        if not (star and dash and mtype and model and serial):
            raise ValueError(_("A machine type, model and serial must read "
                               "TYPE-MODEL*SERIAL (e.g. 8247-22L*2125D4A); "
                               "got %r.") % (mtms_str,))
        mtms = cls(new_element(cls.schema_type, cls.schema_ns, metadata=True))
        mtms.machine_type, mtms.model, mtms.serial = mtype, model, serial
        return mtms


@ewrap.EntryWrapper.pvm_type(c.MANAGED_SYSTEM, child_order=SYSTEM_CHILD_ORDER)
class System(ewrap.EntryWrapper):
    """A ``ManagedSystem``: the server that hosts LPARs and VIOSes."""

    name = Field("SystemName", doc="The system's name (``SystemName``).")
    system_name = Field("SystemName",
                        doc="The system's name (``SystemName``), as "
                            "``name``.")
    state = Field("State",
                  doc="The system's state, e.g. ``operating`` (``State``).")
    system_state = Field("State", default="unknown",
                         doc="The system's state (``State``); ``unknown`` "
                             "when absent.")
    machine_type = Field(_MTMS + "/MachineType",
                         doc="The machine type, e.g. ``8247``.")
    model = Field(_MTMS + "/Model", doc="The model, e.g. ``22L``.")
    serial = Field(_MTMS + "/SerialNumber", doc="The serial number.")

    @property
    def mtms(self) -> Optional[MTMS]:
        """The machine type, model and serial (:class:`MTMS`; its
        ``mtms_str`` is ``<type>-<model>*<serial>``), or None when the
        system carries none."""
        elem = self._find(_MTMS)
        return MTMS(elem) if elem is not None else None

    max_partitions = Field("MaximumPartitions", int,
                           doc="How many partitions the system can host.")
    primary_ip = Field("PrimaryIPAddress",
                       doc="The system's primary IP address.")
    host_ip_address = Field("PrimaryIPAddress",
                            doc="The system's primary IP address, as "
                                "``primary_ip``.")
