"""pypvm_tx.tasks: the active-VIOS FeedTask and the SCSI / VFC mapping
helpers, on the captured VIOSes (issue 9 scope 5)."""

from unittest import mock

import pytest

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.tasks import partition as tpar
from pypvm_tx.tasks import scsi_mapper as smap
from pypvm_tx.tasks import vfc_mapper as fmap
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers import virtual_io_server as vios
from tests.unit.test_wrappers_vios import template_vios

#: The client LPARs of vios_02.xml's SCSI mappings: UUID -> short id.
LU_CLIENT = "1A89CDB0-4C93-4120-A69D-EDEF5AB04CB9"
NEW_LPAR = "5F9E1B7C-6A52-4D7B-9E11-3C8B6E0A2D44"


def make_vios(uuid, state="running", rmc="active", mgmt=None,
              name="vios_02.xml"):
    """A captured VIOS with its state, RMC state and management flag set."""
    v = template_vios(name, uuid=uuid)
    v._set_val("PartitionState", state)
    v._set_val("ResourceMonitoringControlState", rmc)
    if mgmt is not None:
        v._set_val("IsManagementPartition", mgmt)
    return v


U = ["%08d-0000-4000-8000-000000000000" % n for n in range(6)]


# -- partition: active VIOSes --------------------------------------------------

def test_get_active_vioses_filters_and_puts_mgmt_first():
    """A VIOS counts when running with RMC active or busy, or when it is
    the management partition (RMC not needed); the management partition
    comes first, the rest keep their order."""
    wraps = [make_vios(U[0]), make_vios(U[1], rmc="busy"),
             make_vios(U[2], state="not activated"),
             make_vios(U[3], rmc="inactive"),
             make_vios(U[4], rmc="inactive", mgmt=True),
             make_vios(U[5], state="error", mgmt=True)]
    active = tpar.get_active_vioses(None, vios_wraps=wraps)
    assert [v.uuid for v in active] == [U[4], U[0], U[1]]
    assert tpar.get_active_vioses(None, vios_wraps=wraps, find_min=3)


def test_get_active_vioses_find_min_raises_peer_error():
    """Fewer active than find_min is NotEnoughActiveVioses, with the
    numbers on the exception and in its message."""
    wraps = [make_vios(U[0]), make_vios(U[1], rmc="none")]
    with pytest.raises(pvmex.NotEnoughActiveVioses) as err:
        tpar.get_active_vioses(None, vios_wraps=wraps, find_min=2)
    assert (err.value.exp, err.value.act) == (2, 1)
    assert "2" in str(err.value) and "1" in str(err.value)


def _feed_adapter(wraps):
    """A mocked Adapter whose read() answers the VIOS feed of ``wraps``."""
    entries = "".join(
        '<entry><id>%s</id><title>VirtualIOServer</title>'
        '<link rel="SELF" href="https://h:12443/rest/api/uom/VirtualIOServer'
        '/%s"/><etag:etag xmlns:etag="%s">%d</etag:etag>'
        '<content type="%s">%s</content></entry>' % (
            w.uuid, w.uuid, c.ETAG_NS, n, c.uom_content_type("VirtualIOServer"),
            w.toxmlstring().decode()) for n, w in enumerate(wraps))
    body = '<feed xmlns="%s"><id>f</id>%s</feed>' % (c.ATOM_NS, entries)
    adapter = mock.create_autospec(adp.Adapter, instance=True)
    adapter.read.return_value = adp.Response(
        "GET", "/rest/api/uom/VirtualIOServer", 200, "OK", {"ETag": "f"},
        body=body.encode())
    return adapter


def test_build_active_vio_feed_task_reads_mapping_groups():
    """build_active_vio_feed_task GETs the VIOS feed with the storage and
    mapping groups by default and builds a FeedTask of the active ones."""
    adapter = _feed_adapter([make_vios(U[0]), make_vios(U[1], rmc="none"),
                             make_vios(U[2])])
    task = tpar.build_active_vio_feed_task(adapter)
    assert isinstance(task, tx.FeedTask) and task.name == "vio_feed_task"
    adapter.read.assert_called_once_with(
        "VirtualIOServer", root_id=None,
        xag=(c.XAG.VIO_STOR, c.XAG.VIO_SMAP, c.XAG.VIO_FMAP))
    assert [w.uuid for w in task.feed] == [U[0], U[2]]
    named = tpar.build_active_vio_feed_task(adapter, name="stg",
                                            xag=[c.XAG.VIO_SMAP],
                                            max_workers=2)
    assert (named.name, named.max_workers) == ("stg", 2)
    assert adapter.read.call_args.kwargs["xag"] == [c.XAG.VIO_SMAP]


