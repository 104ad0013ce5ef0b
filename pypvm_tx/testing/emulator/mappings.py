"""The virtual I/O mappings and media repository inside a generated
``VirtualIOServer`` element (see :mod:`.objects`): virtual SCSI and
virtual Fibre Channel mappings with their client and server adapters,
shaped like the captures'."""

from typing import Dict, List

from pypvm_tx import const as c
from pypvm_tx.testing.emulator.markup import (block as _block, item as _item,
                                              link as _link, prop as _prop)


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


def media_repository(p: Dict) -> str:
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
