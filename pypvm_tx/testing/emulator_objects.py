"""Object elements the PowerVM REST emulator serves.

Each function returns the XML text of one object element --
``ManagedSystem``, ``LogicalPartition`` or ``VirtualIOServer`` -- the way a
PowerVM management console writes it: the object's schema type as element
prefix, the uom namespace as default namespace, ``schemaVersion``
attributes, a ``Metadata/Atom/AtomID`` holding the UUID, ``kb``/``kxe``
attributes on every property, ``group`` attributes on the properties that
belong to an extended attribute group, and children in schema order.

Only the properties that matter to a client of this library (and a
representative set of the others) are generated; the values are drawn
from a seeded ``random.Random`` so a seed always yields the same objects.
"""

import random
import uuid as uuid_mod
from typing import Dict, List, Optional
from xml.sax.saxutils import escape

from pypvm_tx import const as c

K2_NS = "http://www.w3.org/XML/1998/namespace/k2"
SCHEMA_VERSION = "V1_2_0"

_META_EMPTY = "<Metadata>\n{i}    <Atom/>\n{i}</Metadata>"


def _root_open(schema_type: str, version: str = SCHEMA_VERSION) -> str:
    return ('<{t}:{t} xmlns:{t}="{ns}" xmlns="{ns}" xmlns:ns2="{k2}" '
            'schemaVersion="{v}">').format(t=schema_type, ns=c.UOM_NS,
                                           k2=K2_NS, v=version)


def _meta(indent: str) -> str:
    return _META_EMPTY.format(i=indent)


def _prop(tag: str, value, kb: str = "CUD", kxe: str = "false",
          indent: str = "    ", **attrs) -> str:
    """One property element ``<tag kb=.. kxe=..>value</tag>``."""
    extra = "".join(' %s="%s"' % (k, escape(str(v), {'"': "&quot;"}))
                    for k, v in attrs.items())
    if value is None:
        return '%s<%s kb="%s" kxe="%s"%s/>' % (indent, tag, kb, kxe, extra)
    text = escape(str(value).lower() if isinstance(value, bool)
                  else str(value))
    return '%s<%s kb="%s" kxe="%s"%s>%s</%s>' % (indent, tag, kb, kxe, extra,
                                                text, tag)


def _link(tag: str, href: str, kb: str = "CUD", indent: str = "    ") -> str:
    return '%s<%s kb="%s" kxe="false" href="%s" rel="related"/>' % (
        indent, tag, kb, escape(href, {'"': "&quot;"}))


def _block(tag: str, children: List[str], indent: str = "    ",
           kb: str = "CUD", group: Optional[str] = None,
           schema: bool = True) -> str:
    """A property holding other properties (and its own Metadata)."""
    attrs = ' group="%s"' % group if group else ""
    attrs += ' kb="%s" kxe="false"' % kb
    if schema:
        attrs += ' schemaVersion="%s"' % SCHEMA_VERSION
    inner = indent + "    "
    lines = ["%s<%s%s>" % (indent, tag, attrs)]
    if schema:
        lines.append(inner + _meta(inner))
    lines.extend(children)
    lines.append("%s</%s>" % (indent, tag))
    return "\n".join(lines)


def _item(tag: str, children: List[str], indent: str) -> str:
    """A list item (no kb/kxe), e.g. ``VirtualSCSIMapping``."""
    inner = indent + "    "
    return "\n".join(["%s<%s schemaVersion=\"%s\">" % (indent, tag,
                                                       SCHEMA_VERSION),
                      inner + _meta(inner)] + children
                     + ["%s</%s>" % (indent, tag)])


def new_uuid(rng: random.Random, upper: bool = True) -> str:
    """A random (version 4) UUID; partitions use upper case, and PowerVM
    keeps the top bit of a partition UUID clear."""
    value = uuid_mod.UUID(int=rng.getrandbits(128), version=4)
    text = str(value)
    if upper:
        text = "%x%s" % (int(text[0], 16) & 0x7, text[1:])
        return text.upper()
    return text


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------

