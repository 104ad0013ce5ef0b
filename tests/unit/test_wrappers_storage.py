"""VIOS mappings with the peer's sub-wrappers and builders, checked
against the real captures (SPEC W3 rev 2, issue 9 scope 4)."""

import copy
import functools
from unittest import mock

import pytest
from lxml import etree

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx.wrappers import storage as stor
from pypvm_tx.wrappers import virtual_io_server as vios
from tests.captures import CAPTURES
from tests.unit.test_wrappers_vios import child_names, reparse, template_vios

NS = "{%s}" % c.UOM_NS
LPAR_UUID = "42AD4FD4-DC64-4935-9E29-9B7C6F35AFCC"
HOST = "b7ab1b2b-0b3c-3e32-8d2d-4ee2b3a5a6c2"


def assert_in_order(names, order):
    """Every name ``order`` knows comes in ``order``'s sequence, and no
    name is unknown to it."""
    assert set(names) <= set(order), set(names) - set(order)
    ranks = [order.index(n) for n in names]
    assert ranks == sorted(ranks), names


def captured_elements(tag):
    for name in ("vios_01.xml", "vios_02.xml"):
        tree = etree.parse(str(CAPTURES / "templates" / name))
        yield from tree.iter(NS + tag)


@pytest.fixture
def adapter():
    adp = mock.Mock()
    adp.session.dest = "https://hmc.example:12443"
    # The builders link the client LPAR with the adapter's own build_href.
    adp.build_href.side_effect = functools.partial(
        pvm_adapter.Adapter.build_href, adp)
    return adp


# -- schema orders against the wire ------------------------------------------

@pytest.mark.parametrize("tag, order", [
    ("ClientAdapter", stor.ADAPTER_CHILD_ORDER),
    ("ServerAdapter", stor.ADAPTER_CHILD_ORDER),
    ("Port", stor.PORT_CHILD_ORDER),
    ("PhysicalFibreChannelPort", stor.PORT_CHILD_ORDER),
    ("VirtualDisk", stor.VDISK_CHILD_ORDER),
    ("PhysicalVolume", stor.PV_CHILD_ORDER),
    ("LogicalUnit", stor.LU_CHILD_ORDER),
    ("VirtualOpticalMedia", stor.VOPT_CHILD_ORDER),
    ("LogicalVolumeVirtualTargetDevice", stor.TARGET_DEV_CHILD_ORDER),
    ("SharedStoragePoolLogicalUnitVirtualTargetDevice",
     stor.TARGET_DEV_CHILD_ORDER),
    ("VirtualSCSIMapping", vios.SCSI_MAPPING_CHILD_ORDER),
    ("VirtualFibreChannelMapping", vios.VFC_MAPPING_CHILD_ORDER),
])
def test_w3_schema_orders_match_the_captures(tag, order):
    """W3: every captured element of these kinds has its children in the
    order the wrappers insert by (a wire fact)."""
    seen = 0
    for elem in captured_elements(tag):
        if tag == "PhysicalVolume" and elem.getparent().tag != NS + "Storage":
            continue  # a VIOS's own PhysicalVolumes list: same schema type
        assert_in_order(child_names(elem), order)
        seen += 1
    assert seen


# -- reading the peer's sub-wrappers -----------------------------------------

