"""VIOS, its SCSI / VFC mappings and media repository on real captures
(SPEC W3)."""


import pytest
from lxml import etree

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import virtual_io_server as vios
from tests.captures import CAPTURES, captured_response

NS = "{%s}" % c.UOM_NS
VIOS_UUID = "3443DB77-AED1-47ED-9AA5-3DB9C6CF7089"


def template_vios(name="vios_02.xml", uuid=VIOS_UUID):
    """A VIOS entry built around ``templates/<name>`` (with mappings)."""
    text = (CAPTURES / "templates" / name).read_text()
    for key, val in {"UUID": uuid, "BASE": "https://hmc.example:12443",
                     "MS_UUID": "b7ab1b2b-0b3c-3e32-8d2d-4ee2b3a5a6c2",
                     "ID": "1", "NAME": "vios-a"}.items():
        text = text.replace("@@%s@@" % key, val)
    href = ("https://hmc.example:12443/rest/api/uom/VirtualIOServer/%s"
            "?group=ViosSCSIMapping,ViosFCMapping" % uuid)
    body = ('<entry xmlns="%s"><id>%s</id><title>VirtualIOServer</title>'
            '<link rel="SELF" href="%s"/><content type="%s">%s</content>'
            '</entry>') % (c.ATOM_NS, uuid, href,
                           c.uom_content_type("VirtualIOServer"), text)
    resp = adp.Response("GET", href, 200, "OK", {"ETag": "5150"},
                        body=body.encode())
    return ewrap.EntryWrapper.wrap(resp)


def child_names(elem):
    return [etree.QName(e).localname for e in elem
            if isinstance(e.tag, str)]


def reparse(wrapper):
    """The wrapper as the server would read what update() sends."""
    return ewrap.EntryWrapper.wrap(adp.Entry(etree.fromstring(
        etree.tostring(wrapper.entry.element))))


@pytest.fixture
def v():
    return template_vios()


# -- reading ---------------------------------------------------------------

def test_w3_wrap_picks_vios_for_entry_and_feed():
    """W3/W1.1: EntryWrapper.wrap returns VIOS for VirtualIOServer XML; an
    entry takes the header etag, a feed each entry's own."""
    entry = ewrap.EntryWrapper.wrap(captured_response("vios_entry.xml"))
    assert type(entry) is vios.VIOS
    assert entry.etag == "378412626"
    feed = ewrap.EntryWrapper.wrap(captured_response("vios_feed.xml"))
    assert [type(w) for w in feed] == [vios.VIOS, vios.VIOS]
    assert [w.name for w in feed] == ["21-25D0A", "vios1"]
    assert all(w.etag and w.etag != "249747277" for w in feed)


def test_w3_vios_partition_properties():
    """W3: a VIOS has the shared partition properties."""
    w = ewrap.EntryWrapper.wrap(captured_response("vios_entry.xml"))
    assert isinstance(w, lpar.BasePartition)
    assert w.uuid == "14B854F7-42CE-4FF0-BD57-1D117054E701"
    assert w.name == "IO Server"
    assert w.id == 1
    assert w.state == lpar.LPARState.RUNNING
    assert w.env == lpar.LPARType.VIOS == w.partition_type
    assert w.mem_config.desired == 4096
    assert w.proc_config.has_dedicated is False
    assert w.proc_config.desired_units is not None
    assert w.is_license_accepted is True


def test_w3_vios_xags():
    """W3: VIOS names the groups its mappings come in."""
    assert vios.VIOS.xags.SCSI_MAPPING == "ViosSCSIMapping" == c.XAG.VIO_SMAP
    assert vios.VIOS.xags.FC_MAPPING == "ViosFCMapping" == c.XAG.VIO_FMAP
    assert vios.VIOS.xags.MAPPINGS == ("ViosSCSIMapping", "ViosFCMapping")
    assert vios.VIOS.xags.STORAGE == c.XAG.VIO_STOR


def test_w3_scsi_mappings_read(v):
    """W3: the captured SCSI mappings and their parts."""
    maps = v.scsi_mappings
    assert len(maps) == 9
    assert all(isinstance(m, vios.VSCSIMapping) for m in maps)
    first = maps[0]
    assert first.client_lpar_uuid == "1A89CDB0-4C93-4120-A69D-EDEF5AB04CB9"
    assert first.client_lpar_id == 7
    assert first.server_adapter_name == "vhost1"
    assert (first.server_slot, first.client_slot) == (7, 2)
    assert first.backing_storage_type == "LogicalUnit"
    assert first.backing_storage_name.startswith("volume-boot-8246L1C")
    assert first.target_name == "vtscsi0"
    # A mapping with only a server adapter (no client, no storage).
    bare = maps[1]
    assert bare.server_adapter_name == "vhost2"
    assert bare.client_lpar_href is None
    assert bare.backing_storage_name is None
    assert bare.backing_storage_type is None
    assert bare.target_name is None
    kinds = {m.backing_storage_type for m in maps}
    assert kinds == {None, "LogicalUnit", "VirtualOpticalMedia",
                     "PhysicalVolume", "VirtualDisk"}
    assert all(m.backing_storage_name for m in maps
               if m.backing_storage_type)


