"""An entry's identity is what an XML parser reads (SPEC A3 rev 2, issue 7
scope 6).

Its UUID (the lock key of every transaction), etag, SELF href and
wrapper class are the same whatever the body's size, whether it has an
``<?xml ?>`` prolog, and whatever comments or CDATA sections it holds; a
body with one malformed entry is an AtomError at ``resp.feed`` /
``resp.entry`` / ``wrap()``, never later when an entry's element is
first used.
"""

import pytest
from lxml import etree

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import atom as adapter_atom
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from tests import captures

ATOM = "{%s}" % c.ATOM_NS
FEED = captures.response_body("lpar_feed_etags.xml")
PROLOG = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FIRST_UUID = b"4AC82E78-8EFF-4BAA-87C9-6B243D0C1359"

#: A comment that holds everything an entry's identity is read from.
FAKE = (b'<!-- <id>FAKE-UUID</id><link rel="SELF" href="https://evil/x"/>'
        b'<etag:etag xmlns:etag="' + c.ETAG_NS.encode() + b'">666'
        b'</etag:etag><content type="application/vnd.ibm.powervm.uom+xml; '
        b'type=VirtualIOServer"><VirtualIOServer> -->')


def _small_feed(body=FEED):
    """The capture cut to its first two entries (parsed whole: small)."""
    second = body.index(b"</entry>", body.index(b"</entry>") + 1) + 8
    return body[:second] + b"\n</feed>"


def _single_entry(body=FEED):
    """The capture's first entry as a single-entry document."""
    start = body.index(b"<entry>")
    stop = body.index(b"</entry>") + len(b"</entry>")
    return (b'<entry xmlns="' + c.ATOM_NS.encode() + b'">'
            + body[start + len(b"<entry>"):stop])


BODIES = {"large feed": lambda b=FEED: b, "small feed": _small_feed,
          "single entry": _single_entry}


def _resp(body, etag="1"):
    return adapter.Response("GET", "/rest/api/uom/LogicalPartition", 200,
                            "OK", {"ETag": etag}, body=body)


def _first(body):
    """The first wrapper of ``body`` (a feed or a single entry)."""
    wrapped = ewrap.EntryWrapper.wrap(_resp(body))
    return wrapped[0] if isinstance(wrapped, list) else wrapped


def _identity(body):
    wrapper = _first(body)
    return (wrapper.uuid, wrapper.etag, wrapper.href, type(wrapper),
            wrapper.schema_type)


def _before_first_id(body, text):
    cut = body.index(b"<id>" + FIRST_UUID)
    return body[:cut] + text + body[cut:]


def test_a3_the_bodies_below_are_large_and_small():
    """A3: the cases below cover a large feed and small bodies (the size
    at which a byte-level path used to start is 64 KiB)."""
    assert len(FEED) > 64 * 1024 > len(_small_feed())


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a3_a_comment_cannot_forge_identity(kind):
    """A3 rev 2: a comment holding a fake <id>, SELF link, etag and content
    type before the real ones changes neither uuid, etag, href nor the
    wrapper class."""
    clean = BODIES[kind]()
    forged = _before_first_id(clean, FAKE)
    assert _identity(forged) == _identity(clean)
    assert _identity(clean)[0] == FIRST_UUID.decode()
    assert _identity(clean)[3] is lpar.LPAR


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("spelling", [
    b"<id><![CDATA[" + FIRST_UUID + b"]]></id>",
    b"<id>&#52;" + FIRST_UUID[1:] + b"</id>",
    b"<id>" + FIRST_UUID[:8] + b"<!-- x -->" + FIRST_UUID[8:] + b"</id>",
])
def test_a3_uuid_is_the_parsed_text_of_id(kind, spelling):
    """A3 rev 2: the UUID is the <id> element's text as parsed: a CDATA
    section, a character reference or a comment inside it does not change
    it."""
    body = BODIES[kind]()
    real = b"<id>" + FIRST_UUID + b"</id>"
    assert _first(body.replace(real, spelling, 1)).uuid == \
        FIRST_UUID.decode()


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a3_a_comment_in_content_does_not_pick_the_class(kind):
    """A3 rev 2 / W1.1: the class comes from the content's object element,
    not from a comment before it (nor from the content's type text)."""
    body = BODIES[kind]()
    cut = body.index(b"<LogicalPartition:LogicalPartition")
    body = body[:cut] + b"<!-- <VirtualIOServer/> -->" + body[cut:]
    assert _identity(body)[3:] == (lpar.LPAR, "LogicalPartition")


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a3_prolog_does_not_change_class_or_uuid(kind):
    """A3 rev 2: the same body with and without an <?xml ?> prolog wraps to
    the same class and UUID -- the object element's, even when the
    content's type attribute names another type."""
    body = BODIES[kind]().replace(
        b"type=LogicalPartition", b"type=VirtualIOServer")
    assert _identity(PROLOG + body) == _identity(body)
    assert _identity(body)[3:] == (lpar.LPAR, "LogicalPartition")
    assert _identity(body)[0] == FIRST_UUID.decode()