def test_w3_scsi_sub_wrappers_on_captures():
    """W3 rev 2: client_adapter, server_adapter, backing_storage and
    target_dev agree with today's flat properties on every captured
    SCSI mapping, and are of the storage kind the XML names."""
    kinds = set()
    for mapping in template_vios("vios_02.xml").scsi_mappings:
        server = mapping.server_adapter
        assert isinstance(server, stor.VSCSIServerAdapterElement)
        assert server.name == mapping.server_adapter_name
        assert server.lpar_id == mapping.client_lpar_id
        assert server.vios_slot_num == mapping.server_slot
        client = mapping.client_adapter
        if client is not None:
            assert isinstance(client, stor.VSCSIClientAdapterElement)
            assert client.lpar_slot_num == mapping.client_slot
            assert client.lpar_id == server.lpar_id
            assert client.vios_id == server.vios_id
            assert client.vios_slot_num == server.vios_slot_num
            assert client.side == "Client" and server.side == "Server"
        stg = mapping.backing_storage
        if stg is None:
            assert mapping.backing_storage_name is None
            continue
        kinds.add(type(stg))
        assert stg.schema_type == mapping.backing_storage_type
        assert stg.name == mapping.backing_storage_name
        vtd = mapping.target_dev
        assert isinstance(vtd, stg.target_dev_type)
        assert vtd.name == mapping.target_name
        assert vtd.lua.startswith("0x")
    assert kinds == {stor.LU, stor.VOptMedia, stor.PV, stor.VDisk}


def test_w3_scsi_orphan_has_no_client_adapter():
    """W3 rev 2: the captured mapping with only a ServerAdapter is an
    orphan: no client adapter, no client link, no storage."""
    orphans = [m for m in template_vios("vios_02.xml").scsi_mappings
               if m.client_adapter is None]
    assert len(orphans) == 1
    (orphan,) = orphans
    assert orphan.client_lpar_href is None and orphan.backing_storage is None
    assert orphan.server_adapter.lpar_id == orphan.client_lpar_id


def test_w3_vfc_sub_wrappers_on_captures():
    """W3 rev 2: a captured VFC mapping's client WWPNs (upper case, as the
    peer), server adapter and backing port."""
    maps = list(template_vios("vios_02.xml").vfc_mappings)
    full = [m for m in maps if m.backing_port is not None]
    assert full
    mapping = full[0]
    assert mapping.client_adapter.wwpns == [
        w.upper() for w in mapping.client_wwpns]
    assert mapping.server_adapter.map_port == mapping.backing_port_name
    assert mapping.server_adapter.lpar_id == mapping.client_lpar_id
    port = mapping.backing_port
    assert (port.name, port.wwpn) == ("fcs0", "10000090FA1B6302")
    assert port.npiv_total_ports == 64
    assert [m.backing_port for m in maps].count(None) == 1


def test_w3_vios_pfc_ports_on_captures():
    """W3 rev 2: VIOS.pfc_ports lists the physical FC ports of its I/O
    configuration (where VFC mappings' ports come from)."""
    ports = template_vios("vios_01.xml").pfc_ports
    assert len(ports) == 4
    assert all(type(p) is stor.PhysFCPort for p in ports)
    assert ports[0].name == "fcs0" and ports[0].wwpn == "21000024FF649104"
    assert ports[0].npiv_total_ports == 64
    assert [p.name for p in template_vios("vios_02.xml").pfc_ports] == [
        "fcs1", "fcs0"]


# -- the peer's builders -------------------------------------------------------

def test_w3_vscsi_bld_lays_out_a_new_pair(adapter):
    """W3 rev 2: VSCSIMapping.bld asks the server for a new adapter pair
    (next free slots), links the LPAR (ROOT href on the adapter's server),
    copies the storage and adds a target device only when asked."""
    disk = stor.VDisk.bld_ref(adapter, "boot_1")
    mapping = vios.VSCSIMapping.bld(adapter, HOST, LPAR_UUID, disk)
    assert child_names(mapping.element) == [
        "Metadata", "AssociatedLogicalPartition", "ClientAdapter",
        "ServerAdapter", "Storage"]
    assert mapping.client_lpar_href == (
        "https://hmc.example:12443/rest/api/uom/LogicalPartition/"
        + LPAR_UUID)
    assert mapping.client_lpar_uuid == LPAR_UUID
    for part, side in ((mapping.client_adapter, "Client"),
                       (mapping.server_adapter, "Server")):
        assert child_names(part.element) == [
            "Metadata", "AdapterType", "UseNextAvailableSlotID"]
        assert part.side == side
        assert part._get_val_str("UseNextAvailableSlotID") == "true"
    assert isinstance(mapping.backing_storage, stor.VDisk)
    assert mapping.backing_storage.name == "boot_1"
    assert mapping.backing_storage.element is not disk.element
    assert disk.element.getparent() is None  # copied, not moved
    assert mapping.target_dev is None