def test_build_active_vio_feed_task_none_active():
    """No active VIOS: NotEnoughActiveVioses (find_min 1), no FeedTask."""
    adapter = _feed_adapter([make_vios(U[0], state="not activated")])
    with pytest.raises(pvmex.NotEnoughActiveVioses) as err:
        tpar.build_active_vio_feed_task(adapter)
    assert (err.value.exp, err.value.act) == (1, 0)


# -- scsi_mapper -------------------------------------------------------------


@pytest.fixture
def v2():
    return template_vios("vios_02.xml")


def test_scsi_find_maps_by_id_uuid_storage_and_orphans(v2):
    """find_maps matches the client by short id (server adapter, so also
    orphans) or UUID (client link), the storage by match_func or stg_elem,
    and leaves orphans out unless asked."""
    maps = list(v2.scsi_mappings)
    orphan = [m for m in maps if m.client_adapter is None][0]
    orphan_id = orphan.server_adapter.lpar_id
    assert smap.find_maps(maps, orphan_id) == [
        m for m in maps if m.server_adapter.lpar_id == orphan_id
        and m.client_adapter is not None]
    assert orphan in smap.find_maps(maps, orphan_id, include_orphans=True)
    by_uuid = smap.find_maps(maps, LU_CLIENT)
    assert by_uuid and all(m.client_lpar_uuid == LU_CLIENT for m in by_uuid)
    assert smap.find_maps(maps, LU_CLIENT.lower()) == by_uuid
    assert smap.find_maps(maps, str(by_uuid[0].server_adapter.lpar_id)) == (
        smap.find_maps(maps, by_uuid[0].server_adapter.lpar_id))
    lus = smap.find_maps(maps, match_func=smap.gen_match_func(stor.LU))
    assert len(lus) == 4 and all(
        m.backing_storage_type == "LogicalUnit" for m in lus)
    one = lus[0].backing_storage
    assert smap.find_maps(maps, stg_elem=one) == [lus[0]]
    with pytest.raises(ValueError):
        smap.find_maps(maps, match_func=lambda s: True, stg_elem=one)
    with pytest.raises(ValueError):
        smap.find_maps(maps, "not-an-id")


def test_scsi_gen_match_func_names_prefixes_udids(v2):
    """gen_match_func: by names, else prefixes, else udids, else every
    storage of the class; never another class or no storage."""
    lus = [m.backing_storage for m in v2.scsi_mappings
           if m.backing_storage_type == "LogicalUnit"]
    name = lus[0].name
    assert smap.gen_match_func(stor.LU, names=[name])(lus[0])
    assert not smap.gen_match_func(stor.LU, names=[name])(lus[1])
    assert smap.gen_match_func(stor.LU, prefixes=[name[:6]])(lus[0])
    assert not smap.gen_match_func(stor.LU, prefixes=["zz"])(lus[0])
    assert smap.gen_match_func(stor.LU, udids=[lus[1].udid])(lus[1])
    assert not smap.gen_match_func(stor.VDisk)(lus[0])
    assert not smap.gen_match_func(stor.LU)(None)


def test_scsi_add_map_once(v2):
    """add_map appends a new mapping and returns it; the same storage for
    the same client again is None and changes nothing."""
    before = len(v2.scsi_mappings)
    disk = stor.VDisk.bld_ref(None, "new_boot")
    mapping = smap.build_vscsi_mapping(None, v2, NEW_LPAR, disk)
    assert smap.add_map(v2, mapping) is mapping
    assert len(v2.scsi_mappings) == before + 1
    again = smap.build_vscsi_mapping(None, v2, NEW_LPAR, disk)
    assert smap.add_map(v2, again) is None
    assert len(v2.scsi_mappings) == before + 1
    # Another disk for the same LPAR is added.
    other = smap.build_vscsi_mapping(None, v2, NEW_LPAR,
                                     stor.VDisk.bld_ref(None, "data"))
    assert smap.add_map(v2, other) is other
    with pytest.raises(ValueError):
        smap.add_map(v2, vios.VSCSIMapping.bld_by_id(3, "no-link"))


def test_scsi_build_reuses_adapter_pair_until_fuse_limit(v2):
    """build_vscsi_mapping reuses the LPAR's existing adapter pair (same
    server adapter) while it has fewer than fuse_limit mappings, else asks
    for a new pair."""
    existing = smap.find_maps(v2.scsi_mappings, LU_CLIENT)
    udid = existing[0].server_adapter.udid
    disk = stor.VDisk.bld_ref(None, "extra")
    reused = smap.build_vscsi_mapping(None, v2, LU_CLIENT, disk)
    assert reused.server_adapter.udid == udid
    assert reused.client_adapter.lpar_slot_num == (
        existing[0].client_adapter.lpar_slot_num)
    fresh = smap.build_vscsi_mapping(None, v2, LU_CLIENT, disk,
                                     fuse_limit=len(existing))
    assert fresh.server_adapter.udid is None
    assert fresh.server_adapter._get_val_str(
        "UseNextAvailableSlotID") == "true"


