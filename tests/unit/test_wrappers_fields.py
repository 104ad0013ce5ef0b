"""Declared fields (issue 8 scope 5; SPEC W3: element order kept on set):
the descriptor itself, and the wrappers' properties declared with it."""

import inspect
from typing import Optional

import pytest
from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.wrappers import base
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import virtual_io_server as vios
from pypvm_tx.wrappers.fields import Field

NS = "{%s}" % c.UOM_NS


@base.ElementWrapper.pvm_type("Thing", child_order=("Metadata", "A", "B",
                                                    "C", "D"))
class Thing(base.ElementWrapper):
    """A wrapper declared only for these tests."""

    a = Field("A", doc="A string.")
    b = Field("B", int, settable=True, doc="An int.")
    c = Field("C", float, settable=True,
              coerce=lambda value: "%.1f" % float(value))
    d = Field("D", bool, settable=True, doc="A bool.")
    deep = Field("D/E", int, doc="Below another child.")


def thing(xml="<A> text </A><D>TRUE</D>"):
    return Thing(etree.fromstring('<Thing xmlns="%s">%s</Thing>'
                                  % (c.UOM_NS, xml)))


def names(wrapper):
    return [etree.QName(e).localname for e in wrapper.element]


def test_field_reads_text_as_its_kind():
    t = thing("<A> text </A><B>12</B><C>0.25</C><D>TRUE</D>")
    assert (t.a, t.b, t.c, t.d) == ("text", 12, 0.25, True)
    assert type(t.b) is int and type(t.c) is float


@pytest.mark.parametrize("xml", ["", "<A/><B/><C>  </C>", "<B>x</B><C>y</C>"])
def test_field_absent_empty_or_malformed_reads_none(xml):
    """W3: an absent (or empty, or not-a-number) value is None."""
    t = thing(xml)
    assert (t.a, t.b, t.c, t.d, t.deep) == (None, None, None, None, None)


def test_field_reads_below_other_children():
    assert thing("<D><E>5</E></D>").deep == 5


def test_field_set_writes_text_in_place():
    t = thing("<A>a</A><B>1</B><D>false</D>")
    t.b = "42"
    t.d = 1
    assert etree.tostring(t.element) == (
        b'<Thing xmlns="%s"><A>a</A><B>42</B><D>true</D></Thing>'
        % c.UOM_NS.encode())


def test_field_set_absent_inserts_in_schema_order():
    """W3: a missing element goes where child_order puts it."""
    t = thing("<A>a</A><D>true</D>")
    t.c = 2
    t.b = 7
    assert names(t) == ["A", "B", "C", "D"]
    assert t.element.find(NS + "C").text == "2.0"


def test_field_set_uses_coerce_and_refuses_bad_values_untouched():
    t = thing("<A>a</A>")
    before = etree.tostring(t.element)
    with pytest.raises(ValueError):
        t.b = "not a number"
    with pytest.raises(TypeError):
        t.b = None
    with pytest.raises(ValueError):
        t.c = "x"
    assert etree.tostring(t.element) == before


def test_field_read_only_refuses_like_a_property():
    t = thing()
    with pytest.raises(AttributeError, match="has no setter"):
        t.a = "x"
    with pytest.raises(AttributeError):
        del t.b
    assert t.a == "text"


def test_field_rejects_an_unknown_kind():
    with pytest.raises(TypeError):
        Field("A", list)


def test_field_is_a_documented_property():
    """The API reference documents a field as a property with its doc
    and type."""
    assert isinstance(Thing.b, property)
    assert inspect.getdoc(Thing.b) == "An int."
    assert inspect.getdoc(Thing.c) == "``C``."
    assert inspect.signature(Thing.b.fget).return_annotation \
        == Optional[int]
    assert (Thing.b.path, Thing.b.kind, Thing.b.settable) == ("B", int, True)
    assert "settable" in repr(Thing.b) and "settable" not in repr(Thing.a)


# -- the wrappers' declared fields ------------------------------------------