def test_w3_vfc_mappings_read(v):
    """W3: the captured VFC mappings and their parts."""
    maps = v.vfc_mappings
    assert len(maps) == 2
    first = maps[0]
    assert isinstance(first, vios.VFCMapping)
    assert first.client_lpar_id == 21
    assert first.server_adapter_name == "vfchost0"
    assert first.backing_port_name == "fcs0"
    assert first.client_wwpns == ["c05076065a8b005a", "c05076065a8b005b"]
    assert maps[1].backing_port_name is None  # not mapped to a port


def test_w3_media_repository(v):
    """W3: media_repository where present, None where absent."""
    repo = v.media_repository
    assert repo.name == "VMLibrary"
    assert repo.size == 1
    assert len(repo.optical_media) >= 1
    assert repo.optical_media[0].media_name.startswith("vopt_")
    assert repo.optical_media[0].mount_type == "rw"
    feed = ewrap.EntryWrapper.wrap(captured_response("vios_feed.xml"))
    assert feed[0].media_repository is None


def test_w3_mappings_absent_group_is_empty_not_error():
    """W3: a VIOS read without the mapping groups has empty lists."""
    w = vios.VIOS.bld(None)
    assert len(w.scsi_mappings) == 0
    assert list(w.vfc_mappings) == []
    assert w.media_repository is None
    assert child_names(w.element) == ["Metadata"]


# -- changing mappings -----------------------------------------------------

def test_w3_add_scsi_mapping_reflected_in_xml(v):
    """W3: appending a built SCSI mapping adds it after the existing ones,
    written in toxmlstring() and read back after a re-parse."""
    new = vios.VSCSIMapping.bld_by_id(12, "demo-disk-12",
                                server_adapter_name="vhost9",
                                client_lpar_href="https://h/rest/api/uom/"
                                "LogicalPartition/ABC")
    v.scsi_mappings.append(new)
    assert len(v.scsi_mappings) == 10
    assert b"demo-disk-12" in v.toxmlstring()
    back = reparse(v).scsi_mappings[-1]
    assert back.client_lpar_id == 12
    assert back.backing_storage_name == "demo-disk-12"
    assert back.backing_storage_type == "VirtualDisk"
    assert back.server_adapter_name == "vhost9"
    assert back.client_lpar_uuid == "ABC"
    # Element order inside the new mapping follows the schema.
    names = child_names(new.element)
    assert names == ["Metadata", "AssociatedLogicalPartition",
                     "ServerAdapter", "Storage"]
    # The whole VIOS stays in schema order; the container stays in place.
    assert child_names(v.element) == child_names(template_vios().element)


def test_w3_remove_scsi_mapping_reflected_in_xml(v):
    """W3: removing a mapping removes exactly that element."""
    maps = v.scsi_mappings
    victim = maps[0]
    others = [etree.tostring(m.element) for m in maps[1:]]
    maps.remove(victim)
    assert len(v.scsi_mappings) == 8
    assert [etree.tostring(m.element) for m in v.scsi_mappings] == others
    assert v.toxmlstring().count(b"<VirtualSCSIMapping ") == 8
    assert len(reparse(v).scsi_mappings) == 8


def test_w3_remove_equal_copy_and_missing(v):
    """W3: remove() also matches an equal copy; a missing one raises."""
    copy = vios.VSCSIMapping.wrap(etree.fromstring(etree.tostring(
        v.scsi_mappings[2].element)))
    v.scsi_mappings.remove(copy)
    assert len(v.scsi_mappings) == 8
    with pytest.raises(ValueError):
        v.scsi_mappings.remove(vios.VSCSIMapping.bld_by_id(1, "never-mapped"))
    with pytest.raises(TypeError):
        v.scsi_mappings.append(vios.VFCMapping.bld_by_id(1, "fcs0"))


