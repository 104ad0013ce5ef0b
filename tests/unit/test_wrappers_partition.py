"""LPAR, the shared partition base and System, on real captures (SPEC W3)."""


import pytest
from lxml import etree

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import virtual_io_server as vios
from tests.captures import CAPTURES, captured_response

NS = "{%s}" % c.UOM_NS


def template_response(name, schema_type, uuid, etag="42", **subs):
    """A single-entry Response around a ``templates/<name>`` object."""
    text = (CAPTURES / "templates" / name).read_text()
    values = {"UUID": uuid, "BASE": "https://hmc.example:12443",
              "MS_UUID": "b7ab1b2b-0b3c-3e32-8d2d-4ee2b3a5a6c2",
              "ID": "7", "NAME": "captured-%s" % uuid[:8]}
    values.update(subs)
    for key, val in values.items():
        text = text.replace("@@%s@@" % key, val)
    href = "https://hmc.example:12443/rest/api/uom/%s/%s" % (schema_type,
                                                             uuid)
    body = ('<entry xmlns="%s"><id>%s</id><title>%s</title>'
            '<link rel="SELF" href="%s"/>'
            '<content type="%s">%s</content></entry>') % (
        c.ATOM_NS, uuid, schema_type, href,
        c.uom_content_type(schema_type), text)
    return adp.Response("GET", href, 200, "OK", {"ETag": etag},
                        body=body.encode())


def child_names(elem):
    return [etree.QName(e).localname for e in elem
            if isinstance(e.tag, str)]


def assert_in_order(names, order):
    """Every name that ``order`` knows appears in ``order``'s sequence."""
    ranks = [order.index(n) for n in names if n in order]
    assert ranks == sorted(ranks), names


@pytest.fixture(scope="module")
def lpar_feed():
    return ewrap.EntryWrapper.wrap(captured_response("lpar_feed.xml"))


@pytest.fixture
def lpars():
    """A fresh parse per test, since tests modify the wrappers."""
    return ewrap.EntryWrapper.wrap(captured_response("lpar_feed.xml"))


def by_name(wrappers, name):
    return next(w for w in wrappers if w.name == name)


# -- reading ---------------------------------------------------------------

def test_w3_wrap_picks_lpar_for_logical_partition_feed(lpar_feed):
    """W3/W1.1: EntryWrapper.wrap on the base class returns LPARs."""
    assert len(lpar_feed) == 21
    assert all(type(w) is lpar.LPAR for w in lpar_feed)
    assert all(w.schema_type == "LogicalPartition" for w in lpar_feed)


def test_w3_lpar_identity_and_state(lpar_feed):
    """W3: name, id, uuid, state, env and partition_type of a real LPAR."""
    w = lpar_feed[0]
    assert w.uuid == "089FFB20-5D19-4A8C-BB80-13650627D985"
    assert w.partition_uuid == w.uuid
    assert w.name == "z3-9-5-126-127-00000001"
    assert w.id == 9
    assert w.state == lpar.LPARState.NOT_ACTIVATED
    assert w.env == lpar.LPARType.AIXLINUX
    assert w.partition_type == "AIX/Linux"
    running = by_name(lpar_feed, "z3-9-5-127-7-00000029")
    assert running.state == lpar.LPARState.RUNNING


def test_w3_lpar_mem_config(lpar_feed):
    """W3: mem_config desired/min/max in MB."""
    mem = by_name(lpar_feed, "z3-9-5-127-7-00000029").mem_config
    assert (mem.desired, mem.min, mem.max) == (512, 256, 2048)
    assert mem.is_present


def test_w3_lpar_shared_proc_config(lpar_feed):
    """W3: shared processors: units (float) and virtual processors (int)."""
    proc = lpar_feed[0].proc_config
    assert proc.has_dedicated is False
    assert proc.desired_units == 1.5
    assert isinstance(proc.desired_units, float)
    assert proc.desired_virtual == 2
    assert proc.desired_procs is None
    assert proc.sharing_mode == lpar.SharingMode.UNCAPPED
    shared = proc.shared_proc_cfg
    assert (shared.min_units, shared.max_units) == (0.5, 2.5)
    assert shared.pool_id == 9


