"""Response parsing and XML hardening (SPEC A3, A4, §9 facts)."""

import tracemalloc

import pytest

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import xml as adapter_xml
from tests import captures


def _capture(name):
    return captures.response_body(name)


def _resp(body, status=200, headers=None):
    return adapter.Response("GET", "/rest/api/uom/LogicalPartition", status,
                            "OK", headers or {}, body=body)


def test_a3_feed_entries_carry_their_own_etags():
    """A3/§9: each feed entry takes its <etag:etag>, not the feed's header."""
    resp = _resp(_capture("lpar_feed_etags.xml"), headers={"ETag": "959374938"})
    assert resp.entry is None
    entries = resp.feed.entries
    assert len(entries) == 17
    assert entries[0].etag == "-384789939"
    assert entries[0].uuid == "4AC82E78-8EFF-4BAA-87C9-6B243D0C1359"
    assert entries[0].href.endswith(
        "/LogicalPartition/4AC82E78-8EFF-4BAA-87C9-6B243D0C1359")
    assert entries[0].content.tag == "{%s}LogicalPartition" % c.UOM_NS
    assert resp.feed.etag == "959374938"
    assert len({e.etag for e in entries}) > 1


def test_a3_single_entry_takes_the_header_etag():
    """A3: a single-entry response's etag is the ETag header."""
    resp = _resp(_capture("vios_entry.xml"), headers={"etag": '"378412626"'})
    assert resp.feed is None
    assert resp.etag == "378412626"
    assert resp.entry.etag == "378412626"
    assert resp.entry.uuid == "14B854F7-42CE-4FF0-BD57-1D117054E701"


def test_a3_headers_are_case_insensitive():
    resp = _resp(b"", status=204, headers={"etag": "5"})
    assert resp.headers["ETag"] == "5"
    assert resp.etag == "5"


def test_a3_204_to_a_get_has_no_feed_and_wraps_empty():
    """A3 rev 2: a 204 has no body: feed and entry are None; A2.1/§9: to a
    feed GET it means an empty feed, which wrap() gives as []."""
    from pypvm_tx.wrappers import entry_wrapper as ewrap
    resp = _resp(b"", status=204)
    assert resp.entry is None
    assert resp.feed is None
    assert ewrap.EntryWrapper.wrap(resp) == []


def test_a3_parsing_is_lazy():
    """A3: nothing is parsed until feed/entry is read."""
    resp = _resp(b"<not-xml")
    assert resp.status == 200  # construction does not parse
    with pytest.raises(pvmex.AtomError):
        resp.feed


def test_a3_server_message_of_an_error_body():
    """§9: errors come as HttpErrorResponse with a Message."""
    resp = adapter.Response("GET", "/p", 500, "Internal Server Error", {},
                            body=_capture("httperror_entry.xml"))
    assert resp.server_message.startswith("Unexpected error occurred")
    err = pvmex.http_error_for(resp)
    assert type(err) is pvmex.HttpError
    text = str(err)
    assert "500" in text and "GET" in text and "/p" in text
    assert "Unexpected error occurred" in text


def test_a3_server_message_never_raises_on_garbage():
    resp = adapter.Response("GET", "/p", 500, "x", {},
                            body=b"<HttpErrorResponse><oops")
    assert resp.server_message is None


@pytest.mark.parametrize("status, cls", [(404, pvmex.HttpNotFound),
                                         (401, pvmex.HttpUnauth),
                                         (412, pvmex.HttpError)])
def test_s5_http_error_subclass_by_status(status, cls):
    resp = adapter.Response("POST", "/p", status, "r", {}, body=b"")
    err = pvmex.http_error_for(resp)
    assert type(err) is cls
    assert err.response is resp


@pytest.mark.parametrize("body, why", [
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "not well-formed"),
    (b"   ", "empty"),
    (b"<html><body>Service down</body></html>", "not an Atom"),
    (b"\xff\xfe garbage", "not well-formed"),
])
def test_a3_bad_bodies_raise_atom_error(body, why):
    """A3: a body that is not well-formed Atom raises AtomError, clearly."""
    with pytest.raises(pvmex.AtomError) as info:
        _resp(body).entry
    assert why in str(info.value)


