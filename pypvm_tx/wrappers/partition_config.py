"""A partition's capabilities, memory and processor configurations.

These are the configuration elements every partition (LPAR or VIOS)
carries; :class:`~pypvm_tx.wrappers.base_partition.BasePartition` reads
them as ``capabilities``, ``mem_config`` and ``proc_config``.

Reading a value that is absent from the XML gives ``None``, except for
the counts and flags the server leaves out when they are zero or false
(``has_dedicated``, the dedicated processor counts, ``pool_id``,
``uncapped_weight``), which read ``0`` / ``False``.  Setting a value that
is absent inserts its element, and any missing parent, where the
server's schema order puts it.
"""

from typing import Any, Optional

from pypvm_tx.i18n import _
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.base import new_element
from pypvm_tx.wrappers.config import ConfigElement
from pypvm_tx.wrappers.fields import Field

# -- schema orders (taken from real HMC / NovaLink responses) -------------

#: Children of ``PartitionCapabilities`` in schema order.
CAP_CHILD_ORDER = (
    "Metadata", "DynamicLogicalPartitionIOCapable",
    "DynamicLogicalPartitionMemoryCapable",
    "DynamicLogicalPartitionProcessorCapable",
)

#: Children of ``PartitionMemoryConfiguration`` in schema order.
MEM_CHILD_ORDER = (
    "Metadata", "ActiveMemoryExpansionEnabled", "ActiveMemorySharingEnabled",
    "BarrierSynchronizationRegisterArrayCount", "DesiredHugePageCount",
    "DesiredMemory", "ExpansionFactor", "HardwarePageTableRatio",
    "MaximumHugePageCount", "ManualEntitledModeEnabled", "MaximumMemory",
    "MinimumHugePageCount", "MinimumMemory", "CurrentEntitledMemory",
    "AutoEntitledMemoryEnabled",
    "CurrentBarrierSynchronizationRegisterArrays", "CurrentExpansionFactor",
    "CurrentHardwarePageTableRatio", "CurrentHugePageCount",
    "CurrentMaximumHugePageCount", "CurrentMaximumMemory", "CurrentMemory",
    "CurrentMinimumHugePageCount", "CurrentMemoryWeight",
    "CurrentMinimumMemory", "MemoryExpansionHardwareAccessEnabled",
    "MemoryEncryptionHardwareAccessEnabled", "MemoryExpansionEnabled",
    "RedundantErrorPathReportingEnabled", "RuntimeHugePageCount",
    "RuntimeMemory", "RuntimeMinimumMemory", "RuntimeMemoryWeight",
    "SharedMemoryEnabled",
)

#: Children of ``PartitionProcessorConfiguration`` in schema order.
PROC_CHILD_ORDER = (
    "Metadata", "DedicatedProcessorConfiguration", "HasDedicatedProcessors",
    "SharedProcessorConfiguration", "SharingMode",
    "CurrentHasDedicatedProcessors", "CurrentSharingMode",
    "CurrentDedicatedProcessorConfiguration", "RuntimeHasDedicatedProcessors",
    "RuntimeSharingMode", "CurrentSharedProcessorConfiguration",
)

#: Children of ``SharedProcessorConfiguration`` in schema order.
SHARED_PROC_CHILD_ORDER = (
    "Metadata", "DesiredProcessingUnits", "DesiredVirtualProcessors",
    "MaximumProcessingUnits", "MaximumVirtualProcessors",
    "MinimumProcessingUnits", "MinimumVirtualProcessors",
    "SharedProcessorPoolID", "UncappedWeight",
)

#: Children of ``DedicatedProcessorConfiguration`` in schema order.
DED_PROC_CHILD_ORDER = (
    "Metadata", "DesiredProcessors", "MaximumProcessors", "MinimumProcessors",
)


def _units(value: float) -> str:
    """Processing units as the server writes them (at most 2 decimals)."""
    return "%s" % round(float(value), 2)


@ewrap.ElementWrapper.pvm_type("PartitionCapabilities",
                               child_order=CAP_CHILD_ORDER)