def test_w3_vscsi_bld_slot_lua_and_target_name(adapter):
    """W3 rev 2: a client slot replaces "next free"; a LUA / target name
    asks for the storage's own kind of target device."""
    pv = stor.PV.bld(adapter, "hdisk4", udid="01M0lCTTIxNDUxMjQ2")
    mapping = vios.VSCSIMapping.bld(adapter, None, LPAR_UUID, pv,
                                    lpar_slot_num=5, lua="0x81",
                                    target_name="vtscsi9")
    client = mapping.client_adapter
    assert child_names(client.element) == [
        "Metadata", "AdapterType", "UseNextAvailableSlotID",
        "VirtualSlotNumber"]
    assert client.lpar_slot_num == 5
    assert client._get_val_str("UseNextAvailableSlotID") == "false"
    vtd = mapping.target_dev
    assert type(vtd) is stor.PVTargetDev
    assert (vtd.lua, vtd.name) == ("0x81", "vtscsi9")
    assert child_names(mapping.element)[-2:] == ["Storage", "TargetDevice"]
    assert child_names(mapping.backing_storage.element) == [
        "Metadata", "UniqueDeviceID", "VolumeName"]


def test_w3_vscsi_bld_from_existing_reuses_the_pair(adapter):
    """W3 rev 2: bld_from_existing copies the LPAR link and both adapters
    of a captured mapping, swaps in new storage, drops the old target
    device; a new LUA needs storage."""
    existing = [m for m in template_vios("vios_02.xml").scsi_mappings
                if m.backing_storage_type == "LogicalUnit"][0]
    before = etree.tostring(existing.element)
    media = stor.VOptMedia.bld_ref(adapter, "config.iso")
    new = vios.VSCSIMapping.bld_from_existing(existing, media)
    assert etree.tostring(existing.element) == before  # untouched
    assert child_names(new.element) == [
        "Metadata", "AssociatedLogicalPartition", "ClientAdapter",
        "ServerAdapter", "Storage"]
    assert new.client_lpar_href == existing.client_lpar_href
    assert new.server_adapter.udid == existing.server_adapter.udid
    assert new.client_adapter.lpar_slot_num == (
        existing.client_adapter.lpar_slot_num)
    assert (type(new.backing_storage), new.backing_storage.name) == (
        stor.VOptMedia, "config.iso")
    moved = vios.VSCSIMapping.bld_from_existing(existing, media,
                                                lpar_slot_num=9, lua="0x82")
    assert moved.client_adapter.lpar_slot_num == 9
    assert moved.client_adapter._get_val_str(
        "UseNextAvailableSlotID") == "false"
    assert type(moved.target_dev) is stor.VOptTargetDev
    with pytest.raises(ValueError):
        vios.VSCSIMapping.bld_from_existing(existing, None, lua="0x83")
    bare = vios.VSCSIMapping.bld_from_existing(existing, None)
    assert bare.backing_storage is None


