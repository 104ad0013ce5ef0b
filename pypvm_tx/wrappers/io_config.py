"""A partition's I/O configuration: its virtual slot count and the
physical I/O slots assigned to it, with the adapter in each slot.

A VIOS owns the system's physical adapters (SAS controllers, Fibre
Channel cards); its ``io_config`` tells which slots it holds and what is
in them.  Slots are built for a new partition with :meth:`IOSlot.bld`
and given to it through ``io_config.io_slots``.

Names follow the server's schema: a ``PartitionIOConfiguration`` holds
``ProfileIOSlots``; each ``ProfileIOSlot`` holds one ``AssociatedIOSlot``
(the slot's hardware data, read here straight from the slot) whose
``RelatedIOAdapter`` is the adapter, generic or Fibre Channel.
"""

import warnings
from typing import Any, Iterable, List, Optional

from pypvm_tx.i18n import _
from pypvm_tx.wrappers.base import ElementWrapper, new_element, sub_element
from pypvm_tx.wrappers.config import ConfigElement, SeededElemList
from pypvm_tx.wrappers.fields import Field
from pypvm_tx.wrappers.storage import PhysFCPort

#: Children of ``PartitionIOConfiguration`` in schema order.
IO_CFG_CHILD_ORDER = (
    "Metadata", "MaximumVirtualIOSlots", "ProfileIOSlots", "TaggedIO",
    "CurrentMaximumVirtualIOSlots",
)
#: Children of ``ProfileIOSlot`` in schema order.
IO_SLOT_CHILD_ORDER = ("Metadata", "AssociatedIOSlot", "IsRequired")
#: Children of ``AssociatedIOSlot`` in schema order.
ASSOC_IO_SLOT_CHILD_ORDER = (
    "Metadata", "BusGroupingRequired", "Description", "FeatureCodes",
    "IOUnitPhysicalLocation", "PCAdapterID", "PCIClass", "PCIDeviceID",
    "PCISubsystemDeviceID", "PCIManufacturerID", "PCIRevisionID",
    "PCIVendorID", "PCISubsystemVendorID", "RelatedIBMiIOSlot",
    "RelatedIOAdapter", "SlotDynamicReconfigurationConnectorIndex",
    "SlotDynamicReconfigurationConnectorName", "SlotPhysicalLocationCode",
)

_SLOT = "AssociatedIOSlot/"


@ElementWrapper.pvm_type("IOAdapter")
class IOAdapter(ElementWrapper):
    """A physical I/O adapter in a slot (read-only)."""

    id = Field("AdapterID", doc="The adapter's id, as text.")
    description = Field("Description", doc="What the adapter is.")
    dev_name = Field("DeviceName", doc="The adapter's device name.")
    dev_type = Field("DeviceType", doc="The adapter's device type.")
    drc_name = Field("DynamicReconfigurationConnectorName",
                     doc="The name of the adapter's slot connector.")
    phys_loc_code = Field("PhysicalLocation",
                          doc="The adapter's physical location code.")
    udid = Field("UniqueDeviceID", doc="The adapter's unique device id.")


@ElementWrapper.pvm_type("PhysicalFibreChannelAdapter")
class PhysFCAdapter(IOAdapter):
    """A physical Fibre Channel adapter, with its ports."""

    @property
    def fc_ports(self) -> List[PhysFCPort]:
        """The adapter's Fibre Channel ports."""
        return [PhysFCPort(elem) for elem in self._findall(
            "PhysicalFibreChannelPorts/PhysicalFibreChannelPort")]


#: The adapter wrappers a slot's ``RelatedIOAdapter`` may hold.
_ADAPTER_CLASSES = (IOAdapter, PhysFCAdapter)