def test_scsi_remove_maps(v2):
    """remove_maps removes the client's matching mappings (orphans by
    default) and returns them."""
    maps = list(v2.scsi_mappings)
    orphan = [m for m in maps if m.client_adapter is None][0]
    client = orphan.server_adapter.lpar_id
    expected = len(smap.find_maps(maps, client, include_orphans=True))
    removed = smap.remove_maps(v2, client)
    assert len(removed) == expected >= 1
    assert smap.find_maps(v2.scsi_mappings, client,
                          include_orphans=True) == []
    assert len(v2.scsi_mappings) == len(maps) - expected
    assert smap.remove_maps(v2, client) == []
    lu_count = len(smap.find_maps(v2.scsi_mappings, LU_CLIENT))
    only_vopt = smap.remove_maps(v2, LU_CLIENT, match_func=lambda s: False)
    assert only_vopt == [] and len(
        smap.find_maps(v2.scsi_mappings, LU_CLIENT)) == lu_count


# -- vfc_mapper --------------------------------------------------------------

def test_vfc_find_and_remove_maps(v2):
    """find_maps / remove_maps by client id, and by client WWPNs from a
    client adapter or a port map."""
    maps = list(v2.vfc_mappings)
    full = [m for m in maps if m.backing_port is not None][0]
    client = full.server_adapter.lpar_id
    assert full in fmap.find_maps(maps, client)
    wwpns = full.client_adapter.wwpns
    assert fmap.find_maps(maps, client, client_adpt=full.client_adapter) == [
        full]
    port_map = (full.backing_port.wwpn, " ".join(w.lower() for w in wwpns))
    assert fmap.find_maps(maps, client, port_map=port_map) == [full]
    assert fmap.find_maps(maps, client, port_map=("x", "aa bb")) == []
    with pytest.raises(ValueError):
        fmap.find_maps(maps, "no")
    removed = fmap.remove_maps(v2, client, port_map=port_map)
    assert removed == [full]
    assert len(v2.vfc_mappings) == len(maps) - 1


def test_vfc_add_map_new_existing_and_missing_port():
    """add_map maps the port named by WWPN (any case, colons allowed) with
    the given client WWPNs, once; an unknown port raises the peer's error
    or gives None."""
    v1 = template_vios("vios_01.xml")
    port = v1.pfc_ports[0]
    wwpn = ":".join(port.wwpn[i:i + 2] for i in range(0, 16, 2)).lower()
    before = len(v1.vfc_mappings)
    added = fmap.add_map(v1, None, NEW_LPAR,
                         (wwpn, "c05076079cff0e56 c05076079cff0e57"))
    assert added is not None and added.backing_port.name == port.name
    assert len(v1.vfc_mappings) == before + 1
    assert added.client_adapter.wwpns == ["C05076079CFF0E56",
                                          "C05076079CFF0E57"]
    assert fmap.add_map(v1, None, NEW_LPAR,
                        (wwpn, "C05076079CFF0E57 C05076079CFF0E56")) is None
    generated = fmap.add_map(v1, None, NEW_LPAR, (wwpn, fmap.FUSED_ANY_WWPN))
    assert generated.client_adapter.wwpns == []
    with pytest.raises(pvmex.UnableToDerivePhysicalPortForNPIV):
        fmap.add_map(v1, None, NEW_LPAR, ("0000000000000000", "-1 -1"))
    assert fmap.add_map(v1, None, NEW_LPAR, ("0000000000000000", "-1 -1"),
                        error_if_invalid=False) is None


def test_vfc_add_map_completes_a_portless_mapping(v2):
    """A mapping with the port map's WWPNs but no physical port gets the
    port (and is returned); nothing else is added."""
    portless = [m for m in v2.vfc_mappings if m.backing_port is None][0]
    wwpns = portless.client_adapter.wwpns
    assert wwpns
    port = v2.pfc_ports[0]
    before = len(v2.vfc_mappings)
    done = fmap.add_map(v2, None, NEW_LPAR, (port.wwpn, " ".join(wwpns)))
    assert done is not None and done.element is portless.element
    assert done.backing_port.name == port.name
    assert len(v2.vfc_mappings) == before


def test_tasks_layering():
    """tasks sits above transaction: nothing below imports it."""
    import pathlib
    root = pathlib.Path(tpar.__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        if "tasks" in path.relative_to(root).parts:
            continue
        text = path.read_text()
        assert "pypvm_tx.tasks" not in text and "from pypvm_tx import tasks" \
            not in text, path