def test_w3_add_and_remove_vfc_mapping(v):
    """W3: VFC mappings can be appended and removed; XML reflects both."""
    new = vios.VFCMapping.bld_by_id(33, "fcs1", server_adapter_name="vfchost7",
                              client_wwpns=["c0507600aaaa0001",
                                            "c0507600aaaa0002"])
    v.vfc_mappings.append(new)
    back = reparse(v).vfc_mappings
    assert len(back) == 3
    assert back[-1].client_lpar_id == 33
    assert back[-1].backing_port_name == "fcs1"
    assert back[-1].client_wwpns == ["c0507600aaaa0001", "c0507600aaaa0002"]
    assert child_names(new.element) == [
        "Metadata", "ClientAdapter", "Port", "ServerAdapter"]
    v.vfc_mappings.remove(v.vfc_mappings[0])
    assert [m.client_lpar_id for m in reparse(v).vfc_mappings] == [7, 33]


def test_w3_append_creates_missing_container_in_schema_order():
    """W3: the first mapping added to a VIOS without mappings creates the
    container where the schema puts it."""
    w = ewrap.EntryWrapper.wrap(captured_response("vios_entry.xml"))
    w.element.remove(w._find("VirtualSCSIMappings"))
    w.element.remove(w._find("VirtualFibreChannelMappings"))
    w.scsi_mappings.append(vios.VSCSIMapping.bld_by_id(3, "disk3"))
    w.vfc_mappings.append(vios.VFCMapping.bld_by_id(3, "fcs0"))
    names = child_names(w.element)
    assert names.index("VirtualIOServerLicenseAccepted") + 1 == names.index(
        "VirtualFibreChannelMappings")
    assert names.index("VirtualFibreChannelMappings") + 1 == names.index(
        "VirtualSCSIMappings")
    assert names.index("VirtualSCSIMappings") + 1 == names.index(
        "FreeIOAdaptersForLinkAggregation")
    assert len(w.scsi_mappings) == len(w.vfc_mappings) == 1


def test_w3_scsi_bld_validates():
    """W3: builders refuse what cannot be a valid mapping, saying why."""
    with pytest.raises(ValueError, match="VirtualDisk"):
        vios.VSCSIMapping.bld_by_id(1, "x", storage_type="Floppy")
    with pytest.raises(ValueError, match="backing storage"):
        vios.VSCSIMapping.bld_by_id(1, "")
    with pytest.raises(ValueError, match="fcs0"):
        vios.VFCMapping.bld_by_id(1, "")
    pv = vios.VSCSIMapping.bld_by_id(4, "hdisk4", storage_type="PhysicalVolume")
    assert pv.backing_storage_type == "PhysicalVolume"
    assert pv.backing_storage_name == "hdisk4"
    assert b"ns0:" not in pv.toxmlstring()


def test_w3_vios_set_values_keep_order_and_unknowns(v):
    """W3: renaming and resizing a VIOS keeps every other element intact."""
    untouched = {i: etree.tostring(e) for i, e in enumerate(v.element)
                 if etree.QName(e).localname not in (
                     "PartitionName", "PartitionMemoryConfiguration")}
    v.name = "vios-b"
    v.mem_config.desired = 8192
    after = {i: etree.tostring(e) for i, e in enumerate(v.element)
             if etree.QName(e).localname not in (
                 "PartitionName", "PartitionMemoryConfiguration")}
    assert after == untouched
    assert reparse(v).name == "vios-b"
    assert reparse(v).mem_config.desired == 8192


def test_w3_captured_vios_orders_match_declared_child_order():
    """W3: VIOS_CHILD_ORDER agrees with every captured VIOS."""
    wrappers = ([template_vios("vios_01.xml"), template_vios()]
                + ewrap.EntryWrapper.wrap(captured_response("vios_feed.xml"))
                + [ewrap.EntryWrapper.wrap(captured_response(
                    "vios_entry.xml"))])
    for w in wrappers:
        names = child_names(w.element)
        ranks = [vios.VIOS_CHILD_ORDER.index(n) for n in names]
        assert ranks == sorted(ranks)
        for m in w.scsi_mappings:
            ranks = [vios.SCSI_MAPPING_CHILD_ORDER.index(n)
                     for n in child_names(m.element)]
            assert ranks == sorted(ranks)


def test_w3_vios_partition_settings_insert_in_schema_order(v):
    """W3 rev 2: a VIOS has the partition settings too (it is a
    partition); setting absent ones puts them where the schema does,
    after IsManagementPartition and before the VIOS's own children."""
    v.bootmode = "Normal"
    v.disable_secure_boot = True
    v.pending_secure_boot = 2
    names = child_names(v.element)
    order = vios.VIOS_CHILD_ORDER
    ranks = [order.index(n) for n in names if n in order]
    assert ranks == sorted(ranks), names
    at = names.index("BootMode")
    assert names[at:at + 3] == ["BootMode", "DisableSecureBoot",
                                "PendingSecureBoot"]
    again = reparse(v)
    assert (again.bootmode, again.disable_secure_boot,
            again.pending_secure_boot) == ("Normal", True, 2)


# -- the peer's VIOS helpers (W3 rev 2, issue 9) ----------------------------