def test_w3_lpar_dedicated_proc_config(lpar_feed):
    """W3: dedicated processors: whole processors; shared values None."""
    proc = by_name(lpar_feed, "z3-9-5-127-7-00000029").proc_config
    assert proc.has_dedicated is True
    assert proc.desired_procs == 1
    assert (proc.dedicated_proc_cfg.min, proc.dedicated_proc_cfg.max) == (1, 4)
    assert proc.desired_units is None
    assert proc.desired_virtual is None
    assert proc.sharing_mode == lpar.SharingMode.KEEP_IDLE_PROCS


def test_w3_absent_values_are_none_not_errors(lpar_feed):
    """W3: getters on absent values return None, never raise (rev 2: the
    peer's counts and flags read 0 / False)."""
    bare = by_name(lpar_feed, "linux1")  # memory sizes absent
    assert bare.mem_config.desired is None
    assert bare.mem_config.min is None
    assert bare.mem_config.max is None
    empty = lpar.LPAR.bld(None)
    for attr in ("name", "id", "state", "env", "partition_type",
                 "partition_uuid", "assoc_sys_uuid", "rmc_state"):
        assert getattr(empty, attr) is None, attr
    assert empty.is_mgmt_partition is False
    assert empty.mem_config.max is None
    assert empty.proc_config.has_dedicated is False
    assert empty.proc_config.shared_proc_cfg.desired_units is None
    assert empty.proc_config.shared_proc_cfg.pool_id == 0
    assert empty.proc_config.dedicated_proc_cfg.desired == 0
    # Reading did not change the XML.
    assert child_names(empty.element) == ["Metadata"]


def test_w3_lpar_feed_per_entry_etags():
    """W1.1/W3: wrappers from a feed carry their entries' own etags."""
    lpars = ewrap.EntryWrapper.wrap(captured_response("lpar_feed_etags.xml"))
    assert all(type(w) is lpar.LPAR for w in lpars)
    assert all(w.etag for w in lpars)
    assert len({w.etag for w in lpars}) > 1
    first = lpars[0].entry.element.find("{%s}etag" % c.ETAG_NS).text
    assert lpars[0].etag == first.strip()


def test_w3_lpar_assoc_sys_uuid(lpar_feed):
    """W3: the managed system a partition belongs to."""
    assert lpar_feed[0].assoc_sys_uuid


# -- writing ---------------------------------------------------------------

def test_w3_set_name_in_place(lpars):
    """W3: name is settable; the element stays where it was."""
    w = lpars[0]
    before = child_names(w.element)
    w.name = "renamed"
    assert w.name == "renamed"
    assert child_names(w.element) == before
    assert b">renamed</" in w.toxmlstring()


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_w3_set_name_rejects_empty(lpars, bad):
    """W3: an empty name is refused with a message saying what is wanted."""
    with pytest.raises(ValueError, match="non-empty"):
        lpars[0].name = bad


def test_w3_set_memory_and_procs(lpars):
    """W3: desired memory, units and virtual processors are settable."""
    w = lpars[0]
    w.mem_config.desired = 1024
    w.mem_config.max = 4096
    w.mem_config.min = 256
    w.proc_config.desired_units = 0.75
    w.proc_config.desired_virtual = 3
    again = ewrap.EntryWrapper.wrap(adp.Entry(etree.fromstring(
        etree.tostring(w.entry.element))))
    assert (again.mem_config.desired, again.mem_config.min,
            again.mem_config.max) == (1024, 256, 4096)
    assert again.proc_config.desired_units == 0.75
    assert again.proc_config.desired_virtual == 3


def test_w3_set_dedicated_desired(lpars):
    """W3: a dedicated partition's desired processors are settable; the
    shared shortcuts refuse with a clear message (and vice versa)."""
    ded = by_name(lpars, "z3-9-5-127-7-00000029")
    ded.proc_config.desired_procs = 2
    assert ded.proc_config.dedicated_proc_cfg.desired == 2
    with pytest.raises(ValueError, match="dedicated processors"):
        ded.proc_config.desired_units = 0.5
    shared = lpars[0]
    with pytest.raises(ValueError, match="shared processors"):
        shared.proc_config.desired_procs = 2