@ElementWrapper.pvm_type("ProfileIOSlot", child_order=IO_SLOT_CHILD_ORDER)
class IOSlot(ElementWrapper):
    """A physical I/O slot assigned to a partition, and its hardware."""

    required = Field("IsRequired", bool, settable=True, default=False,
                     doc="Whether the partition cannot start without this "
                         "slot (False when absent).")
    bus_grp_required = Field(_SLOT + "BusGroupingRequired", bool,
                             default=False,
                             doc="Whether the slot goes with its whole bus "
                                 "group (False when absent).")
    description = Field(_SLOT + "Description", doc="What is in the slot.")
    phys_loc = Field(_SLOT + "IOUnitPhysicalLocation",
                     doc="The physical location of the slot's I/O unit.")
    pc_adpt_id = Field(_SLOT + "PCAdapterID", int,
                       doc="The PCI adapter id.")
    pci_class = Field(_SLOT + "PCIClass", int, doc="The PCI class.")
    pci_dev_id = Field(_SLOT + "PCIDeviceID", int, doc="The PCI device id.")
    pci_subsys_dev_id = Field(_SLOT + "PCISubsystemDeviceID", int,
                              doc="The PCI subsystem device id.")
    pci_mfg_id = Field(_SLOT + "PCIManufacturerID", int,
                       doc="The PCI manufacturer id.")
    pci_rev_id = Field(_SLOT + "PCIRevisionID", int,
                       doc="The PCI revision id.")
    pci_vendor_id = Field(_SLOT + "PCIVendorID", int,
                          doc="The PCI vendor id.")
    pci_subsys_vendor_id = Field(_SLOT + "PCISubsystemVendorID", int,
                                 doc="The PCI subsystem vendor id.")
    drc_index = Field(_SLOT + "SlotDynamicReconfigurationConnectorIndex", int,
                      doc="The slot's connector index: what identifies the "
                          "slot on its system.")
    drc_name = Field(_SLOT + "SlotDynamicReconfigurationConnectorName",
                     doc="The slot's connector name (its location code).")

    @classmethod
    def bld(cls, adapter: Any, bus_grp_required: bool, drc_index: int,
            required: bool = False) -> "IOSlot":
        """A new slot assignment of the system's slot ``drc_index``.

        :param adapter: accepted for call compatibility; not used.
        :raises ValueError: ``drc_index`` is not an integer.
        """
        try:
            index = int(drc_index)
        except (TypeError, ValueError):
            raise ValueError(_("An I/O slot's DRC index must be an integer; "
                               "got %r.") % (drc_index,)) from None
        slot = cls(new_element(cls.schema_type, cls.schema_ns, metadata=True))
        assoc = new_element("AssociatedIOSlot", cls.schema_ns, metadata=True)
        sub_element(assoc, "BusGroupingRequired",
                    "true" if bus_grp_required else "false")
        sub_element(assoc, "SlotDynamicReconfigurationConnectorIndex", index)
        slot.element.append(assoc)
        slot.required = required
        return slot

    @property
    def io_adapter(self) -> Optional[IOAdapter]:
        """The adapter in the slot (an :class:`IOAdapter`, or a
        :class:`PhysFCAdapter` for a Fibre Channel card), or None."""
        holder = self._find(_SLOT + "RelatedIOAdapter")
        if holder is None:
            return None
        for adapter_cls in _ADAPTER_CLASSES:
            elem = holder.find("{%s}%s" % (adapter_cls.schema_ns,
                                           adapter_cls.schema_type))
            if elem is not None:
                return adapter_cls(elem)
        return None

    @property
    def adapter(self) -> Optional[IOAdapter]:
        """Deprecated name of :attr:`io_adapter`."""
        warnings.warn(_("IOSlot.adapter is deprecated; use "
                        "IOSlot.io_adapter."), DeprecationWarning)
        return self.io_adapter


@ElementWrapper.pvm_type("PartitionIOConfiguration",
                         child_order=IO_CFG_CHILD_ORDER)
class PartitionIOConfiguration(ConfigElement):
    """A partition's I/O configuration (read as absent when not sent)."""

    max_virtual_slots = Field(
        "MaximumVirtualIOSlots", int, settable=True,
        doc="The most virtual slots (one per virtual adapter) the "
            "partition may have.")

    @classmethod
    def bld(cls, adapter: Any, max_virt_slots: int,
            io_slots: Optional[Iterable[IOSlot]] = None
            ) -> "PartitionIOConfiguration":
        """A new I/O configuration, for a partition being built.

        :param adapter: accepted for call compatibility; not used.
        :param io_slots: physical slots to assign (see :meth:`IOSlot.bld`).
        """
        cfg = cls(new_element(cls.schema_type, cls.schema_ns, metadata=True))
        cfg.max_virtual_slots = max_virt_slots
        if io_slots is not None:
            cfg.io_slots = io_slots
        return cfg

    @property
    def io_slots(self) -> SeededElemList:
        """Live list of the physical :class:`IOSlot` s assigned; compares
        equal to a list of the same slots."""
        return SeededElemList(self, "ProfileIOSlots", IOSlot)

    @io_slots.setter
    def io_slots(self, slots: Iterable[IOSlot]) -> None:
        """Replace the assigned slots by ``slots`` (in that order)."""
        slots = list(slots)
        current = self.io_slots
        for slot in slots:
            current._check(slot)
        for elem in current._elements():
            current.root.remove(elem)
        current.extend(slots)
        if not slots:
            current._seed()