def test_w3_vios_physical_volumes_and_disk_lookups(v):
    """W3 rev 2: phys_vols wraps every PhysicalVolume of the VIOS;
    hdisk_from_uuid finds a volume by unique device id and
    hdisk_reserve_policy by the LUN id inside its VolumeUniqueID."""
    elems = v.element.findall(NS + "PhysicalVolumes/" + NS + "PhysicalVolume")
    assert len(v.phys_vols) == len(elems) == 11
    assert isinstance(v.phys_vols, tuple)
    first = v.phys_vols[0]
    assert (first.name, first.description, first.state) == (
        "hdisk0", "SAS Disk Drive", "active")
    assert v.hdisk_from_uuid(first.udid) == "hdisk0"
    assert v.hdisk_from_uuid(
        "01M0lCTTIxNDUyNEM2MDA1MDc2MzAwODM4MDQxMzAwMDAwMDAwMDAwMDhCNQ==") \
        == "hdisk7"
    assert v.hdisk_from_uuid("bogus") is None
    # One SinglePath among NoReserve volumes: a search, not a pick.
    assert v.hdisk_reserve_policy("6005076300838041300000000000002B") == \
        "SinglePath"
    assert v.hdisk_reserve_policy("600507630083804130000000000008B2") == \
        "NoReserve"
    assert v.hdisk_reserve_policy("bogus") is None


def test_w3_vios_network_and_capability_properties(v):
    """W3 rev 2: the VIOS's IP addresses (SEAs and free backing devices,
    each once), RMC address, mover-service flag and vNIC capabilities."""
    assert v.ip_addresses == ("9.1.2.4", "10.10.10.5")
    assert v.rmc_ip == "9.1.2.5"
    assert (v.vnic_capable, v.vnic_failover_capable) == (True, True)
    assert v.is_mover_service_partition is True
    v.is_mover_service_partition = False
    assert reparse(v).is_mover_service_partition is False
    with pytest.raises(AttributeError):
        v.ip_addresses = ()


def test_w3_vios_wwpn_helpers(v):
    """W3 rev 2: the physical ports' WWPNs (those with NPIV ports are
    active) and the client WWPN pairs of the VFC mappings."""
    assert v.get_pfc_wwpns() == {p.wwpn for p in v.pfc_ports} == {
        "10000090FA1B6302", "10000090FA1B6303"}
    assert v.get_active_pfc_wwpns() == [
        p.wwpn for p in v.pfc_ports if p.npiv_total_ports > 0] == [
        "10000090FA1B6302"]
    assert v.get_vfc_wwpns() == {
        frozenset({"c05076065a8b005a", "c05076065a8b005b"}),
        frozenset({"c05076065a8b0060", "c05076065a8b0061"})}
    v.vfc_mappings.append(vios.VFCMapping.bld_by_id(
        5, "fcs0", client_wwpns=["c0507606aaaa0001", "c0507606aaaa0002"]))
    assert frozenset({"c0507606aaaa0001", "c0507606aaaa0002"}) in \
        v.get_vfc_wwpns()


def test_w3_vios_helpers_on_a_vios_read_without_groups(v):
    """W3 rev 2: a VIOS read without the storage or network groups has
    no volumes, addresses or pairs: empty, not an error."""
    for name in ("PhysicalVolumes", "SharedEthernetAdapters",
                 "FreeEthenetBackingDevicesForSEA",
                 "VirtualFibreChannelMappings"):
        for elem in v.element.findall(NS + name):
            v.element.remove(elem)
    assert v.phys_vols == ()
    assert v.hdisk_from_uuid("x") is None
    assert v.hdisk_reserve_policy("x") is None
    assert v.ip_addresses == ()
    assert v.get_vfc_wwpns() == set()


def test_w3_vstorage_mapping_is_the_mappings_base():
    assert issubclass(vios.VSCSIMapping, vios.VStorageMapping)
    assert issubclass(vios.VFCMapping, vios.VStorageMapping)


def test_w3_vios_adapters_free_for_link_aggregation(v):
    """W3 rev 2: io_adpts_for_link_agg wraps each free adapter choice."""
    adapters = v.io_adpts_for_link_agg
    assert len(adapters) == 3
    first = adapters[0]
    assert (first.id, first.dev_name, first.dev_type, first.udid) == (
        "1", "ent3", "physicalEthernetAdpter", "13U78AB.001.WZSJBM3-P1-C7-T4")
    assert first.drc_name == first.phys_loc_code == "U78AB.001.WZSJBM3-P1-C7-T4"
    holder = v._find("FreeIOAdaptersForLinkAggregation")
    holder.getparent().remove(holder)
    assert v.io_adpts_for_link_agg == ()
