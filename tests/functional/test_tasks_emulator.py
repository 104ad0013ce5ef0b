"""Nova's storage pattern over HTTP against the emulator: the active-VIOS
FeedTask with a SCSI-mapping subtask, an out-of-band writer causing an
etag conflict on the way (issue 9 scope 5)."""

import pytest

from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.tasks import partition as tpar
from pypvm_tx.tasks import scsi_mapper
from pypvm_tx.testing.emulator import Emulator
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers import virtual_io_server as vios

NO_DELAY = lambda *args, **kwargs: None  # noqa: E731
MAPPINGS = [c.XAG.VIO_SMAP, c.XAG.VIO_FMAP]


def _mappings_of(adapter, vios_uuid, lpar_uuid, disk_name):
    """The VIOS's SCSI mappings to ``lpar_uuid`` of the disk, re-read."""
    fresh = vios.VIOS.get(adapter, uuid=vios_uuid, xag=MAPPINGS)
    return scsi_mapper.find_maps(
        fresh.scsi_mappings, lpar_uuid,
        stg_elem=stor.VDisk.bld_ref(None, disk_name)), fresh


def test_active_vio_feed_task_adds_scsi_mapping_through_a_conflict():
    """The FeedTask from build_active_vio_feed_task covers only the active
    VIOSes; its functor subtask adds one SCSI mapping per VIOS; a write by
    another agent between GET and POST is a 412, redriven on the fresh
    VIOS, and both changes survive; running it again changes nothing."""
    emu = Emulator(lpars=3, vioses=3, seed=11)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        try:
            vioses = emu.uuids(c.VIRTUAL_IO_SERVER)
            lpar_uuid = emu.uuids(c.LOGICAL_PARTITION)[0]
            emu.change(vioses[2], "ResourceMonitoringControlState",
                       "inactive")
            disk = stor.VDisk.bld_ref(adapter, "nova_boot_disk")
            struck = []

            def attach(vios_w):
                if vios_w.uuid == vioses[0] and not struck:
                    struck.append(emu.change(vios_w.uuid, "PartitionName",
                                             "renamed-oob"))
                mapping = scsi_mapper.build_vscsi_mapping(
                    None, vios_w, lpar_uuid, disk)
                return scsi_mapper.add_map(vios_w, mapping) is not None

            task = tpar.build_active_vio_feed_task(adapter,
                                                   delay_func=NO_DELAY)
            assert sorted(w.uuid for w in task.feed) == sorted(vioses[:2])
            task.add_functor_subtask(attach)
            task.execute()
            assert {o.status for o in task.outcomes.values()} == {"updated"}
            assert emu.count(method="POST", status=412) == 1
            for uuid in vioses[:2]:
                found, fresh = _mappings_of(adapter, uuid, lpar_uuid,
                                            "nova_boot_disk")
                assert len(found) == 1
                assert found[0].client_lpar_uuid == lpar_uuid
                assert isinstance(found[0].backing_storage, stor.VDisk)
            assert fresh.name != "renamed-oob"
            renamed = vios.VIOS.get(adapter, uuid=vioses[0], xag=MAPPINGS)
            assert renamed.name == "renamed-oob"
            assert _mappings_of(adapter, vioses[2], lpar_uuid,
                                "nova_boot_disk")[0] == []

            posts = emu.count(method="POST")
            again = tpar.build_active_vio_feed_task(adapter,
                                                    delay_func=NO_DELAY)
            again.add_functor_subtask(attach)
            again.execute()
            assert {o.status for o in again.outcomes.values()} == {
                "unchanged"}
            assert emu.count(method="POST") == posts
        finally:
            adapter.session.logoff()


def _attach(adapter, vios_uuid, lpar_uuid, stg, **kwargs):
    """One attach, as a subtask would make it, then a plain update()."""
    vios_w = vios.VIOS.get(adapter, uuid=vios_uuid, xag=MAPPINGS)
    mapping = scsi_mapper.build_vscsi_mapping(None, vios_w, lpar_uuid, stg,
                                              **kwargs)
    assert scsi_mapper.add_map(vios_w, mapping) is mapping
    return vios_w.update()


