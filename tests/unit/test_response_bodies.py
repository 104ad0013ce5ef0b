"""Responses without a body, and bodies that are not Atom at all (SPEC A3
rev 2, A1.9 rev 2; issue 7 scope 3 and scope 8)."""

from unittest import mock

import pytest

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar

PATH = "/rest/api/uom/LogicalPartition"


def _resp(status, body=b"", headers=None, method="GET"):
    return adapter.Response(method, PATH, status, "R", headers or {},
                            body=body)


# -- bodiless: 204, 304 --------------------------------------------------

@pytest.mark.parametrize("status", [204, 304])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a3_bodiless_response_has_no_entry_and_no_feed(status, method):
    """A3 rev 2: a response without a body (204, 304) has entry and feed
    None, and reading them raises nothing."""
    resp = _resp(status, method=method)
    assert resp.feed is None
    assert resp.entry is None


def test_w1_1_wrap_of_a_204_is_an_empty_list():
    """A2.1 / W1.1: a 204 to a feed GET is an empty feed: wrap gives []."""
    assert ewrap.EntryWrapper.wrap(_resp(204)) == []


def test_w1_1_wrap_of_a_304_says_there_is_nothing_to_wrap():
    """W1.1: a 304 holds no object (the caller's copy is current); wrap()
    says so instead of returning an empty feed."""
    with pytest.raises(pvmex.AtomError, match="304"):
        ewrap.EntryWrapper.wrap(_resp(304))


def test_w2_feed_getters_read_a_204_as_an_empty_feed():
    """W2 / A2.1: FeedGetter and get() read a 204 as an empty feed, and
    FeedGetter.get(refetch=True) can go from entries to none."""
    adpt = mock.create_autospec(adapter.Adapter, instance=True)
    adpt.read.return_value = _resp(204)
    assert lpar.LPAR.get(adpt) == []
    getter = lpar.LPAR.getter(adpt)
    assert getter.get() == []
    assert getter.get(refetch=True) == []


def test_w1_5_refresh_answered_304_is_still_unchanged():
    """W1.5: refresh() answered 304 returns the same wrapper."""
    adpt = mock.create_autospec(adapter.Adapter, instance=True)
    body = ('<entry xmlns="%s"><id>U1</id><link rel="SELF" href="https://h'
            '/rest/api/uom/LogicalPartition/U1"/><content type="t">'
            '<LogicalPartition xmlns="%s"/></content></entry>') % (
                c.ATOM_NS, c.UOM_NS)
    wrapper = ewrap.EntryWrapper.wrap(adapter.Response(
        "GET", PATH + "/U1", 200, "OK", {"ETag": "5"}, body=body,
        adapter=adpt))
    adpt.read_by_href.return_value = _resp(304)
    assert wrapper.refresh() is wrapper


# -- say what came back ----------------------------------------------------

HTML = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1></body></html>")


@pytest.mark.parametrize("content_type, body, shown", [
    ("text/html; charset=utf-8", HTML, "<!DOCTYPE html>\\n<html><head>"),
    ("text/plain", b"Service Unavailable", "Service Unavailable"),
    ("application/json", b'{"error": "no such object"}',
     '{"error": "no such object"}'),
    ("application/atom+xml", b"", "the body is empty"),
    (None, b"  \r\n", "the body is empty"),
])
def test_a3_a_body_that_is_not_atom_says_what_came_back(content_type, body,
                                                       shown):
    """A3 / issue 7 scope 8: a body that is not Atom XML is an AtomError
    naming the request, what was expected (Atom XML, its media types) and
    what came back: the Content-Type and the start of the body."""
    headers = {"Content-Type": content_type} if content_type else {}
    resp = _resp(200, body, headers)
    for read in (lambda: resp.feed, lambda: ewrap.EntryWrapper.wrap(resp)):
        with pytest.raises(pvmex.AtomError) as info:
            read()
        text = str(info.value)
        assert "GET " + PATH in text
        assert c.ATOM_TYPE in text and c.UOM_TYPE in text
        assert (content_type or "no Content-Type") in text
        assert shown in text
        assert info.value.response is resp


def test_a3_the_body_excerpt_is_short():
    """Scope 8: only the start of a large non-Atom body is shown."""
    resp = _resp(200, b"x" * 100000, {"Content-Type": "text/plain"})
    with pytest.raises(pvmex.AtomError) as info:
        resp.entry
    assert "x" * 80 in str(info.value)
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize("forgery", [
    b"oops\n2026-01-01 00:00:00.000 1 ERROR pypvm_tx [-] forged",
    b"oops\r2026-01-01 00:00:00.000 1 ERROR forged",
    "oops\u2028forged\x1b[31m\x00".encode(),
])
def test_a1_9_a_hostile_body_cannot_forge_log_lines(forgery):
    """A1.9 rev 2: the body excerpt (and the Content-Type) go into the
    message with control characters escaped: one message, one line."""
    resp = _resp(200, forgery, {"Content-Type": "text/plain\x1b[0m"})
    with pytest.raises(pvmex.AtomError) as info:
        resp.feed
    text = str(info.value)
    assert "forged" in text
    for control in "\n\r\x1b\x00\u2028":
        assert control not in text