#: Every declared field of the shipped wrappers: (class, name, settable).
DECLARED = [
    (lpar.BasePartition, "name", True), (lpar.BasePartition, "id", False),
    (lpar.BasePartition, "partition_uuid", False),
    (lpar.BasePartition, "state", False),
    (lpar.BasePartition, "partition_type", False),
    (lpar.BasePartition, "env", True),
    (lpar.BasePartition, "is_mgmt_partition", False),
    (lpar.PartitionMemoryConfiguration, "desired", True),
    (lpar.PartitionMemoryConfiguration, "min", True),
    (lpar.PartitionMemoryConfiguration, "max", True),
    (lpar.PartitionMemoryConfiguration, "current", False),
    (lpar.SharedProcessorConfiguration, "desired_units", True),
    (lpar.SharedProcessorConfiguration, "min_units", True),
    (lpar.SharedProcessorConfiguration, "max_units", True),
    (lpar.SharedProcessorConfiguration, "desired_virtual", True),
    (lpar.SharedProcessorConfiguration, "min_virtual", True),
    (lpar.SharedProcessorConfiguration, "max_virtual", True),
    (lpar.SharedProcessorConfiguration, "pool_id", True),
    (lpar.SharedProcessorConfiguration, "uncapped_weight", True),
    (lpar.DedicatedProcessorConfiguration, "desired", True),
    (lpar.DedicatedProcessorConfiguration, "min", True),
    (lpar.DedicatedProcessorConfiguration, "max", True),
    (lpar.PartitionProcessorConfiguration, "has_dedicated", True),
    (lpar.PartitionProcessorConfiguration, "sharing_mode", True),
    (vios.VSCSIMapping, "client_lpar_id", False),
    (vios.VSCSIMapping, "server_adapter_name", False),
    (vios.VFCMapping, "client_lpar_id", False),
    (vios.VFCMapping, "server_slot", False),
    (vios.VFCMapping, "client_slot", False),
    (vios.VOptMedia, "media_name", False),
    (vios.VOptMedia, "mount_type", False), (vios.VOptMedia, "size", False),
    (vios.VMediaRepos, "name", False), (vios.VMediaRepos, "size", False),
    (vios.VIOS, "is_license_accepted", False),
    (ms.System, "name", False), (ms.System, "state", False),
    (ms.System, "machine_type", False), (ms.System, "model", False),
    (ms.System, "serial", False), (ms.System, "max_partitions", False),
    (ms.System, "primary_ip", False),
    (ms.System, "system_name", False), (ms.System, "system_state", False),
    (ms.System, "host_ip_address", False),
    (ms.MTMS, "machine_type", True), (ms.MTMS, "model", True),
    (ms.MTMS, "serial", True),
    (lpar.LPAR, "rmc_state", False), (lpar.LPAR, "is_mgmt_partition", False),
]


#: Fields that read the peer's 0 / False when their element is absent.
ABSENT_DEFAULTS = [
    (lpar.LPAR, "is_mgmt_partition", False),
    (lpar.PartitionProcessorConfiguration, "has_dedicated", False),
    (lpar.DedicatedProcessorConfiguration, "desired", 0),
    (lpar.DedicatedProcessorConfiguration, "min", 0),
    (lpar.DedicatedProcessorConfiguration, "max", 0),
    (lpar.SharedProcessorConfiguration, "pool_id", 0),
    (lpar.SharedProcessorConfiguration, "uncapped_weight", 0),
]


@pytest.mark.parametrize("cls, name, absent", ABSENT_DEFAULTS,
                         ids=["%s.%s" % (k.__name__, n)
                              for k, n, _ in ABSENT_DEFAULTS])
def test_w3_absent_counts_and_flags_read_as_the_peer(cls, name, absent):
    """W3 (rev 2): an absent integer / boolean reads 0 / False (not None)
    as the peer's, and a present one still reads its value."""
    from pypvm_tx.wrappers.base import new_element
    wrapper = cls(element=new_element(cls.schema_type)) if issubclass(
        cls, lpar.BasePartition) else cls(new_element(cls.schema_type))
    value = getattr(wrapper, name)
    assert value == absent and type(value) is type(absent)
    field = getattr(cls, name)
    present = True if isinstance(absent, bool) else 3
    wrapper._set_val(field.path, present)
    assert getattr(wrapper, name) == present


@pytest.mark.parametrize("cls, name, settable", DECLARED,
                         ids=["%s.%s" % (k.__name__, n)
                              for k, n, _ in DECLARED])
def test_wrapper_fields_are_declared_and_documented(cls, name, settable):
    """Each field is a Field (a property, so the API reference lists it)
    with a docstring, settable exactly where a setter was before."""
    field = getattr(cls, name)
    assert isinstance(field, Field)
    assert inspect.getdoc(field)
    assert (field.fset is not None) == settable


def test_lpar_name_doc_in_the_api_reference():
    assert "PartitionName" in inspect.getdoc(lpar.LPAR.name)
