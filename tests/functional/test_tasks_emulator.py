"""Nova's storage pattern over HTTP against the emulator: the active-VIOS
FeedTask with a SCSI-mapping subtask, an out-of-band writer causing an
etag conflict on the way (issue 9 scope 5)."""

from pypvm_tx import const as c
from pypvm_tx.tasks import partition as tpar
from pypvm_tx.tasks import scsi_mapper
from pypvm_tx.testing.emulator import Emulator
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
