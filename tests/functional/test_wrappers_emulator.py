"""LPAR / VIOS wrappers round-tripped through the emulator over HTTP, with
the EmulatorFx fixture (SPEC W3, E2)."""

import socket

import pytest
from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.testing import fixtures as pvm_fx
from pypvm_tx.transaction import WrapperTask
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import virtual_io_server as vios

MAPPINGS = [vios.VIOS.xags.SCSI_MAPPING, vios.VIOS.xags.FC_MAPPING]


@pytest.fixture
def emulator_fx():
    """E2: EmulatorFx as a pytest fixture (a running emulator and a
    logged-on Adapter)."""
    with pvm_fx.EmulatorFx() as fx:
        yield fx


def child_names(xml_or_elem):
    elem = (etree.fromstring(xml_or_elem)
            if isinstance(xml_or_elem, bytes) else xml_or_elem)
    return [etree.QName(e).localname for e in elem if isinstance(e.tag, str)]


def assert_schema_order(names, order):
    ranks = [order.index(n) for n in names if n in order]
    assert ranks == sorted(ranks), names


def test_e2_emulator_fx_gives_running_emulator_and_adapter(emulator_fx):
    """E2: EmulatorFx: a started emulator, a logged-on Adapter, the MS."""
    assert emulator_fx.url.startswith("http://127.0.0.1:")
    assert emulator_fx.session.logged_on
    systems = ms.System.get(emulator_fx.adapter)
    assert [s.uuid for s in systems] == [emulator_fx.ms_uuid]
    assert systems[0].name and systems[0].state
    lpars = lpar.LPAR.get(emulator_fx.adapter, parent=systems[0])
    assert sorted(w.uuid for w in lpars) == sorted(emulator_fx.uuids())
    assert len(emulator_fx.uuids(vios.VIOS)) == 1


def test_e2_emulator_fx_stops_cleanly():
    """E2: after clean-up the emulator no longer serves."""
    fx = pvm_fx.EmulatorFx(lpars=1, vioses=0)
    with fx:
        port = fx.emulator.port
        assert lpar.LPAR.get(fx.adapter, parent_type=ms.System,
                             parent_uuid=fx.ms_uuid)
    assert not fx.session.logged_on
    assert "stopped" in repr(fx.emulator)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_w3_lpar_rename_and_memory_round_trip(emulator_fx):
    """W3: rename and set desired memory through a WrapperTask; the stored
    XML keeps schema order and an unknown element survives untouched."""
    adapter = emulator_fx.adapter
    uuid = emulator_fx.uuids()[0]
    getter = lpar.LPAR.getter(adapter, uuid, parent_class=ms.System,
                              parent_uuid=emulator_fx.ms_uuid)

    def change(wrapper):
        wrapper.name = "renamed-vm"
        wrapper.mem_config.desired = 3072
        extra = etree.SubElement(wrapper.element,
                                 "{%s}FutureProperty" % c.UOM_NS,
                                 attrib={"kb": "CUD", "kxe": "false"})
        extra.text = "kept as is"
        return True

    task = WrapperTask("rename", getter)
    task.add_functor_subtask(change)
    updated, _provided = task.execute()
    assert updated.name == "renamed-vm"
    emu = emulator_fx.emulator
    assert emu.get_value(uuid, "PartitionName") == "renamed-vm"
    assert emu.get_value(
        uuid, "PartitionMemoryConfiguration/DesiredMemory") == "3072"
    stored = emu.object_xml(uuid)
    names = child_names(stored)
    assert_schema_order(names, lpar.LPAR_CHILD_ORDER)
    assert names[-1] == "FutureProperty"
    fresh = getter.get(refresh=True)
    assert fresh.mem_config.desired == 3072
    assert fresh._get_val_str("FutureProperty") == "kept as is"


def _vios_getter(fx):
    return vios.VIOS.getter(fx.adapter, fx.uuids(vios.VIOS)[0],
                            parent_class=ms.System, parent_uuid=fx.ms_uuid,
                            xag=MAPPINGS)


def test_w3_vios_add_and_remove_mappings_round_trip(emulator_fx):
    """W3: add then remove a SCSI and a VFC mapping through update(); the
    emulator stores exactly what was written, in schema order."""
    getter = _vios_getter(emulator_fx)
    server = getter.get()
    scsi_before = len(server.scsi_mappings)
    vfc_before = len(server.vfc_mappings)

    server.scsi_mappings.append(vios.VSCSIMapping.bld_by_id(
        7, "roundtrip-disk", server_adapter_name="vhost42"))
    server.vfc_mappings.append(vios.VFCMapping.bld_by_id(7, "fcs3"))
    server = server.update()
    assert len(server.scsi_mappings) == scsi_before + 1
    assert len(server.vfc_mappings) == vfc_before + 1
    again = getter.get(refresh=True)
    added = [m for m in again.scsi_mappings
             if m.backing_storage_name == "roundtrip-disk"]
    assert [(m.client_lpar_id, m.server_adapter_name) for m in added] == [
        (7, "vhost42")]
    assert [m.backing_port_name for m in again.vfc_mappings][-1] == "fcs3"
    stored = etree.fromstring(emulator_fx.emulator.object_xml(again.uuid))
    assert_schema_order(child_names(stored), vios.VIOS_CHILD_ORDER)

    again.scsi_mappings.remove(added[0])
    again.vfc_mappings.remove(again.vfc_mappings[-1])
    final = again.update()
    assert len(final.scsi_mappings) == scsi_before
    assert len(final.vfc_mappings) == vfc_before
    reread = getter.get(refresh=True)
    assert "roundtrip-disk" not in [m.backing_storage_name
                                    for m in reread.scsi_mappings]
    assert len(reread.vfc_mappings) == vfc_before


def test_w3_vios_update_conflict_then_redrive(emulator_fx):
    """W3/T1.4: an out-of-band change between GET and POST is a 412; the
    WrapperTask redrives on the fresh VIOS and both changes survive."""
    getter = _vios_getter(emulator_fx)
    uuid = getter.uuid
    emu = emulator_fx.emulator
    struck = []

    def add_mapping(wrapper):
        if not struck:
            struck.append(emu.change(uuid, "PartitionName", "renamed-oob"))
        wrapper.scsi_mappings.append(vios.VSCSIMapping.bld_by_id(3, "redrive"))
        return True

    task = WrapperTask("map", getter, delay_func=lambda *a, **k: None)
    task.add_functor_subtask(add_mapping)
    final, _provided = task.execute()
    assert final.name == "renamed-oob"
    assert [m.backing_storage_name for m in final.scsi_mappings].count(
        "redrive") == 1
    assert emu.count(method="POST", status=412) == 1
