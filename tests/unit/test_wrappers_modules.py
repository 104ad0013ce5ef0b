"""The wrapper modules split along their concerns (issue 8's house rules,
SPEC §2 rev 2): the partition base in ``base_partition``, its
configurations in ``partition_config``, the VIOS's mappings in
``mappings``.  Every name stays importable from the module it was in
before, as the same object, so consumers' imports and patch targets keep
working."""

import importlib

import pytest

from pypvm_tx.wrappers import base_partition as bp
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import mappings
from pypvm_tx.wrappers import partition_config as pcfg
from pypvm_tx.wrappers import virtual_io_server as vios

#: Names consumers import from logical_partition, by their new home.
_LPAR_NAMES = {
    bp: ("BasePartition", "BootMode", "KeylockPos", "LPARState", "LPARType",
         "RMCState", "SharingMode", "PARTITION_CHILD_ORDER_HEAD",
         "IOAdapter", "IOSlot", "PartitionIOConfiguration", "PhysFCAdapter",
         "PhysFCPort"),
    pcfg: ("PartitionCapabilities", "PartitionMemoryConfiguration",
           "PartitionProcessorConfiguration", "SharedProcessorConfiguration",
           "DedicatedProcessorConfiguration", "CAP_CHILD_ORDER",
           "MEM_CHILD_ORDER", "PROC_CHILD_ORDER", "SHARED_PROC_CHILD_ORDER",
           "DED_PROC_CHILD_ORDER"),
}

#: Names consumers import from virtual_io_server, now in mappings.
_VIOS_NAMES = ("VStorageMapping", "VSCSIMapping", "VFCMapping",
               "SCSI_MAPPING_CHILD_ORDER", "VFC_MAPPING_CHILD_ORDER",
               "STORAGE_NAME_CHILD")


@pytest.mark.parametrize("home, name", [
    (home, name) for home, names in _LPAR_NAMES.items() for name in names])
def test_partition_names_stay_importable_from_logical_partition(home, name):
    assert getattr(lpar, name) is getattr(home, name)
    if home is pcfg:   # base_partition has all the peer's base_partition had
        assert getattr(bp, name) is getattr(pcfg, name)


@pytest.mark.parametrize("name", _VIOS_NAMES)
def test_mapping_names_stay_importable_from_virtual_io_server(name):
    assert getattr(vios, name) is getattr(mappings, name)


def test_from_import_forms_work():
    from pypvm_tx.wrappers.logical_partition import (  # noqa: F401
        BasePartition, PartitionMemoryConfiguration)
    from pypvm_tx.wrappers.virtual_io_server import (  # noqa: F401
        VFCMapping, VSCSIMapping)
    assert VSCSIMapping.__module__ == "pypvm_tx.wrappers.mappings"
    assert BasePartition.__module__ == "pypvm_tx.wrappers.base_partition"


@pytest.mark.parametrize("schema_type, cls, order", [
    ("VirtualSCSIMapping", mappings.VSCSIMapping,
     mappings.SCSI_MAPPING_CHILD_ORDER),
    ("VirtualFibreChannelMapping", mappings.VFCMapping,
     mappings.VFC_MAPPING_CHILD_ORDER),
    ("PartitionMemoryConfiguration", pcfg.PartitionMemoryConfiguration,
     pcfg.MEM_CHILD_ORDER),
    ("PartitionProcessorConfiguration",
     pcfg.PartitionProcessorConfiguration, pcfg.PROC_CHILD_ORDER),
])
def test_moved_wrappers_keep_their_schema_type_and_order(schema_type, cls,
                                                         order):
    assert (cls.schema_type, cls.child_order) == (schema_type, order)


def test_partitions_still_wrap_to_lpar_and_vios():
    # the wrappers package registers both entry types on import
    importlib.import_module("pypvm_tx.wrappers")
    assert ewrap._ENTRY_CLASSES["LogicalPartition"] is lpar.LPAR
    assert ewrap._ENTRY_CLASSES["VirtualIOServer"] is vios.VIOS