def test_w3_switch_shared_to_dedicated_inserts_in_order(lpars):
    """W3: switching to dedicated inserts DedicatedProcessorConfiguration
    before HasDedicatedProcessors (schema order)."""
    proc = lpars[0].proc_config
    proc.has_dedicated = True
    proc.desired_procs = 2
    names = child_names(proc.element)
    assert names.index("DedicatedProcessorConfiguration") < names.index(
        "HasDedicatedProcessors")
    assert_in_order(names, lpar.PROC_CHILD_ORDER)
    ded = proc.dedicated_proc_cfg
    assert child_names(ded.element) == ["Metadata", "DesiredProcessors"]


def test_w3_setting_absent_value_inserts_in_schema_order(lpars):
    """W3: removing DesiredMemory then setting it puts it back between
    DesiredHugePageCount and ExpansionFactor, as the schema wants."""
    mem = lpars[0].mem_config
    original = child_names(mem.element)
    mem.element.remove(mem._find("DesiredMemory"))
    assert mem.desired is None
    mem.desired = 3072
    assert child_names(mem.element) == original
    assert mem.desired == 3072


def test_w3_setting_absent_size_on_sparse_config(lpars):
    """W3: linux1's captured memory configuration has no sizes; setting
    them inserts each in schema order among the flags it does have."""
    mem = by_name(lpars, "linux1").mem_config
    mem.max = 4096
    mem.desired = 2048
    mem.min = 1024
    assert child_names(mem.element) == [
        "Metadata", "ActiveMemoryExpansionEnabled", "DesiredMemory",
        "MaximumMemory", "MinimumMemory",
        "MemoryExpansionHardwareAccessEnabled",
        "MemoryEncryptionHardwareAccessEnabled", "MemoryExpansionEnabled",
        "RedundantErrorPathReportingEnabled"]


def test_w3_setting_absent_config_inserts_whole_element(lpars):
    """W3: an LPAR without a memory configuration gets one, inserted
    between PartitionIOConfiguration and PartitionName."""
    w = by_name(lpars, "linux1")
    w.element.remove(w._find("PartitionMemoryConfiguration"))
    mem = w.mem_config
    assert mem.desired is None
    assert not mem.is_present
    mem.desired = 2048
    assert mem.is_present
    names = child_names(w.element)
    assert "PartitionMemoryConfiguration" in names
    assert_in_order(names, lpar.LPAR_CHILD_ORDER)
    assert names.index("PartitionMemoryConfiguration") + 1 == names.index(
        "PartitionName")
    assert w.mem_config.desired == 2048


def test_w3_built_lpar_fills_in_schema_order():
    """W3: values set on a new LPAR in any order land in schema order,
    nested ones included."""
    w = lpar.LPAR.bld(None)
    w.proc_config.desired_virtual = 2
    w.proc_config.has_dedicated = False
    w.proc_config.desired_units = 0.2
    w.env = lpar.LPARType.AIXLINUX
    w.name = "new-vm"
    w.mem_config.max = 4096
    w.mem_config.desired = 2048
    assert child_names(w.element) == [
        "Metadata", "PartitionMemoryConfiguration", "PartitionName",
        "PartitionProcessorConfiguration", "PartitionType"]
    assert child_names(w.mem_config.element) == [
        "Metadata", "DesiredMemory", "MaximumMemory"]
    assert child_names(w.proc_config.element) == [
        "Metadata", "HasDedicatedProcessors", "SharedProcessorConfiguration"]
    assert child_names(w.proc_config.shared_proc_cfg.element) == [
        "Metadata", "DesiredProcessingUnits", "DesiredVirtualProcessors"]
    # New elements share the document's namespace, no stray prefixes.
    assert b"ns0:" not in w.toxmlstring()