class PartitionCapabilities(ConfigElement):
    """What can be changed while the partition runs (dynamic LPAR), as
    the server reports it; read-only, each False when not reported."""

    io_dlpar = Field("DynamicLogicalPartitionIOCapable", bool, default=False,
                     doc="Whether I/O can be added or removed while the "
                         "partition runs.")
    mem_dlpar = Field("DynamicLogicalPartitionMemoryCapable", bool,
                      default=False,
                      doc="Whether memory can be changed while the "
                          "partition runs.")
    proc_dlpar = Field("DynamicLogicalPartitionProcessorCapable", bool,
                       default=False,
                       doc="Whether processors can be changed while the "
                           "partition runs.")


@ewrap.ElementWrapper.pvm_type("PartitionMemoryConfiguration",
                               child_order=MEM_CHILD_ORDER)
class PartitionMemoryConfiguration(ConfigElement):
    """A partition's memory configuration; sizes are in MB."""

    desired = Field("DesiredMemory", int, settable=True,
                    doc="The memory the partition is given when it starts "
                        "(``DesiredMemory``).")
    min = Field("MinimumMemory", int, settable=True,
                doc="The least memory the partition may run with "
                    "(``MinimumMemory``).")
    max = Field("MaximumMemory", int, settable=True,
                doc="The most memory the partition may be given "
                    "(``MaximumMemory``).")
    current = Field("CurrentMemory", int,
                    doc="The memory the running partition has now "
                        "(read-only).")
    exp_factor = Field("ExpansionFactor", float, settable=True, default=0,
                       coerce=_units,
                       doc="The Active Memory Expansion factor: the "
                           "memory the partition's OS sees is this many "
                           "times its real memory (0, off, when absent).")
    ame_enabled = Field("MemoryExpansionEnabled", bool, default=False,
                        doc="Whether Active Memory Expansion is on (False "
                            "when absent).")

    @classmethod
    def bld(cls, adapter: Any, mem: int, min_mem: Optional[int] = None,
            max_mem: Optional[int] = None) -> "PartitionMemoryConfiguration":
        """A new memory configuration of ``mem`` MB desired, for a
        partition being built; ``min_mem`` and ``max_mem`` default to
        ``mem``.

        :param adapter: accepted for call compatibility; not used.
        """
        cfg = cls(new_element(cls.schema_type, cls.schema_ns,
                              metadata=True))
        cfg.desired = mem
        cfg.max = mem if max_mem is None else max_mem
        cfg.min = mem if min_mem is None else min_mem
        return cfg


@ewrap.ElementWrapper.pvm_type("SharedProcessorConfiguration",
                               child_order=SHARED_PROC_CHILD_ORDER)
class SharedProcessorConfiguration(ConfigElement):
    """Shared-processor settings: processing units and virtual processors.

    Processing units are written with at most two decimals, as the server
    writes them.
    """

    desired_units = Field("DesiredProcessingUnits", float, settable=True,
                          coerce=_units,
                          doc="Desired processing units "
                              "(``DesiredProcessingUnits``).")
    min_units = Field("MinimumProcessingUnits", float, settable=True,
                      coerce=_units,
                      doc="Minimum processing units "
                          "(``MinimumProcessingUnits``).")
    max_units = Field("MaximumProcessingUnits", float, settable=True,
                      coerce=_units,
                      doc="Maximum processing units "
                          "(``MaximumProcessingUnits``).")
    desired_virtual = Field("DesiredVirtualProcessors", int, settable=True,
                            doc="Desired virtual processors "
                                "(``DesiredVirtualProcessors``).")
    min_virtual = Field("MinimumVirtualProcessors", int, settable=True,
                        doc="Minimum virtual processors "
                            "(``MinimumVirtualProcessors``).")
    max_virtual = Field("MaximumVirtualProcessors", int, settable=True,
                        doc="Maximum virtual processors "
                            "(``MaximumVirtualProcessors``).")
    pool_id = Field("SharedProcessorPoolID", int, settable=True, default=0,
                    doc="The shared processor pool's id "
                        "(``SharedProcessorPoolID``; 0, the default pool, "
                        "when absent).")
    uncapped_weight = Field("UncappedWeight", int, settable=True, default=0,
                            doc="The partition's share of idle capacity "
                                "when uncapped (``UncappedWeight``; 0 when "
                                "absent).")