def test_a4_xxe_reference_to_a_local_file_reads_nothing(tmp_path):
    """A4: an external entity pointing at a local file is refused."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = ("<?xml version='1.0'?><!DOCTYPE e [<!ENTITY x SYSTEM "
            "'file://%s'>]><entry xmlns='http://www.w3.org/2005/Atom'>"
            "<id>&x;</id></entry>" % secret).encode()
    with pytest.raises(pvmex.AtomError) as info:
        _resp(body).entry
    assert "TOP-SECRET-CONTENT" not in str(info.value)
    assert "DOCTYPE" in str(info.value)


def test_a4_network_entity_is_refused():
    body = (b"<!DOCTYPE e [<!ENTITY x SYSTEM 'http://127.0.0.1:9/x'>]>"
            b"<entry xmlns='http://www.w3.org/2005/Atom'>&x;</entry>")
    with pytest.raises(pvmex.AtomError):
        adapter.parse_xml(body)


def test_a4_billion_laughs_is_refused_in_bounded_memory():
    """A4: exponential entity expansion never happens."""
    lines = ["<!ENTITY lol0 'lol'>"]
    for i in range(1, 10):
        lines.append("<!ENTITY lol%d '%s'>" % (i, "&lol%d;" % (i - 1) * 10))
    body = ("<?xml version='1.0'?><!DOCTYPE lolz [%s]><lolz>&lol9;</lolz>"
            % "".join(lines)).encode()
    tracemalloc.start()
    try:
        with pytest.raises(pvmex.AtomError):
            adapter.parse_xml(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


def test_a4_entity_declared_without_doctype_keyword_is_refused():
    """A4: any ENTITY declaration is refused, whatever surrounds it."""
    with pytest.raises(pvmex.AtomError):
        adapter.parse_xml(b"<a><!ENTITY x 'y'></a>")


def test_a4_oversized_body_is_refused_before_parsing(monkeypatch):
    """A4: bounded size; the limit is checked before lxml sees the body."""
    monkeypatch.setattr(adapter_xml, "MAX_XML_BYTES", 1000)
    body = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(pvmex.AtomError) as info:
        adapter.parse_xml(body)
    assert "exceeds the limit" in str(info.value)


def test_a4_parse_xml_rejects_wrong_types():
    with pytest.raises(TypeError) as info:
        adapter.parse_xml(42)
    assert "bytes or str" in str(info.value)


def test_a4_parse_is_usable_from_many_threads():
    """A4: one hardened parser per thread; parallel parsing is safe."""
    import concurrent.futures
    body = _capture("vios_feed.xml")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(
            lambda _: len(_resp(body).feed.entries), range(32)))
    assert set(counts) == {counts[0]} and counts[0] > 0



@pytest.mark.parametrize("body", [
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x '
     '"boom">]><r>&x;</r>').encode("utf-16"),
    ('<!DOCTYPE r [<!ENTITY x "boom">]><r>&x;</r>').encode("utf-16-le"),
    (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE r +AFs-+ADw-'
     b'!ENTITY x +ACI-boom+ACI-+AD4-+AF0-+AD4-<r>&x;</r>'),
    ('<?xml version="1.0" encoding="UTF-16"?><r>fine</r>').encode("utf-16"),
    "<r>fine</r>".encode("utf-16-be"),
    "<r>fine</r>".encode("utf-32-le"),
    "<r>fine</r>".encode("cp500"),  # EBCDIC, detected by libxml2
])
def test_a4_declarations_hidden_by_another_encoding_are_refused(body):
    """A4: a body in UTF-16, UTF-7 (or any encoding the DOCTYPE byte scan
    cannot read) is refused before lxml sees it -- lxml would otherwise
    accept the DOCTYPE it hides."""
    with pytest.raises(pvmex.AtomError) as info:
        adapter.parse_xml(body)
    assert "UTF-8" in str(info.value)
    with pytest.raises(pvmex.AtomError):
        _resp(body).entry


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0" encoding="UTF-8"?><r>ok</r>',
    b"<?xml version='1.0' encoding='us-ascii' standalone='yes'?><r>ok</r>",
    b"\xef\xbb\xbf\r\n<r>ok</r>",
])
def test_a4_utf8_and_ascii_bodies_still_parse(body):
    """A4: the encoding check accepts what PowerVM sends (UTF-8)."""
    assert adapter.parse_xml(body).text == "ok"


def test_a4_doctype_is_refused_after_parsing_too(monkeypatch):
    """A4: even if the byte scan were bypassed, a parsed DOCTYPE is
    refused (the parser's own settings keep entities unexpanded)."""
    monkeypatch.setattr(adapter_xml, "_checked_xml",
                        lambda body, what: body)
    with pytest.raises(pvmex.AtomError, match="DOCTYPE"):
        adapter.parse_xml(b"<!DOCTYPE r [<!ENTITY x 'y'>]><r>&x;</r>")