def test_w3_unknown_elements_preserved(lpars):
    """W3: elements the wrapper does not know survive a change untouched,
    attributes (kb/kxe/schemaVersion) included."""
    w = lpars[0]
    extra = etree.SubElement(w.element, NS + "FutureFeature",
                             attrib={"kb": "CUD", "kxe": "false"})
    extra.text = "keep me"
    before = {e.tag: etree.tostring(e) for e in w.element
              if etree.QName(e).localname not in (
                  "PartitionName", "PartitionMemoryConfiguration")}
    w.name = "changed"
    w.mem_config.desired = 4096
    after = {e.tag: etree.tostring(e) for e in w.element
             if etree.QName(e).localname not in (
                 "PartitionName", "PartitionMemoryConfiguration")}
    assert after == before
    assert w.element[-1] is extra
    mem = w.mem_config.element
    assert mem.get("schemaVersion") and mem.get("kb") == "CUD"


def test_w3_templates_all_parse_and_round_trip():
    """W3: every captured LPAR template parses; setting values keeps the
    children of every touched element in schema order."""
    for path in sorted((CAPTURES / "templates").glob("lpar_*.xml")):
        w = ewrap.EntryWrapper.wrap(template_response(
            path.name, "LogicalPartition",
            "3D3DE3FA-5DD6-439D-BF4C-%012d" % len(path.name)))
        assert isinstance(w, lpar.LPAR), path.name
        assert w.name.startswith("captured-") and w.id == 7
        w.name = "x"
        w.mem_config.desired = 1024
        if w.proc_config.has_dedicated:
            w.proc_config.desired_procs = 1
        else:
            w.proc_config.desired_units = 0.3
        assert_in_order(child_names(w.element), lpar.LPAR_CHILD_ORDER)
        assert_in_order(child_names(w.mem_config.element),
                        lpar.MEM_CHILD_ORDER)
        assert_in_order(child_names(w.proc_config.element),
                        lpar.PROC_CHILD_ORDER)


def test_w3_captured_orders_match_declared_child_order(lpar_feed):
    """W3: the child_order tuples agree with every captured LPAR."""
    for w in lpar_feed:
        assert_in_order(child_names(w.element), lpar.LPAR_CHILD_ORDER)
        assert set(child_names(w.element)) <= set(lpar.LPAR_CHILD_ORDER)


# -- System ----------------------------------------------------------------

MS_UUID = "b7ab1b2b-0b3c-3e32-8d2d-4ee2b3a5a6c2"


@pytest.fixture
def system():
    return ewrap.EntryWrapper.wrap(template_response(
        "managedsystem.xml", "ManagedSystem", MS_UUID, etag="-17"))


def test_w3_system_properties(system):
    """W3: System wraps ManagedSystem: name, uuid, state, MTMS."""
    assert type(system) is ms.System
    assert system.schema_type == "ManagedSystem"
    assert system.uuid == MS_UUID
    assert system.etag == "-17"
    assert system.name == "Server-8247-21L-SN9999999"
    assert system.state == "operating"
    assert system.mtms.mtms_str == "8247-21L*9999999"
    assert system.max_partitions == 200
    assert system.primary_ip == "9.0.0.0"
    assert ms.System.bld(None).mtms is None


def test_w3_system_peer_names(system):
    """W3 (rev 2): the peer's names on the captured ManagedSystem."""
    assert system.system_name == system.name == "Server-8247-21L-SN9999999"
    assert system.system_state == "operating"
    assert system.host_ip_address == "9.0.0.0"
    mtms = system.mtms
    assert isinstance(mtms, ms.MTMS)
    assert (mtms.machine_type, mtms.model, mtms.serial) == (
        "8247", "21L", "9999999")
    empty = ms.System.bld(None)
    assert empty.system_state == "unknown"
    assert empty.system_name is None and empty.host_ip_address is None


def test_w3_mtms_bld_and_partial():
    """W3 (rev 2): MTMS.bld parses TYPE-MODEL*SERIAL in schema order; a
    malformed string is refused; a missing part gives no mtms_str."""
    built = ms.MTMS.bld(None, "9119-MME*21BBC47")
    assert [etree.QName(ch).localname for ch in built.element] == [
        "Metadata", "MachineType", "Model", "SerialNumber"]
    assert built.mtms_str == "9119-MME*21BBC47"
    for bad in ("9119MME21BBC47", "9119-MME", "-MME*1", "9119-*1"):
        with pytest.raises(ValueError):
            ms.MTMS.bld(None, bad)
    built.element.remove(built.element[-1])
    assert built.mtms_str is None


