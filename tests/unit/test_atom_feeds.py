"""Atom feeds, large and unusual (SPEC A3, A4).

A body is parsed whole, once, when its feed or entry is first read;
the values are those of a plain lxml parse, and the A4 checks apply to
the whole body.  (See also test_parser_true_identity.)
"""

import pytest
from lxml import etree

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import atom as adapter_atom
from tests import captures

ATOM = "{%s}" % c.ATOM_NS


def _capture(name):
    return captures.response_body(name)


def _resp(body, etag=None):
    headers = {"ETag": etag} if etag else {}
    return adapter.Response("GET", "/rest/api/uom/LogicalPartition", 200,
                            "OK", headers, body=body)


def _eager(body):
    return adapter.parse_xml(body)


@pytest.mark.parametrize("name", ["lpar_feed.xml", "lpar_feed_etags.xml"])
def test_a3_large_feed_entries_match_a_full_parse(name):
    """A3: a large feed gives the entries, UUIDs, SELF links, etags and
    content of a plain lxml parse of the body."""
    body = _capture(name)
    assert len(body) > 64 * 1024  # where a byte-level path used to start
    feed = _resp(body, etag="1").feed
    full = _eager(body).findall(ATOM + "entry")
    assert len(feed.entries) == len(full)
    for entry, element in zip(feed.entries, full, strict=True):
        assert entry.uuid == element.findtext(ATOM + "id")
        assert entry.href == adapter_atom._self_href(element)
        etag = element.find("{%s}etag" % c.ETAG_NS)
        assert entry.etag == (etag.text.strip() if etag is not None
                              else None)
        assert entry.schema_type == "LogicalPartition"
        assert etree.tostring(entry.content) == etree.tostring(
            element.find(ATOM + "content")[0])
    assert feed.etag == "1"
    assert feed.href == adapter_atom._self_href(_eager(body))
    assert len(feed.element.findall(ATOM + "entry")) == len(full)


def test_a3_single_entry_identity():
    """A3: a single entry's uuid, href, etag (the header) and schema type
    are the parsed ones."""
    body = _capture("vios_entry.xml")
    entry = _resp(body, etag="378412626").entry
    assert entry.uuid == "14B854F7-42CE-4FF0-BD57-1D117054E701"
    assert entry.href.endswith(
        "/VirtualIOServer/14B854F7-42CE-4FF0-BD57-1D117054E701")
    assert entry.etag == "378412626"
    assert entry.schema_type == "VirtualIOServer"
    assert entry.content.tag == "{%s}VirtualIOServer" % c.UOM_NS


def test_a3_broken_entry_raises_atom_error_at_once():
    """A3 rev 2: an entry that is not well-formed raises AtomError when the
    feed is read, not when its element is first needed."""
    body = _capture("lpar_feed_etags.xml")
    first = body.find(b"<PartitionName")
    broken = body[:first] + b"<Unclosed>" + body[first:]
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _ = _resp(broken).feed


@pytest.mark.parametrize("old, new", [
    (b"<entry>", b"<entry xml:lang='en'>"),            # entry attributes
    (b"<entry>", b"<atom:entry xmlns:atom='%s'>" % c.ATOM_NS.encode()),
    (b"<link ", b"<!-- c --><link "),                   # a comment
    (b"<id>", b"<?pi x?><id>"),                         # a processing instr.
    (b"<id>", b"<id><![CDATA[]]>"),                     # a CDATA section
    (b'<feed xmlns="http://www.w3.org/2005/Atom"',
     b"<feed xmlns='http://www.w3.org/2005/Atom'"),     # other quoting
    (b'<feed xmlns="http://www.w3.org/2005/Atom"',
     b'<feed a=">" xmlns="http://www.w3.org/2005/Atom"'),
])
def test_a3_unusual_feeds_give_the_same_entries(old, new):
    """A3: a feed written unusually (but well-formed) gives the same
    entries."""
    body = _capture("lpar_feed_etags.xml").replace(old, new, 1)
    if old == b"<entry>":  # every entry alike
        body = body.replace(old, new).replace(
            b"</entry>", b"</" + new[1:new.index(b" ")] + b">")
    feed = _resp(body).feed
    assert len(feed.entries) == 17
    assert feed.entries[0].uuid == "4AC82E78-8EFF-4BAA-87C9-6B243D0C1359"
    assert {e.schema_type for e in feed.entries} == {"LogicalPartition"}


def test_a4_checks_apply_to_the_whole_body():
    """A4: a DOCTYPE anywhere in a large feed is refused at once."""
    body = _capture("lpar_feed_etags.xml")
    cut = body.find(b"<entry>", 2000)
    hostile = body[:cut] + b'<!DOCTYPE x [<!ENTITY e "x">]>' + body[cut:]
    with pytest.raises(pvmex.AtomError, match="DOCTYPE"):
        _ = _resp(hostile).feed