def test_emulator_assigns_what_the_server_does_for_new_mappings(emulator,
                                                                adapter):
    """E1 (the emulator models the server): a new adapter pair (the LPAR's
    one pair is at the fuse limit) gets free slots, a new vhost name and
    both partition ids, and the storage a vtscsi target; the next disk
    goes on one of the LPAR's pairs; find_maps and remove_maps then work
    by the client's short id too."""
    vios_uuid = emulator.uuids(c.VIRTUAL_IO_SERVER)[0]
    vios_id = int(emulator.get_value(vios_uuid, "PartitionID"))
    # An LPAR the seeded VIOS serves over one adapter pair.
    seeded = vios.VIOS.get(adapter, uuid=vios_uuid,
                           xag=MAPPINGS).scsi_mappings[0]
    lpar_uuid = seeded.client_lpar_uuid
    lpar_id = int(emulator.get_value(lpar_uuid, "PartitionID"))
    assert seeded.client_lpar_id == lpar_id
    before = scsi_mapper.find_maps(vios.VIOS.get(
        adapter, uuid=vios_uuid, xag=MAPPINGS).scsi_mappings, lpar_uuid)
    first = _attach(adapter, vios_uuid, lpar_uuid,
                    stor.PV.bld(adapter, "hdisk7"), fuse_limit=1)
    (mine,) = scsi_mapper.find_maps(first.scsi_mappings, lpar_uuid,
                                    stg_elem=stor.PV.bld(None, "hdisk7"))
    server, client = mine.server_adapter, mine.client_adapter
    assert server.name.startswith("vhost") and server.lpar_id == lpar_id
    assert (server.vios_id, client.lpar_id, client.vios_id) == (
        vios_id, lpar_id, vios_id)
    assert client.vios_slot_num == server.vios_slot_num
    assert server.lpar_slot_num == client.lpar_slot_num
    assert type(mine.target_dev) is stor.PVTargetDev
    assert mine.target_dev.name.startswith("vtscsi")
    assert mine.server_adapter._get_val_str("UseNextAvailableSlotID") is None
    names = [m.server_adapter_name for m in first.scsi_mappings]
    assert len(set(names)) == len(names)  # a new name, not a taken one
    slots = [m.server_slot for m in first.scsi_mappings]
    assert len(set(slots)) == len(slots)
    assert client.lpar_slot_num != seeded.client_slot

    second = _attach(adapter, vios_uuid, lpar_uuid,
                     stor.VDisk.bld_ref(adapter, "data_disk"))
    now = scsi_mapper.find_maps(second.scsi_mappings, lpar_id)
    assert len(now) == len(before) + 2
    assert {m.server_adapter.name for m in now} == {server.name} | {
        m.server_adapter_name for m in before}
    assert len({m.target_dev.name for m in now}) == len(now)

    removed = scsi_mapper.remove_maps(
        second, lpar_id, match_func=scsi_mapper.gen_match_func(stor.VDisk,
                                                names=["data_disk"]))
    assert [m.backing_storage.name for m in removed] == ["data_disk"]
    final = second.update()
    assert sorted(m.backing_storage.name for m in scsi_mapper.find_maps(
        final.scsi_mappings, lpar_id)) == sorted(
            ["hdisk7"] + [m.backing_storage_name for m in before])


def test_emulator_refuses_a_mapping_to_no_lpar(emulator, adapter):
    """E1: a new mapping whose LPAR link names no LPAR is a 400, and the
    VIOS is left as it was."""
    vios_uuid = emulator.uuids(c.VIRTUAL_IO_SERVER)[0]
    before = emulator.etag(vios_uuid)
    vios_w = vios.VIOS.get(adapter, uuid=vios_uuid, xag=MAPPINGS)
    vios_w.scsi_mappings.append(vios.VSCSIMapping.bld(
        adapter, None, "00000000-0000-4000-8000-0000000000ff",
        stor.VDisk.bld_ref(adapter, "x")))
    with pytest.raises(pvmex.HttpError) as err:
        vios_w.update()
    assert err.value.response.status == 400
    assert emulator.etag(vios_uuid) == before


def test_system_mtms_as_nova_reads_it(adapter):
    """W3 rev 2: System.get(adapter)[0].mtms.mtms_str, as Nova's driver
    reads the host's identity, over HTTP."""
    host = ms.System.get(adapter)[0]
    assert host.mtms.mtms_str == "8247-22L*2125D4A"
    assert host.system_name == host.name
    assert host.system_state == "operating"
    assert host.host_ip_address == "127.0.0.1"