def _break_second_entry(body, how):
    second = body.index(b"<entry>", body.index(b"</entry>"))
    cut = body.index(b"<PartitionName", second)
    return body[:cut] + how + body[cut:]


@pytest.mark.parametrize("kind", ["large feed", "small feed"])
@pytest.mark.parametrize("how", [b"<Unclosed>", b"<undeclared:Prefix/>",
                                 b"</PartitionName>"])
def test_a3_a_malformed_entry_fails_at_feed_and_wrap(kind, how):
    """A3 rev 2: a feed with one malformed entry (an unclosed or stray
    element, an undeclared namespace prefix) is an AtomError when the feed
    is first read -- at resp.feed and at wrap() -- not later, when that
    entry's element is used."""
    body = _break_second_entry(BODIES[kind](), how)
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _resp(body).feed
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        ewrap.EntryWrapper.wrap(_resp(body))


def test_a3_a_malformed_single_entry_fails_at_entry():
    """A3 rev 2: a single entry that is not well-formed is an AtomError at
    resp.entry, not when its element is first used."""
    body = _single_entry()
    cut = body.index(b"<PartitionName")
    body = body[:cut] + b"<Unclosed>" + body[cut:]
    with pytest.raises(pvmex.AtomError, match="not well-formed"):
        _resp(body).entry


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a3_entries_match_a_plain_parse(kind):
    """A3: whatever the path, every entry's uuid, etag, href and content are
    those of a plain lxml parse of the body."""
    body = BODIES[kind]()
    root = etree.fromstring(body)
    elements = [root] if root.tag == ATOM + "entry" else \
        root.findall(ATOM + "entry")
    wrapped = ewrap.EntryWrapper.wrap(_resp(body, etag="-384789939"))
    wrappers = wrapped if isinstance(wrapped, list) else [wrapped]
    assert len(wrappers) == len(elements) > 0
    for wrapper, element in zip(wrappers, elements):
        etag = element.find("{%s}etag" % c.ETAG_NS)
        assert (wrapper.uuid, wrapper.etag, wrapper.href) == (
            element.findtext(ATOM + "id"), etag.text.strip(),
            adapter_atom._self_href(element))
        assert etree.tostring(wrapper.element) == etree.tostring(
            element.find(ATOM + "content")[0])


@pytest.mark.parametrize("what, body", [
    ("no content", b"<id>U1</id>"),
    ("empty content", b"<id>U1</id><content type='t'/>"),
    ("no id", b"<content type='t'><LogicalPartition xmlns='%s'/></content>"
     % c.UOM_NS.encode()),
])
def test_a3_an_entry_that_cannot_be_wrapped_fails_at_wrap(what, body):
    """A3 rev 2 / W1.1: an entry without an object element in its content,
    or without a UUID (no <id>, no Metadata/Atom/AtomID), is an AtomError
    at wrap(), not later in whatever uses the wrapper."""
    entry = b"<entry xmlns='%s'>%s</entry>" % (c.ATOM_NS.encode(), body)
    with pytest.raises(pvmex.AtomError, match="cannot be wrapped"):
        ewrap.EntryWrapper.wrap(_resp(entry))
    feed = b"<feed xmlns='%s'>%s</feed>" % (c.ATOM_NS.encode(),
                                            entry.replace(b" xmlns", b" x"))
    with pytest.raises(pvmex.AtomError, match="cannot be wrapped"):
        ewrap.EntryWrapper.wrap(_resp(feed))


@pytest.mark.parametrize("kind", ["large feed", "small feed"])
@pytest.mark.parametrize("hidden", [
    b"<!-- </entry><entry><id>FAKE-UUID</id> -->",
    b"<![CDATA[ </entry><entry><id>FAKE-UUID</id> ]]>",
    b"<?pi </entry><entry><id>FAKE-UUID</id> ?>",
])
def test_a3_markup_hidden_in_a_comment_does_not_split_an_entry(kind, hidden):
    """A3 rev 2: "</entry><entry>" inside a comment, a CDATA section or a
    processing instruction makes no new entry: the feed has the entries,
    UUIDs and wrapper classes a plain parse finds."""
    body = _before_first_id(BODIES[kind](), hidden)
    root = etree.fromstring(body)
    wrappers = ewrap.EntryWrapper.wrap(_resp(body))
    assert [w.uuid for w in wrappers] == [
        e.findtext(ATOM + "id") for e in root.findall(ATOM + "entry")]
    assert {type(w) for w in wrappers} == {lpar.LPAR}
