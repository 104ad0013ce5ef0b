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
from typing import Dict, List, Optional

from pypvm_tx import const as c
from pypvm_tx.testing.emulator import mappings
from pypvm_tx.testing.emulator.markup import (block as _block, link as _link,
                                              new_uuid, prop as _prop,
                                              root_open as _root_open)

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


def _capabilities() -> str:
    i = "        "
    return _block("PartitionCapabilities", [
        _prop("DynamicLogicalPartitionIOCapable", False, "ROR", indent=i),
        _prop("DynamicLogicalPartitionMemoryCapable", False, "ROR",
              indent=i),
        _prop("DynamicLogicalPartitionProcessorCapable", False, "ROR",
              indent=i),
        _prop("InternalAndExternalIntrusionDetectionCapable", False,
              indent=i),
        _prop("ResourceMonitoringControlOperatingSystemShutdownCapable",
              False, indent=i),
    ], kb="ROR")


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
        _capabilities(),
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

def vios_xml(p: Dict, base: str, ms_uuid: str, scsi_lpars: List[Dict],
             fc_lpars: List[Dict]) -> str:
    """A ``VirtualIOServer`` element: the partition properties, its media
    repository (group ViosStorage) and its VFC and SCSI mappings (groups
    ViosFCMapping and ViosSCSIMapping) to the given client LPARs."""
    kind = c.VIRTUAL_IO_SERVER
    uuid = p["uuid"]
    fc = [mappings.fc_mapping_xml(p["id"], lpar, n, base, ms_uuid)
          for n, lpar in enumerate(fc_lpars)]
    scsi = [mappings.scsi_mapping_xml(p["id"], lpar, n, base, ms_uuid)
            for n, lpar in enumerate(scsi_lpars)]
    children = _partition_head(p, base, ms_uuid, kind) + [
        _block("HostEthernetAdapterLogicalPorts", []),
        _prop("MACAddressPrefix", 156972164838656 + p["id"] * 256, "ROR"),
        _prop("IsServicePartition", False),
        _prop("ReferenceCode", None, "ROO", kxe="true"),
        _prop("PowerOnWithHypervisor", True, ksv="V1_2_0"),
        _prop("APICapable", True),
        _prop("ManagerPassthroughCapable", True),
        mappings.media_repository(p),
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
