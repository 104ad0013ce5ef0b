"""Lazy Atom parsing of large feeds (SPEC A3, A4).

A large feed is checked well-formed whole, split into its entries'
bytes, and each entry's identity (uuid, href, etag, schema type) is
parsed from its head; its element is parsed only when needed.  Small
feeds and single entries are parsed at once.  Whatever the path, the
values are those of a full parse, and the A4 checks apply to the whole
body before anything is split.  (See also test_parser_true_identity.)
"""

import concurrent.futures

import pytest
from lxml import etree

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
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


@pytest.mark.parametrize("name, lazy", [("lpar_feed.xml", False),
                                        ("lpar_feed_etags.xml", True)])
def test_a3_large_feed_entries_match_a_full_parse(name, lazy):
    """A3: a split feed gives the same entries, UUIDs, SELF links, etags
    and content as parsing the whole body, without parsing an entry's
    element until asked -- unless its head lacks part of its identity
    (lpar_feed.xml has no per-entry etags, which a child after the content
    could hold: those entries are parsed at once)."""
    body = _capture(name)
    assert len(body) >= adapter.LAZY_FEED_BYTES
    feed = _resp(body, etag="1").feed
    full = _eager(body).findall(ATOM + "entry")
    assert len(feed.entries) == len(full)
    for entry, element in zip(feed.entries, full, strict=True):
        assert entry.uuid == element.findtext(ATOM + "id")
        assert entry.href == adapter._self_href(element)
        etag = element.find("{%s}etag" % c.ETAG_NS)
        assert entry.etag == (etag.text.strip() if etag is not None
                              else None)
        assert entry.schema_type == "LogicalPartition"
        assert (entry._element is None) is lazy  # parsed only if needed
        assert etree.tostring(entry.content) == etree.tostring(
            element.find(ATOM + "content")[0])
    assert feed.etag == "1"
    assert feed.href == adapter._self_href(_eager(body))
    assert len(feed.element.findall(ATOM + "entry")) == len(full)


def test_a3_single_entry_is_parsed_at_once():
    """A3: a single-entry body is parsed when resp.entry is read (splitting
    one entry does not pay); uuid, href, etag (header) and schema type are
    the parsed ones."""
    body = _capture("vios_entry.xml")
    entry = _resp(body, etag="378412626").entry
    assert entry._element is not None
    assert entry.uuid == "14B854F7-42CE-4FF0-BD57-1D117054E701"
    assert entry.href.endswith(
        "/VirtualIOServer/14B854F7-42CE-4FF0-BD57-1D117054E701")
    assert entry.etag == "378412626"
    assert entry.schema_type == "VirtualIOServer"
    assert entry.content.tag == "{%s}VirtualIOServer" % c.UOM_NS
    assert entry.element is entry.element


def test_a3_lazy_element_is_one_object_across_threads():
    """A3: threads racing to parse one entry all get the same element."""
    entry = _resp(_capture("lpar_feed_etags.xml")).feed.entries[3]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        elements = list(pool.map(lambda _: entry.element, range(32)))
    assert all(e is elements[0] for e in elements)


def test_a3_broken_entry_raises_atom_error_at_once():
    """A3 rev 2: an entry that is not well-formed raises AtomError when the
    feed is read, not when its element is first needed."""
    body = _capture("lpar_feed_etags.xml")
    first = body.find(b"<PartitionName")
    broken = body[:first] + b"<Unclosed>" + body[first:]
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _ = _resp(broken).feed


@pytest.mark.parametrize("change, lazy", [
    ((b"<entry>", b"<entry xml:lang='en'>"), False),   # entry attributes
    ((b"<entry>", b"<atom:entry xmlns:atom='%s'>" % c.ATOM_NS.encode()),
     False),                                           # a prefixed entry
    ((b"<link ", b"<!-- c --><link "), False),         # a comment
    ((b"<id>", b"<?pi x?><id>"), False),               # a processing instr.
    ((b"<id>", b"<id><![CDATA[]]>"), False),           # a CDATA section
    ((b'<feed xmlns="http://www.w3.org/2005/Atom"',
      b"<feed xmlns='http://www.w3.org/2005/Atom'"), True),  # other quoting
    ((b'<feed xmlns="http://www.w3.org/2005/Atom"',
      b'<feed a=">" xmlns="http://www.w3.org/2005/Atom"'), False),
])
def test_a3_unusual_feeds_are_parsed_whole(change, lazy):
    """A3: a feed not in the plain form is parsed whole, with the same
    result."""
    old, new = change
    body = _capture("lpar_feed_etags.xml").replace(old, new, 1)
    if old == b"<entry>":  # every entry alike
        body = body.replace(old, new).replace(
            b"</entry>", b"</" + new[1:new.index(b" ")] + b">")
    feed = _resp(body).feed
    assert all((e._element is None) is lazy for e in feed.entries)
    assert len(feed.entries) == 17
    assert feed.entries[0].uuid == "4AC82E78-8EFF-4BAA-87C9-6B243D0C1359"


def test_a4_checks_apply_to_the_whole_body_before_splitting():
    """A4: a DOCTYPE anywhere in a large feed is refused at once."""
    body = _capture("lpar_feed_etags.xml")
    cut = body.find(b"<entry>", 2000)
    hostile = body[:cut] + b'<!DOCTYPE x [<!ENTITY e "x">]>' + body[cut:]
    with pytest.raises(pvmex.AtomError, match="DOCTYPE"):
        _ = _resp(hostile).feed


def test_a3_truncated_large_feed_raises_at_once():
    """A3: a large feed cut short is not split; it fails to parse."""
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