def test_w3_vfc_bld_child_link_wwpns_and_port(adapter):
    """W3 rev 2: VFCMapping.bld links the LPAR as a CHILD of the host,
    writes given WWPNs lower case, and backs the mapping with a Port, all
    in schema order."""
    mapping = vios.VFCMapping.bld(adapter, HOST, LPAR_UUID, "fcs1",
                                  client_wwpns=["C05076079CFF0E56",
                                                "C05076079CFF0E57"])
    assert child_names(mapping.element) == [
        "Metadata", "AssociatedLogicalPartition", "ClientAdapter", "Port",
        "ServerAdapter"]
    assert mapping.client_lpar_href.endswith(
        "/rest/api/uom/ManagedSystem/%s/LogicalPartition/%s"
        % (HOST, LPAR_UUID))
    assert mapping.client_adapter._get_val_str("WWPNs") == (
        "c05076079cff0e56 c05076079cff0e57")
    assert mapping.client_adapter.wwpns == ["C05076079CFF0E56",
                                            "C05076079CFF0E57"]
    assert mapping.backing_port.name == mapping.backing_port_name == "fcs1"
    generated = vios.VFCMapping.bld(adapter, None, LPAR_UUID, "fcs0")
    assert generated.client_adapter.wwpns == []
    with pytest.raises(ValueError):
        vios.VFCMapping.bld(adapter, None, LPAR_UUID, "")
    with pytest.raises(ValueError):
        vios.VFCMapping.bld(adapter, None, "", "fcs0")


def test_w3_storage_refs_refuse_blank_names(adapter):
    """W3 rev 2: a storage reference without a name (or LU udid) is a
    clear ValueError, not a mapping the server rejects later."""
    for build in (lambda: stor.VDisk.bld_ref(adapter, ""),
                  lambda: stor.PV.bld(adapter, " "),
                  lambda: stor.LU.bld_ref(adapter, "lu", ""),
                  lambda: stor.VOptMedia.bld_ref(adapter, None)):
        with pytest.raises(ValueError):
            build()


def test_w3_built_mapping_round_trips_in_a_vios():
    """W3 rev 2: a built mapping appended to a captured VIOS is read back
    (as the server reads what update() sends) with its sub-wrappers."""
    v = template_vios("vios_02.xml")
    count = len(v.scsi_mappings)
    lu = stor.LU.bld_ref(None, "volume-x", "27cfc907d2abf511e4b2d540f2e95daf"
                         "301a02b0904778d755df5ba31dc1b2e5")
    v.scsi_mappings.append(vios.VSCSIMapping.bld(None, None, LPAR_UUID, lu))
    again = reparse(v)
    assert len(again.scsi_mappings) == count + 1
    last = again.scsi_mappings[-1]
    assert (type(last.backing_storage), last.backing_storage.udid) == (
        stor.LU, lu.udid)
    assert last.client_lpar_href == (
        "/rest/api/uom/LogicalPartition/" + LPAR_UUID)  # no session: path
    assert copy.deepcopy(last) == last


@pytest.mark.parametrize("host, call", [
    (None, mock.call("LogicalPartition", LPAR_UUID, None, None, xag=[])),
    (HOST, mock.call("ManagedSystem", HOST, "LogicalPartition", LPAR_UUID,
                     xag=[])),
])
def test_w3_builders_link_the_lpar_with_the_adapters_build_href(host, call):
    """W3 rev 2: the mapping builders ask the adapter's build_href for the
    client-LPAR link (no group=), as the peer's do, so a test's mocked
    adapter decides the href."""
    adp = mock.Mock()
    adp.build_href.return_value = "a_link"
    for mapping in (
            vios.VSCSIMapping.bld(adp, host, LPAR_UUID,
                                  stor.VDisk.bld_ref(adp, "d1")),
            vios.VFCMapping.bld(adp, host, LPAR_UUID, "fcs0")):
        assert mapping.client_lpar_href == "a_link"
        assert adp.build_href.call_args == call
    assert adp.build_href.call_count == 2


def test_w3_vdisk_type():
    """W3 rev 2: a VDisk reference is a logical volume (vdtype)."""
    disk = stor.VDisk.bld_ref(None, "d1")
    assert disk.vdtype == stor.VDiskType.LV == "LogicalVolume"


def test_w3_builders_refuse_a_link_that_is_not_a_string():
    """W3 rev 2: an adapter whose build_href gives no string (a mock left
    unconfigured) is refused with a TypeError saying so."""
    adp = mock.Mock()
    with pytest.raises(TypeError, match="build_href"):
        vios.VSCSIMapping.bld(adp, None, LPAR_UUID,
                              stor.VDisk.bld_ref(adp, "d1"))