def lpar_params(rng: random.Random, index: int, partition_id: int,
                name: Optional[str] = None) -> Dict:
    """Random but plausible settings for one LPAR."""
    mem = rng.choice((2048, 4096, 8192, 16384))
    dedicated = rng.random() < 0.25
    return {
        "uuid": new_uuid(rng),
        "name": name or "lpar-%04d-%06x" % (index, rng.getrandbits(24)),
        "id": partition_id,
        "state": rng.choice(("running",) * 6 + ("not activated",)),
        "type": "AIX/Linux",
        "mem_desired": mem, "mem_min": max(1024, mem // 2),
        "mem_max": mem * 2,
        "dedicated": dedicated,
        "procs": rng.choice((1, 2, 4)),
        "proc_units": rng.choice(("0.5", "1.0", "2.0")),
        "created": 1416448881635 + index * 1000,
    }


def vios_params(rng: random.Random, index: int, partition_id: int,
                name: Optional[str] = None) -> Dict:
    params = lpar_params(rng, index, partition_id, name)
    params.update(name=name or "vios-%02d" % index, state="running",
                  type="Virtual IO Server", dedicated=False,
                  mem_desired=8192, mem_min=4096, mem_max=16384)
    return params


# ---------------------------------------------------------------------------
# Partitions
# ---------------------------------------------------------------------------

def _memory(p: Dict) -> str:
    i = "        "
    cur = p["mem_desired"]
    return _block("PartitionMemoryConfiguration", [
        _prop("ActiveMemoryExpansionEnabled", False, indent=i),
        _prop("ActiveMemorySharingEnabled", False, indent=i),
        _prop("BarrierSynchronizationRegisterArrayCount", 0, indent=i),
        _prop("DesiredHugePageCount", 0, indent=i),
        _prop("DesiredMemory", p["mem_desired"], indent=i),
        _prop("ExpansionFactor", "0.0", indent=i),
        _prop("HardwarePageTableRatio", 6, indent=i),
        _prop("MaximumHugePageCount", 0, indent=i),
        _prop("MaximumMemory", p["mem_max"], indent=i),
        _prop("MinimumHugePageCount", 0, indent=i),
        _prop("MinimumMemory", p["mem_min"], indent=i),
        _prop("CurrentBarrierSynchronizationRegisterArrays", 0, "ROR",
              indent=i),
        _prop("CurrentExpansionFactor", "0.0", "ROR", indent=i),
        _prop("CurrentHardwarePageTableRatio", 6, "ROR", indent=i),
        _prop("CurrentHugePageCount", 0, "ROR", indent=i),
        _prop("CurrentMaximumHugePageCount", 0, "ROR", indent=i),
        _prop("CurrentMaximumMemory", p["mem_max"], "ROR", indent=i),
        _prop("CurrentMemory", cur, "ROR", indent=i),
        _prop("CurrentMinimumHugePageCount", 0, "ROR", indent=i),
        _prop("CurrentMinimumMemory", p["mem_min"], "ROR", indent=i),
        _prop("MemoryExpansionEnabled", False, "ROR", indent=i),
        _prop("RedundantErrorPathReportingEnabled", False, "ROR", indent=i),
        _prop("RuntimeHugePageCount", 0, "ROR", indent=i),
        _prop("RuntimeMemory", cur, "ROR", indent=i),
        _prop("RuntimeMinimumMemory", p["mem_min"], "ROR", indent=i),
        _prop("SharedMemoryEnabled", False, indent=i),
    ])


def _processors(p: Dict) -> str:
    i = "        "
    j = "            "
    procs = p["procs"]
    if p["dedicated"]:
        children = [
            _block("DedicatedProcessorConfiguration", [
                _prop("DesiredProcessors", procs, indent=j),
                _prop("MaximumProcessors", procs * 2, indent=j),
                _prop("MinimumProcessors", 1, indent=j),
            ], indent=i),
            _prop("HasDedicatedProcessors", True, indent=i),
            _prop("SharingMode", "keep idle procs", indent=i),
            _prop("CurrentHasDedicatedProcessors", True, "ROR", indent=i),
            _prop("CurrentSharingMode", "keep idle procs", "ROR", indent=i),
            _block("CurrentDedicatedProcessorConfiguration", [
                _prop("CurrentMaximumProcessors", procs * 2, "ROR", indent=j),
                _prop("CurrentMinimumProcessors", 1, "ROR", indent=j),
                _prop("CurrentProcessors", procs, "ROR", indent=j),
                _prop("RunProcessors", procs, "ROR", indent=j),
            ], indent=i, kb="ROR"),
            _prop("RuntimeHasDedicatedProcessors", True, "ROR", indent=i),
        ]
    else:
        units = p["proc_units"]
        children = [
            _prop("HasDedicatedProcessors", False, indent=i),
            _block("SharedProcessorConfiguration", [
                _prop("DesiredProcessingUnits", units, indent=j),
                _prop("DesiredVirtualProcessors", procs, indent=j),
                _prop("MaximumProcessingUnits", units, indent=j),
                _prop("MaximumVirtualProcessors", procs, indent=j),
                _prop("MinimumProcessingUnits", "0.1", indent=j),
                _prop("MinimumVirtualProcessors", 1, indent=j),
                _prop("SharedProcessorPoolID", 0, indent=j),
                _prop("UncappedWeight", 128, indent=j),
            ], indent=i),
            _prop("SharingMode", "uncapped", indent=i),
            _prop("CurrentHasDedicatedProcessors", False, "ROR", indent=i),
            _prop("CurrentSharingMode", "uncapped", "ROR", indent=i),
            _prop("RuntimeHasDedicatedProcessors", False, "ROR", indent=i),
            _block("CurrentSharedProcessorConfiguration", [
                _prop("AllocatedVirtualProcessors", procs, "ROR", indent=j),
                _prop("CurrentMaximumProcessingUnits", units, "ROR",
                      indent=j),
                _prop("CurrentMinimumProcessingUnits", "0.1", "ROR",
                      indent=j),
                _prop("CurrentProcessingUnits", units, "ROR", indent=j),
                _prop("CurrentSharedProcessorPoolID", 0, "ROR", indent=j),
                _prop("CurrentUncappedWeight", 128, "ROR", indent=j),
                _prop("CurrentMinimumVirtualProcessors", 1, "ROR", indent=j),
                _prop("CurrentMaximumVirtualProcessors", procs, "ROR",
                      indent=j),
                _prop("RuntimeProcessingUnits", units, "ROR", indent=j),
                _prop("RuntimeUncappedWeight", 128, "ROR", indent=j),
            ], indent=i, kb="ROR"),
        ]
    return _block("PartitionProcessorConfiguration", children)


def _partition_head(p: Dict, base: str, ms_uuid: str, kind: str) -> List[str]:
    """The properties every partition has, up to PartitionUUID's
    neighbours, in schema order."""
    i = "        "
    uuid = p["uuid"]
    return [
        _prop("AllowPerformanceDataCollection", False),
        _link("AssociatedPartitionProfile",
              "%s/rest/api/uom/%s/%s/LogicalPartitionProfile/%s"
              % (base, kind, uuid, p.get("profile", uuid.lower()))),
        _prop("AvailabilityPriority", 127, "UOD"),
        _prop("CurrentProcessorCompatibilityMode", "POWER8", "ROO"),
        _prop("CurrentProfileSync", "On"),
        _prop("IsConnectionMonitoringEnabled", True, "UOD"),
        _prop("IsOperationInProgress", False, "ROR"),
        _prop("IsRedundantErrorPathReportingEnabled", False, "UOD"),
        _prop("IsTimeReferencePartition", False, "UOD"),
        _prop("IsVirtualServiceAttentionLEDOn", False, "ROR"),
        _prop("IsVirtualTrustedPlatformModuleEnabled", False, "UOD"),
        _prop("KeylockPosition", "normal"),
        _prop("LogicalSerialNumber", "21%06X" % (p["id"] * 7919 % 0xFFFFFF),
              "ROR"),
        _prop("OperatingSystemVersion",
              "VIOS 2.2.4.0" if kind == c.VIRTUAL_IO_SERVER else "Unknown",
              "ROR"),
        _block("PartitionCapabilities", [
            _prop("DynamicLogicalPartitionIOCapable", False, "ROR", indent=i),
            _prop("DynamicLogicalPartitionMemoryCapable", False, "ROR",
                  indent=i),
            _prop("DynamicLogicalPartitionProcessorCapable", False, "ROR",
                  indent=i),
            _prop("InternalAndExternalIntrusionDetectionCapable", False,
                  indent=i),
            _prop("ResourceMonitoringControlOperatingSystemShutdownCapable",
                  False, indent=i),
        ], kb="ROR"),
        _prop("PartitionID", p["id"], "COD"),
        _block("PartitionIOConfiguration", [
            _prop("MaximumVirtualIOSlots", 64, indent=i),
            _block("ProfileIOSlots", [], indent=i),
            _prop("CurrentMaximumVirtualIOSlots", 64, "ROR", indent=i),
        ]),
        _memory(p),
        _prop("PartitionName", p["name"], "CUR"),
        _processors(p),
        _block("PartitionProfiles", [
            '        <link href="%s/rest/api/uom/%s/%s/LogicalPartitionProfile'
            '/%s" rel="related"/>' % (base, kind, uuid,
                                      p.get("profile", uuid.lower()))],
            schema=False),
        _prop("PartitionState", p["state"], "ROO"),
        _prop("PartitionType", p["type"], "COD"),
        _prop("PartitionUUID", uuid, "ROO"),
        _prop("PendingProcessorCompatibilityMode", "default"),
        _link("ProcessorPool", "%s/rest/api/uom/ManagedSystem/%s/"
              "SharedProcessorPool/%s" % (base, ms_uuid, ms_uuid)),
        _prop("ProgressPartitionDataRemaining", 0, "ROR"),
        _prop("ProgressPartitionDataTotal", 0, "ROR"),
        _prop("ResourceMonitoringControlState",
              "active" if p["state"] == "running" else "inactive", "ROR"),
        _link("AssociatedManagedSystem",
              "%s/rest/api/uom/ManagedSystem/%s" % (base, ms_uuid)),
    ]


def _object(schema_type: str, uuid: str, created: int,
            children: List[str]) -> str:
    return "\n".join(
        [_root_open(schema_type),
         "    <Metadata>\n        <Atom>\n            <AtomID>%s</AtomID>\n"
         "            <AtomCreated>%d</AtomCreated>\n        </Atom>\n"
         "    </Metadata>" % (uuid, created)]
        + children + ["</%s:%s>" % (schema_type, schema_type)])


def lpar_xml(p: Dict, base: str, ms_uuid: str) -> str:
    """A ``LogicalPartition`` element (children in the captures' order)."""
    kind = c.LOGICAL_PARTITION
    uuid = p["uuid"]
    children = _partition_head(p, base, ms_uuid, kind) + [
        _block("ClientNetworkAdapters", [
            '        <link href="%s/rest/api/uom/%s/%s/ClientNetworkAdapter/'
            '%s" rel="related"/>' % (base, kind, uuid, uuid.lower())],
            kb="CUR", schema=False),
        _block("HostEthernetAdapterLogicalPorts", []),
        _prop("MACAddressPrefix", 24755014396416 + p["id"] * 256, "ROR"),
        _prop("IsServicePartition", False),
        _prop("ReferenceCode",
              "Linux ppc64" if p["state"] == "running" else "00000000",
              "ROO", kxe="true"),
        _prop("RemoteRestartCapable", False, "CUA"),
        _prop("SimplifiedRemoteRestartCapable", False, ksv="V1_2_0"),
        _prop("HasDedicatedProcessorsForMigration", p["dedicated"], "ROR"),
        _prop("SuspendCapable", False),
        _prop("MigrationState", "Not_Migrating", "ROR"),
        _prop("RemoteRestartState", "Invalid", "ROR"),
        _prop("PowerManagementMode", "None", "CUR"),
        _block("VirtualFibreChannelClientAdapters", [], kb="CUR",
               schema=False),
        _block("VirtualSCSIClientAdapters", [], kb="CUR", schema=False),
    ]
    return _object(kind, uuid, p["created"], children)


# ---------------------------------------------------------------------------
# VIOS
# ---------------------------------------------------------------------------

def _adapter(tag: str, kind: str, local_id: int, slot: int, indent: str,
             extra: List[str]) -> str:
    """A client or server adapter; ``extra`` holds its remote-side
    properties, which differ between SCSI and FC adapters."""
    i = indent + "    "
    loc = "U8247.22L.2125D4A-V%d-C%d" % (local_id, slot)
    return _block(tag, [
        _prop("AdapterType", kind, "ROR", indent=i),
        _prop("DynamicReconfigurationConnectorName", loc, indent=i),
        _prop("LocationCode", loc, "ROR", indent=i),
        _prop("LocalPartitionID", local_id, "CUR", indent=i),
        _prop("RequiredAdapter", kind == "Client", indent=i),
        _prop("VariedOn", True, kxe="true", indent=i),
        _prop("VirtualSlotNumber", slot, "COD", indent=i),
    ] + extra, indent=indent, kb="CUR")


def scsi_mapping_xml(vios_id: int, lpar: Dict, slot: int, base: str,
                     ms_uuid: str, indent: str = "        ") -> str:
    """One ``VirtualSCSIMapping`` (client/server adapters, a virtual disk
    and its target device), shaped like the captures'."""
    i = indent + "    "
    j = i + "    "
    k = j + "    "
    disk = "%s_disk" % lpar["name"][:20]
    server_loc = "U8247.22L.2125D4A-V%d-C%d" % (vios_id, 1000 + slot)
    client_loc = "U8247.22L.2125D4A-V%d-C%d" % (lpar["id"], 2)
    return _item("VirtualSCSIMapping", [
        _link("AssociatedLogicalPartition",
              "%s/rest/api/uom/ManagedSystem/%s/LogicalPartition/%s"
              % (base, ms_uuid, lpar["uuid"]), kb="CUR", indent=i),
        _adapter("ClientAdapter", "Client", lpar["id"], 2, i, [
                     _prop("RemoteLogicalPartitionID", vios_id, "CUR",
                           indent=j),
                     _prop("RemoteSlotNumber", 1000 + slot, "CUA", indent=j),
                     _prop("ServerLocationCode", server_loc, "CUR", indent=j),
                 ]),
        _adapter("ServerAdapter", "Server", vios_id, 1000 + slot, i, [
                     _prop("AdapterName", "vhost%d" % slot, "CUR", indent=j),
                     _prop("BackingDeviceName", disk, "CUR", indent=j),
                     _prop("RemoteLogicalPartitionID", lpar["id"], "CUR",
                           indent=j),
                     _prop("RemoteSlotNumber", 2, "CUA", indent=j),
                     _prop("ServerLocationCode", client_loc, "CUR", indent=j),
                     _prop("UniqueDeviceID", "1e" + server_loc, "ROR",
                           indent=j),
                 ]),
        "%s<Storage kxe=\"false\" kb=\"CUR\">\n%s\n%s</Storage>" % (
            i, _item("VirtualDisk", [
                _prop("DiskCapacity", 20, "CUR", indent=k),
                _prop("DiskLabel", "None", "CUR", indent=k),
                _prop("DiskName", disk, "CUR", indent=k),
                _prop("UniqueDeviceID", "0300%08x.%d" % (lpar["id"], slot),
                      "ROR", indent=k),
            ], j), i),
        "%s<TargetDevice kb=\"CUR\" kxe=\"false\">\n%s\n%s</TargetDevice>" % (
            i, _item("LogicalVolumeVirtualTargetDevice", [
                _prop("LogicalUnitAddress", "0x8100000000000000", "CUR",
                      indent=k),
                _prop("TargetName", "vtscsi%d" % slot, "CUR", indent=k),
                _prop("UniqueDeviceID", "09%016x" % (lpar["id"] << 8 | slot),
                      "ROR", indent=k),
            ], j), i),
    ], indent)


def fc_mapping_xml(vios_id: int, lpar: Dict, slot: int, base: str,
                   ms_uuid: str, indent: str = "        ") -> str:
    """One ``VirtualFibreChannelMapping`` (client adapter, physical port,
    server adapter), shaped like the captures'."""
    i = indent + "    "
    j = i + "    "
    port = "fcs%d" % (slot % 2)
    wwpn = "10000090FA1B%04X" % (vios_id * 16 + slot % 2)
    port_loc = "U78AB.001.WZSJBM3-P1-C2-T%d" % (slot % 2 + 1)

    def port_props(indent_):
        return [_prop("LocationCode", port_loc, "ROR", indent=indent_),
                _prop("PortName", port, "CUR", indent=indent_),
                _prop("UniqueDeviceID", "1a" + port_loc, "ROR",
                      indent=indent_),
                _prop("WWPN", wwpn, "CUR", indent=indent_),
                _prop("AvailablePorts", 64, "ROR", kxe="true",
                      indent=indent_),
                _prop("TotalPorts", 64, "ROR", kxe="true", indent=indent_)]

    client_wwpns = "c05076065a8b%04x c05076065a8b%04x" % (
        lpar["id"] * 2, lpar["id"] * 2 + 1)
    return _item("VirtualFibreChannelMapping", [
        _link("AssociatedLogicalPartition",
              "%s/rest/api/uom/ManagedSystem/%s/LogicalPartition/%s"
              % (base, ms_uuid, lpar["uuid"]), kb="CUR", indent=i),
        _adapter("ClientAdapter", "Client", lpar["id"], 3, i, [
                     _prop("ConnectingPartitionID", vios_id, "CUR", indent=j),
                     _prop("ConnectingVirtualSlotNumber", 2000 + slot, "CUR",
                           indent=j),
                     _prop("WWPNs", client_wwpns, "CUR", indent=j),
                 ]),
        _block("Port", port_props(j), indent=i, kb="CUR"),
        _adapter("ServerAdapter", "Server", vios_id, 2000 + slot, i, [
                     _prop("AdapterName", "vfchost%d" % slot, "CUR", indent=j),
                     _prop("ConnectingPartitionID", lpar["id"], "CUR",
                           indent=j),
                     _prop("ConnectingVirtualSlotNumber", 3, "CUR", indent=j),
                     _prop("UniqueDeviceID", "1dU8246.L1C.0604CAA-V%d-C%d"
                           % (vios_id, 2000 + slot), "CUR", indent=j),
                     _prop("MapPort", port, "CUR", indent=j),
                 ]),
    ], indent)


def _media_repository(p: Dict) -> str:
    i = "        "
    j = "            "
    k = "                "
    media = [_item("VirtualOpticalMedia", [
        _prop("MediaName", name, "CUR", indent=k + "    "),
        _prop("MediaUDID", "0e" + name, "ROR", indent=k + "    "),
        _prop("MountType", "rw", indent=k + "    "),
        _prop("Size", size, "CUR", indent=k + "    "),
    ], k) for name, size in (("blank_media1", "0.0977"),
                             ("%s_config.iso" % p["name"], "0.000000"))]
    return _block("MediaRepositories", [_item("VirtualMediaRepository", [
        _block("OpticalMedia", media, indent=j),
        _prop("RepositoryName", "VMLibrary", "CUR", indent=j),
        _prop("RepositorySize", 11, "CUR", indent=j),
    ], i)], group=c.XAG.VIO_STOR)


def vios_xml(p: Dict, base: str, ms_uuid: str, scsi_lpars: List[Dict],
             fc_lpars: List[Dict]) -> str:
    """A ``VirtualIOServer`` element: the partition properties, its media
    repository (group ViosStorage) and its VFC and SCSI mappings (groups
    ViosFCMapping and ViosSCSIMapping) to the given client LPARs."""
    kind = c.VIRTUAL_IO_SERVER
    uuid = p["uuid"]
    fc = [fc_mapping_xml(p["id"], lpar, n, base, ms_uuid)
          for n, lpar in enumerate(fc_lpars)]
    scsi = [scsi_mapping_xml(p["id"], lpar, n, base, ms_uuid)
            for n, lpar in enumerate(scsi_lpars)]
    children = _partition_head(p, base, ms_uuid, kind) + [
        _block("HostEthernetAdapterLogicalPorts", []),
        _prop("MACAddressPrefix", 156972164838656 + p["id"] * 256, "ROR"),
        _prop("IsServicePartition", False),
        _prop("ReferenceCode", None, "ROO", kxe="true"),
        _prop("PowerOnWithHypervisor", True, ksv="V1_2_0"),
        _prop("APICapable", True),
        _prop("ManagerPassthroughCapable", True),
        _media_repository(p),
        _prop("MoverServicePartition", True),
        _prop("VirtualIOServerLicenseAccepted", True),
        _block("VirtualFibreChannelMappings", fc, group=c.XAG.VIO_FMAP),
        _block("VirtualSCSIMappings", scsi, group=c.XAG.VIO_SMAP),
    ]
    return _object(kind, uuid, p["created"], children)


# ---------------------------------------------------------------------------
# Managed system
# ---------------------------------------------------------------------------

def managed_system_xml(uuid: str, name: str, base: str) -> str:
    """A ``ManagedSystem`` element (the parent of CHILD partitions)."""
    i = "        "
    children = [
        _block("AssociatedIPLConfiguration", [
            _prop("PowerOffWhenLastLogicalPartitionIsShutdown", False,
                  indent=i)], group=c.XAG.HYP),
        _prop("AssociatedLogicalPartitions", None),
        _prop("AssociatedReservedStorageDevicePool", None),
        _block("AssociatedSystemCapabilities", [
            _prop("ActiveLogicalPartitionMobilityCapable", True, "ROO",
                  indent=i),
            _prop("VirtualFiberChannelCapable", True, "ROO", indent=i),
            _prop("VirtualSwitchCapable", True, "ROO", indent=i),
        ]),
        _block("AssociatedSystemMemoryConfiguration", [
            _prop("ConfigurableSystemMemory", 131072, "ROR", indent=i),
            _prop("CurrentAvailableSystemMemory", 87296, "ROR", indent=i),
            _prop("InstalledSystemMemory", 131072, "ROR", indent=i),
            _prop("MemoryRegionSize", 256, indent=i),
        ]),
        _block("AssociatedSystemProcessorConfiguration", [
            _prop("ConfigurableSystemProcessorUnits", 20, "ROR", indent=i),
            _prop("CurrentAvailableSystemProcessorUnits", "4.5", "ROR",
                  indent=i),
            _prop("InstalledSystemProcessorUnits", 20, "ROR", indent=i),
        ]),
        _block("MachineTypeModelAndSerialNumber", [
            _prop("MachineType", "8247", "CUR", indent=i),
            _prop("Model", "22L", "CUR", indent=i),
            _prop("SerialNumber", "2125D4A", "CUR", indent=i),
        ], kb="ROR"),
        _prop("ManufacturingDefaultConfigurationEnabled", False, "ROR"),
        _prop("MaximumPartitions", 1000),
        _prop("PrimaryIPAddress", "127.0.0.1", "CUR"),
        _prop("State", "operating", "ROR"),
        _prop("SystemName", name, "CUR"),
    ]
    return _object(c.MANAGED_SYSTEM, uuid, 0, children)