def test_w3_system_as_parent_of_child_getters(system):
    """W3: System (class, 'ManagedSystem' string, or a wrapper) is accepted
    as the parent of CHILD getters."""
    adapter = object()
    by_class = lpar.LPAR.getter(adapter, parent_class=ms.System,
                                parent_uuid=MS_UUID)
    by_name_ = lpar.LPAR.getter(adapter, parent_class="ManagedSystem",
                                parent_uuid=MS_UUID)
    by_wrapper = vios.VIOS.getter(adapter, "u1", parent=system)
    for getter in (by_class, by_name_, by_wrapper):
        assert (getter.parent_type, getter.parent_uuid) == (
            "ManagedSystem", MS_UUID)
    assert isinstance(by_class, ewrap.FeedGetter)
    assert isinstance(by_wrapper, ewrap.EntryWrapperGetter)


def test_w3_wrap_registers_all_three_types():
    """W3: importing pypvm_tx.wrappers registers System, LPAR and VIOS."""
    import pypvm_tx.wrappers  # noqa: F401
    registry = ewrap._ENTRY_CLASSES
    assert registry["ManagedSystem"] is ms.System
    assert registry["LogicalPartition"] is lpar.LPAR
    assert registry["VirtualIOServer"] is vios.VIOS


# -- the peer's partition properties (W3 rev 2, issue 9) ---------------------

def test_w3_peer_partition_properties_read(lpar_feed):
    """W3 rev 2: the peer's partition properties on a real LPAR, and what
    each reads on a partition that lacks it."""
    w = lpar_feed[0]
    assert w.ref_code == "00000000"
    assert w.ref_code_full.startswith("time_stamp=08/13/2016 23:52:08")
    assert w.avail_priority == 127
    assert w.profile_sync is True
    assert w.operating_system == "Linux/Red Hat 2.6.32-358.el6.ppc64 6.4"
    assert (w.keylock_pos, w.bootmode) == (lpar.KeylockPos.NORMAL,
                                           lpar.BootMode.NORM)
    assert (w.current_secure_boot, w.pending_secure_boot) == (1, 2)
    assert (w.proc_compat_mode, w.pending_proc_compat_mode) == (
        "POWER6_Plus", "default")
    assert (w.max_pmem_volumes, w.cur_pmem_volumes, w.max_dram_pmem_volumes,
            w.cur_dram_pmem_volumes) == (964, 2, 4, 2)
    assert w.srr_enabled is True
    assert w.is_service_partition is False
    assert w.capabilities.io_dlpar is True
    other = lpar_feed[1]
    assert other.operating_system == "Unknown"
    assert other.bootmode is None and other.max_pmem_volumes is None
    assert (other.current_secure_boot, other.pending_secure_boot) == (0, 0)


def test_w3_absent_peer_properties_read_their_defaults(lpars):
    """W3 rev 2: flags and counts the server leaves out read False / 0
    (as the peer's), strings None; nothing is created by reading."""
    w = lpars[0]
    for name in ("AvailabilityPriority", "CurrentProfileSync",
                 "IsServicePartition", "SimplifiedRemoteRestartCapable",
                 "AllowPerformanceDataCollection", "DisableSecureBoot",
                 "PartitionCapabilities", "Uptime", "ReferenceCode"):
        for elem in w.element.findall(NS + name):
            w.element.remove(elem)
    before = child_names(w.element)
    assert (w.avail_priority, w.profile_sync, w.is_service_partition,
            w.srr_enabled, w.allow_perf_data_collection,
            w.disable_secure_boot) == (0, False, False, False, False, False)
    caps = w.capabilities
    assert (caps.io_dlpar, caps.mem_dlpar, caps.proc_dlpar) == (
        False, False, False)
    assert not caps.is_present
    assert (w.uptime, w.ref_code) == (None, None)
    assert child_names(w.element) == before