@ewrap.ElementWrapper.pvm_type("DedicatedProcessorConfiguration",
                               child_order=DED_PROC_CHILD_ORDER)
class DedicatedProcessorConfiguration(ConfigElement):
    """Dedicated-processor settings: whole processors."""

    desired = Field("DesiredProcessors", int, settable=True, default=0,
                    doc="Desired dedicated processors "
                        "(``DesiredProcessors``; 0 when absent).")
    min = Field("MinimumProcessors", int, settable=True, default=0,
                doc="Minimum dedicated processors (``MinimumProcessors``; "
                    "0 when absent).")
    max = Field("MaximumProcessors", int, settable=True, default=0,
                doc="Maximum dedicated processors (``MaximumProcessors``; "
                    "0 when absent).")


@ewrap.ElementWrapper.pvm_type("PartitionProcessorConfiguration",
                               child_order=PROC_CHILD_ORDER)
class PartitionProcessorConfiguration(ConfigElement):
    """A partition's processor configuration, dedicated or shared.

    ``has_dedicated`` says which of ``dedicated_proc_cfg`` and
    ``shared_proc_cfg`` is in force.  The ``desired_*`` shortcuts read and
    write the desired values of the configuration in force.
    """

    has_dedicated = Field("HasDedicatedProcessors", bool, settable=True,
                          default=False,
                          doc="Whether the partition uses dedicated "
                              "processors (``HasDedicatedProcessors``; "
                              "False when absent).")
    sharing_mode = Field("SharingMode", settable=True,
                         doc="``SharingMode``, one of the values of "
                             ":class:`~pypvm_tx.wrappers.base_partition."
                             "SharingMode`.")

    @property
    def shared_proc_cfg(self) -> SharedProcessorConfiguration:
        return SharedProcessorConfiguration._of(
            self, PROC_CHILD_ORDER, ensure_parent=self._ensure_attached)

    @property
    def dedicated_proc_cfg(self) -> DedicatedProcessorConfiguration:
        return DedicatedProcessorConfiguration._of(
            self, PROC_CHILD_ORDER, ensure_parent=self._ensure_attached)

    # Shortcuts for the configuration in force.

    @property
    def desired_units(self) -> Optional[float]:
        """Desired processing units (shared processors), else None."""
        if self.has_dedicated:
            return None
        return self.shared_proc_cfg.desired_units

    @desired_units.setter
    def desired_units(self, value: float) -> None:
        self._require_shared("desired_units")
        self.shared_proc_cfg.desired_units = value

    @property
    def desired_virtual(self) -> Optional[int]:
        """Desired virtual processors (shared processors), else None."""
        if self.has_dedicated:
            return None
        return self.shared_proc_cfg.desired_virtual

    @desired_virtual.setter
    def desired_virtual(self, value: int) -> None:
        self._require_shared("desired_virtual")
        self.shared_proc_cfg.desired_virtual = value

    @property
    def desired_procs(self) -> Optional[int]:
        """Desired dedicated processors, else None."""
        if not self.has_dedicated:
            return None
        return self.dedicated_proc_cfg.desired

    @desired_procs.setter
    def desired_procs(self, value: int) -> None:
        if not self.has_dedicated:
            raise ValueError(_("Cannot set desired_procs: this partition "
                               "uses shared processors; set desired_units "
                               "and desired_virtual, or set has_dedicated "
                               "to True first."))
        self.dedicated_proc_cfg.desired = value

    def _require_shared(self, what: str) -> None:
        if self.has_dedicated:
            raise ValueError(_("Cannot set %s: this partition uses dedicated "
                               "processors; set desired_procs, or set "
                               "has_dedicated to False first.") % what)