def test_a3_truncated_large_feed_raises_at_once():
    """A3: a large feed cut short fails to parse, at once."""
    body = _capture("lpar_feed_etags.xml")
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _ = _resp(body[:-2000]).feed


@pytest.mark.parametrize("wrap, count", [
    ((b'<x xmlns="urn:x">', b"</x>"), 16),    # an entry that is not a child
    ((b"<entry/>", b""), 18),                 # an empty entry the cuts miss
])
def test_a3_the_parser_decides_what_the_entries_are(wrap, count):
    """A3 rev 2: where the bytes suggest entries that the parser does not
    see as the feed's (or miss one it sees), the feed is what the parser
    reads."""
    body = _capture("lpar_feed_etags.xml")
    second = body.index(b"<entry>", body.index(b"</entry>"))
    stop = body.index(b"</entry>", second) + len(b"</entry>")
    body = (body[:second] + wrap[0] + body[second:stop] + wrap[1]
            + body[stop:])
    feed = _resp(body).feed
    full = _eager(body).findall(ATOM + "entry")
    assert len(feed.entries) == len(full) == count
    assert [e.uuid for e in feed.entries] == [
        e.findtext(ATOM + "id") for e in full]


def test_a3_a_prefixed_entry_cannot_stand_in_for_a_nested_one():
    """A3 rev 2: one entry moved out of the feed's children and another
    written with a prefix keep the number of Atom entries; the feed is
    still what the parser reads."""
    body = _capture("lpar_feed_etags.xml")
    second = body.index(b"<entry>", body.index(b"</entry>"))
    stop = body.index(b"</entry>", second) + len(b"</entry>")
    third = body.index(b"<entry>", stop)
    end = body.index(b"</entry>", third)
    body = (body[:second] + b'<x xmlns="urn:x">' + body[second:stop]
            + b"</x>" + body[stop:third]
            + b"<atom:entry xmlns:atom='%s'>" % c.ATOM_NS.encode()
            + body[third + len(b"<entry>"):end] + b"</atom:entry>"
            + body[end + len(b"</entry>"):])
    feed = _resp(body).feed
    full = _eager(body).findall(ATOM + "entry")
    assert len(feed.entries) == len(full) == 16
    assert [e.uuid for e in feed.entries] == [
        e.findtext(ATOM + "id") for e in full]


def _lpar_feed():
    return _resp(_capture("lpar_feed.xml"), etag="1").feed


def test_findentries_by_name_gives_that_entry():
    """Feed.findentries as the peer's: the entries whose property element
    has the text, here the one LPAR of that name."""
    feed = _lpar_feed()
    found = feed.findentries("PartitionName", "z3-9-5-126-127-00000001")
    assert len(found) == 1
    uom = "{%s}" % c.UOM_NS
    assert found[0].content.findtext(uom + "PartitionName") == \
        "z3-9-5-126-127-00000001"
    assert found[0] is feed.entries[0]


def test_findentries_gives_every_match_in_feed_order():
    """Several matches come back all, in feed order; the count is that
    of the elements in the body."""
    feed = _lpar_feed()
    uom = "{%s}" % c.UOM_NS
    running = [e for e in feed.entries
               if e.content.findtext(uom + "PartitionState") == "running"]
    assert len(running) >= 2
    assert feed.findentries("PartitionState", "running") == running


def test_findentries_no_match_is_an_empty_list():
    feed = _lpar_feed()
    assert feed.findentries("PartitionName", "no-such-lpar") == []
    assert feed.findentries("NoSuchProperty", "running") == []


def test_findentries_takes_a_path_and_strips_text():
    """A ``/`` path reaches nested properties; surrounding white space
    of the element's text does not count."""
    body = (
        '<feed xmlns="%s"><entry><id>u1</id><content>'
        '<Thing xmlns="%s"><Outer><Inner>  x  </Inner></Outer></Thing>'
        '</content></entry><entry><id>u2</id><content>'
        '<Thing xmlns="%s"><Outer><Inner>y</Inner></Outer></Thing>'
        '</content></entry><entry><id>u3</id></entry></feed>'
        % (c.ATOM_NS, c.UOM_NS, c.UOM_NS))
    feed = _resp(body).feed
    assert [e.uuid for e in feed.findentries("Outer/Inner", "x")] == ["u1"]
    assert feed.findentries("Inner", "x") == []  # not a direct child


@pytest.mark.parametrize("subelem", ["", "A//B", "/A"])
def test_findentries_refuses_an_empty_name(subelem):
    with pytest.raises(ValueError, match="findentries"):
        _lpar_feed().findentries(subelem, "x")
