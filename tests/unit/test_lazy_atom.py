"""Lazy Atom parsing of large feeds and single entries (SPEC A3, A4).

A large feed is split into its entries' bytes and each entry is parsed
only when its element is needed; a single-entry body is parsed on first
use of its element.  uuid, href and etag come from the bytes.  Whatever
the path, the values are those of a full parse, and the A4 checks apply
to the whole body before anything is split.
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


@pytest.mark.parametrize("name", ["lpar_feed.xml", "lpar_feed_etags.xml"])
def test_a3_large_feed_entries_match_a_full_parse(name):
    """A3: a split feed gives the same entries, UUIDs, SELF links, etags
    and content as parsing the whole body, without parsing until asked."""
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
        assert entry._element is None  # nothing parsed so far
        assert etree.tostring(entry.content) == etree.tostring(
            element.find(ATOM + "content")[0])
    assert feed.etag == "1"
    assert feed.href == adapter._self_href(_eager(body))
    assert len(feed.element.findall(ATOM + "entry")) == len(full)


def test_a3_single_entry_is_parsed_on_first_use():
    """A3: a single-entry body yields uuid, href, etag (header) and schema
    type without parsing; the element is parsed once, on first use."""
    body = _capture("vios_entry.xml")
    entry = _resp(body, etag="378412626").entry
    assert entry.uuid == "14B854F7-42CE-4FF0-BD57-1D117054E701"
    assert entry.href.endswith(
        "/VirtualIOServer/14B854F7-42CE-4FF0-BD57-1D117054E701")
    assert entry.etag == "378412626"
    assert entry.schema_type == "VirtualIOServer"
    assert entry._element is None
    assert entry.content.tag == "{%s}VirtualIOServer" % c.UOM_NS
    assert entry.element is entry.element


def test_a3_lazy_element_is_one_object_across_threads():
    """A3: threads racing to parse one entry all get the same element."""
    entry = _resp(_capture("lpar_feed_etags.xml")).feed.entries[3]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        elements = list(pool.map(lambda _: entry.element, range(32)))
    assert all(e is elements[0] for e in elements)


def test_a3_broken_entry_raises_atom_error_when_used():
    """A3: an entry that is not well-formed raises AtomError when its
    element is first needed (parsing is lazy)."""
    body = _capture("lpar_feed_etags.xml")
    first = body.find(b"<PartitionName")
    broken = body[:first] + b"<Unclosed>" + body[first:]
    feed = _resp(broken).feed
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _ = feed.entries[0].content
    assert feed.entries[1].content is not None


@pytest.mark.parametrize("change", [
    (b"<entry>", b"<entry xml:lang='en'>"),   # entry attributes
    (b'<feed xmlns="http://www.w3.org/2005/Atom"',
     b"<feed xmlns='http://www.w3.org/2005/Atom'"),  # other quoting
])
def test_a3_unusual_feeds_are_parsed_whole(change):
    """A3: a feed not in the plain form is parsed whole, with the same
    result."""
    body = _capture("lpar_feed_etags.xml").replace(*change)
    feed = _resp(body).feed
    assert all(e._element is not None for e in feed.entries)
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
