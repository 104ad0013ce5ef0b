"""A partition's I/O configuration: slots, adapters, Fibre Channel ports
(SPEC W3 rev 2, issue 9: the peer's io_config), on real captures."""

import warnings

import pytest
from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.wrappers import io_config as io
from pypvm_tx.wrappers import logical_partition as lpar
from tests.unit.test_wrappers_partition import child_names
from tests.unit.test_wrappers_vios import reparse, template_vios

NS = "{%s}" % c.UOM_NS


@pytest.fixture
def v():
    return template_vios()


@pytest.fixture
def lpars():
    from tests.captures import captured_response
    return lpar.LPAR.wrap(captured_response("lpar_feed.xml"))


def test_w3_vios_slots_and_their_hardware(v):
    """The VIOS capture's three slots, read through the slot (the schema's
    AssociatedIOSlot is skipped over)."""
    cfg = v.io_config
    assert cfg.max_virtual_slots == 80
    slots = cfg.io_slots
    assert len(slots) == 3
    slot = slots[0]
    assert (slot.description, slot.phys_loc, slot.drc_index,
            slot.drc_name) == ("PCI-E SAS Controller", "U78AB.001.WZSJBM3",
                               553713674, "U78AB.001.WZSJBM3-P1-T9")
    assert (slot.pc_adpt_id, slot.pci_class, slot.pci_dev_id,
            slot.pci_subsys_dev_id, slot.pci_mfg_id, slot.pci_rev_id,
            slot.pci_vendor_id, slot.pci_subsys_vendor_id) == (
        825, 260, 825, 826, 4116, 1, 4116, 4116)
    assert (slot.bus_grp_required, slot.required) == (False, False)


def test_w3_slot_adapters_generic_and_fibre_channel(v):
    """A slot's adapter is an IOAdapter, or a PhysFCAdapter whose ports
    are the VIOS's physical FC ports."""
    slots = v.io_config.io_slots
    generic = slots[0].io_adapter
    assert type(generic) is io.IOAdapter
    assert (generic.id, generic.dev_name, generic.phys_loc_code) == (
        "553713674", "U78AB.001.WZSJBM3-P1-T9", "T9")
    fc = slots[2].io_adapter
    assert isinstance(fc, io.PhysFCAdapter)
    assert [p.wwpn for p in fc.fc_ports] == [p.wwpn for p in v.pfc_ports]
    assert [p.name for p in fc.fc_ports] == ["fcs1", "fcs0"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert slots[0].adapter == generic
    assert caught[0].category is DeprecationWarning


def test_w3_slot_without_adapter(v):
    slot = v.io_config.io_slots[0]
    holder = slot._find("AssociatedIOSlot/RelatedIOAdapter")
    holder.getparent().remove(holder)
    assert slot.io_adapter is None


def test_w3_lpar_io_config_of_a_capture(lpars):
    cfg = lpars[0].io_config
    assert cfg.max_virtual_slots == 64
    assert cfg.io_slots == []
    assert len(cfg.io_slots) == 0


def test_w3_slot_bld_lays_out_the_schema():
    """IOSlot.bld: the slot, its AssociatedIOSlot and flags as the server
    reads them (``true``/``false``), in schema order."""
    slot = io.IOSlot.bld(None, True, "12345678")
    assert child_names(slot.element) == ["Metadata", "AssociatedIOSlot",
                                         "IsRequired"]
    assoc = slot._find("AssociatedIOSlot")
    assert child_names(assoc) == [
        "Metadata", "BusGroupingRequired",
        "SlotDynamicReconfigurationConnectorIndex"]
    assert slot._get_val_str("AssociatedIOSlot/BusGroupingRequired") == \
        "true"
    assert slot._get_val_str("IsRequired") == "false"
    assert (slot.bus_grp_required, slot.required, slot.drc_index) == (
        True, False, 12345678)
    with pytest.raises(ValueError, match="DRC index"):
        io.IOSlot.bld(None, False, "slot-3")


def test_w3_io_config_bld():
    empty = io.PartitionIOConfiguration.bld(None, 10)
    assert empty.max_virtual_slots == 10
    assert empty.io_slots == []
    assert child_names(empty.element) == ["Metadata",
                                          "MaximumVirtualIOSlots"]
    empty.io_slots = []  # an empty slot list is written as one
    assert child_names(empty.element)[-1] == "ProfileIOSlots"
    slots = [io.IOSlot.bld(None, True, 1234), io.IOSlot.bld(None, False, 4321)]
    cfg = io.PartitionIOConfiguration.bld(None, 12, slots)
    assert [s.drc_index for s in cfg.io_slots] == [1234, 4321]
    assert cfg.io_slots == slots


def test_w3_io_slots_setter_replaces_and_round_trips(v):
    """Setting io_slots replaces the slots, in the given order; the VIOS
    written back reads the same."""
    slots = v.io_config.io_slots[:]
    dropped = slots.pop(1)
    v.io_config.io_slots = slots[::-1]
    again = reparse(v).io_config.io_slots
    assert [s.drc_index for s in again] == [s.drc_index for s in slots[::-1]]
    assert dropped not in again
    with pytest.raises(TypeError):
        v.io_config.io_slots = [object()]
    assert len(v.io_config.io_slots) == 2  # a refused list changes nothing


def test_w3_io_config_created_where_the_schema_puts_it(lpars):
    """An LPAR sent without an I/O configuration reads as empty; the first
    slot appended creates the configuration and its slot list, each in
    schema order."""
    w = lpars[0]
    w.element.remove(w._find("PartitionIOConfiguration"))
    cfg = w.io_config
    assert (cfg.max_virtual_slots, cfg.io_slots, cfg.is_present) == (
        None, [], False)
    cfg.io_slots.append(io.IOSlot.bld(None, False, 77))
    names = child_names(w.element)
    assert names.index("PartitionIOConfiguration") + 1 == names.index(
        "PartitionMemoryConfiguration")
    assert [s.drc_index for s in w.io_config.io_slots] == [77]
    w.io_config.max_virtual_slots = 20
    assert child_names(w.io_config.element) == [
        "Metadata", "MaximumVirtualIOSlots", "ProfileIOSlots"]


def test_w3_elem_list_equality():
    """A live wrapper list equals a list or tuple of equal wrappers, in
    order; it is not hashable (it is a mutable view)."""
    cfg = io.PartitionIOConfiguration.bld(None, 2, [
        io.IOSlot.bld(None, False, 1), io.IOSlot.bld(None, False, 2)])
    same = [io.IOSlot.bld(None, False, 1), io.IOSlot.bld(None, False, 2)]
    assert cfg.io_slots == same and cfg.io_slots == tuple(same)
    assert cfg.io_slots != same[::-1]
    assert cfg.io_slots != "slots"
    with pytest.raises(TypeError):
        hash(cfg.io_slots)


def test_w3_partition_module_has_the_io_wrappers():
    """The I/O wrappers are reachable where the peer's partition module
    has them."""
    assert lpar.IOSlot is io.IOSlot
    assert lpar.PartitionIOConfiguration is io.PartitionIOConfiguration
    assert lpar.PhysFCAdapter is io.PhysFCAdapter
    port = lpar.PhysFCPort.bld_ref(None, "fcs0")
    assert port.name == "fcs0"
    assert etree.QName(port.element).localname == "PhysicalFibreChannelPort"