def test_w3_peer_partition_setters_write_in_schema_order(lpars):
    """W3 rev 2: the peer's setters write the server's text, inserting a
    missing element in schema order; a round trip reads them back."""
    w = lpars[0]
    for name in ("AvailabilityPriority", "DisableSecureBoot",
                 "IsServicePartition"):
        for elem in w.element.findall(NS + name):
            w.element.remove(elem)
    w.avail_priority = 63
    w.profile_sync = False
    w.is_service_partition = True
    w.keylock_pos = lpar.KeylockPos.MANUAL
    w.bootmode = lpar.BootMode.SMS
    w.disable_secure_boot = True
    w.pending_secure_boot = 0
    w.allow_perf_data_collection = True
    w.srr_enabled = False
    w.proc_compat_mode = "POWER8"
    names = child_names(w.element)
    assert_in_order(names, lpar.LPAR_CHILD_ORDER)
    again = ewrap.EntryWrapper.wrap(adp.Entry(etree.fromstring(
        etree.tostring(w.entry.element))))
    assert (again.avail_priority, again.profile_sync,
            again.is_service_partition, again.keylock_pos, again.bootmode,
            again.disable_secure_boot, again.pending_secure_boot,
            again.allow_perf_data_collection, again.srr_enabled) == (
        63, False, True, "manual", "System_Management_Services", True, 0,
        True, False)
    assert w._get_val_str("CurrentProfileSync") == "Off"
    assert w._get_val_str("DisableSecureBoot") == "true"
    # The mode set is the pending one; the mode in force is the server's.
    assert (again.proc_compat_mode, again.pending_proc_compat_mode) == (
        "POWER6_Plus", "POWER8")
    w.profile_sync = "On"
    assert w.profile_sync is True


@pytest.mark.parametrize("prop, bad", [
    ("keylock_pos", "frobnicated"), ("bootmode", "frobnicated"),
    ("profile_sync", "yes"), ("avail_priority", "high")])
def test_w3_peer_partition_setters_refuse_bad_values(lpars, prop, bad):
    """W3 rev 2: a value outside the schema's set is refused with
    ValueError and leaves the XML as it was."""
    w = lpars[0]
    before = etree.tostring(w.element)
    with pytest.raises(ValueError):
        setattr(w, prop, bad)
    assert etree.tostring(w.element) == before


@pytest.mark.parametrize("prop", ["ref_code", "uptime", "operating_system",
                                  "current_secure_boot", "capabilities"])
def test_w3_read_only_peer_properties(lpars, prop):
    with pytest.raises(AttributeError):
        setattr(lpars[0], prop, 1)


def test_w3_memory_configuration_bld_and_ame():
    """W3 rev 2: PartitionMemoryConfiguration.bld as the peer's (min and
    max default to the desired size), in schema order; AME reads off."""
    cfg = lpar.PartitionMemoryConfiguration.bld(None, 1024, min_mem=512,
                                                max_mem=2048)
    assert (cfg.desired, cfg.min, cfg.max) == (1024, 512, 2048)
    assert child_names(cfg.element) == ["Metadata", "DesiredMemory",
                                        "MaximumMemory", "MinimumMemory"]
    assert (cfg.exp_factor, cfg.ame_enabled) == (0, False)
    same = lpar.PartitionMemoryConfiguration.bld(None, 4096)
    assert (same.desired, same.min, same.max) == (4096, 4096, 4096)
    cfg.exp_factor = 1.5
    assert cfg._get_val_str("ExpansionFactor") == "1.5"
    assert cfg.exp_factor == 1.5
    with pytest.raises(ValueError):
        lpar.PartitionMemoryConfiguration.bld(None, "lots")


def test_w3_memory_ame_of_a_capture(lpar_feed):
    mem = lpar_feed[0].mem_config
    assert mem.exp_factor == float(mem._get_val_str("ExpansionFactor") or 0)
    assert mem.ame_enabled is (
        mem._get_val_str("MemoryExpansionEnabled") == "true")


def test_w3_ibmi_ipl_source(lpars):
    """W3 rev 2: LPAR.desig_ipl_src reads and sets DesignatedIPLSource,
    added at the end of the LPAR's schema order; other values refused."""
    w = lpars[0]
    assert w.desig_ipl_src is None
    w.desig_ipl_src = lpar.IPLSrc.C
    assert child_names(w.element)[-1] == "DesignatedIPLSource"
    assert w.desig_ipl_src == "c"
    with pytest.raises(ValueError, match="IPLSrc"):
        w.desig_ipl_src = "q"
    assert w.desig_ipl_src == "c"
