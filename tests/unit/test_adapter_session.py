"""Session and Adapter over a mocked transport (SPEC A1, A2).

The transport's one seam to urllib3 (``Transport._open``, which calls
``pool.urlopen``) is replaced by a fake that answers like a PowerVM
server with real urllib3 responses, so these tests see exactly what the
Session asks urllib3 to send, and urllib3's own body reading, without any
socket.
"""

import io
import logging
import threading

import pytest
import requests
import urllib3
from lxml import etree

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import transport as adapter_transport

PASSWORD = "s3cret-Pa55"
ENTRY = (b'<entry xmlns="http://www.w3.org/2005/Atom"><id>U1</id>'
         b'<link rel="SELF" href="https://h:12443/rest/api/uom/'
         b'LogicalPartition/U1?group=None"/><content type="x">'
         b'<LogicalPartition xmlns="' + c.UOM_NS.encode() + b'">'
         b'<PartitionName>a</PartitionName></LogicalPartition></content>'
         b'</entry>')


def _raw(status, body=b"", headers=None, reason="OK"):
    """What the fake server answers: status, reason, headers, body."""
    return status, reason, dict(headers or {}), body


def _urllib3_response(raw):
    status, reason, headers, body = raw
    return urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers,
                                status=status, reason=reason,
                                preload_content=False, decode_content=False)


class Sent:
    """One request as the Session handed it to urllib3."""

    def __init__(self, pool, method, target, headers, body):
        self.pool = pool
        self.method = method
        self.url = "%s://%s:%s%s" % (pool.scheme, pool.host, pool.port,
                                     target)
        self.body = body
        self.headers = dict(headers)


class FakeServer:
    """Answers PreparedRequests like a PowerVM server; records them."""

    def __init__(self):
        self.sent = []
        self.kwargs = []
        self.tokens = set()
        self.logons = 0
        self.lock = threading.Lock()
        self.script = []  # callables tried first: f(prep) -> raw or None

    def logon_body(self, token):
        return ('<LogonResponse xmlns="%s"><X-API-Session>%s</X-API-Session>'
                '</LogonResponse>' % (c.WEB_NS, token)).encode()

    def open(self, transport, method, target, body, headers, timeout):
        return _urllib3_response(self.exchange(
            transport.pool(), method, target, headers, body, timeout))

    def exchange(self, pool, method, target, headers, body, timeout):
        prep = Sent(pool, method, target, headers, body)
        with self.lock:
            self.sent.append(prep)
            self.kwargs.append({"timeout": timeout})
        for step in list(self.script):
            result = step(prep)
            if result is not None:
                if isinstance(result, Exception):
                    raise result
                return result
        if prep.url.endswith(c.LOGON_PATH):
            if prep.method == "DELETE":
                return _raw(204)
            root = etree.fromstring(prep.body)
            if root.findtext("{%s}Password" % c.WEB_NS) != PASSWORD:
                return _raw(401, reason="Unauthorized")
            with self.lock:
                self.logons += 1
                token = "tok-%d" % self.logons
                self.tokens.add(token)
            return _raw(200, self.logon_body(token))
        if prep.headers.get(c.SESSION_HEADER) not in self.tokens:
            return _raw(401, reason="Unauthorized")
        return _raw(200, ENTRY, {"ETag": "42"})

    def last(self, method=None):
        reqs = [p for p in self.sent if method is None or p.method == method]
        return reqs[-1]


@pytest.fixture
def server(monkeypatch):
    """Every Session's pooled connections answered by a FakeServer."""
    fake = FakeServer()
    monkeypatch.setattr(adapter_transport.Urllib3Transport, "_open",
                        lambda transport, *args: fake.open(transport, *args))
    return fake


def _session(**kwargs):
    kwargs.setdefault("retry_delay", None)
    return adapter.Session("h", "admin", PASSWORD, **kwargs)


# -- A1.1 logon ----------------------------------------------------------------

def test_a1_1_logon_sends_logon_request_xml_and_keeps_token(server):
    """A1.1/§9: PUT /rest/api/web/Logon with a LogonRequest; token kept."""
    sess = _session()
    logon = server.sent[0]
    assert logon.method == "PUT"
    assert logon.url == "https://h:12443/rest/api/web/Logon"
    assert logon.headers[c.CONTENT_TYPE] == c.LOGON_REQUEST_TYPE
    assert logon.headers["Accept"] == c.LOGON_RESPONSE_TYPE
    assert c.SESSION_HEADER not in logon.headers
    root = etree.fromstring(logon.body)
    assert root.tag == "{%s}LogonRequest" % c.WEB_NS
    assert root.get("schemaVersion") == "V1_0"
    assert root.findtext("{%s}UserID" % c.WEB_NS) == "admin"
    assert root.findtext("{%s}Password" % c.WEB_NS) == PASSWORD
    assert sess.logged_on


def test_a1_1_token_sent_on_every_request(server):
    """A1.1: every request after logon carries X-API-Session."""
    adp = adapter.Adapter(_session())
    adp.read("LogicalPartition")
    adp.update_by_path(etree.fromstring(b"<LogicalPartition/>"), "1",
                       "/rest/api/uom/LogicalPartition/U1")
    adp.delete("LogicalPartition", "U1")
    for prep in server.sent[1:]:
        assert prep.headers[c.SESSION_HEADER] == "tok-1"


def test_a1_1_logon_escapes_credentials(server):
    """A1.1: XML-special characters in credentials do not break the body."""
    with pytest.raises(pvmex.HttpUnauth):
        adapter.Session("h", "a<b&c", 'p"<&>', retry_delay=None)
    root = etree.fromstring(server.sent[0].body)
    assert root.findtext("{%s}UserID" % c.WEB_NS) == "a<b&c"
    assert root.findtext("{%s}Password" % c.WEB_NS) == 'p"<&>'


def test_a1_1_wrong_password_is_a_clear_auth_error(server):
    """A1.1/A1.5: a refused logon raises HttpUnauth naming user and host,
    never the password."""
    with pytest.raises(pvmex.HttpUnauth) as info:
        adapter.Session("h", "admin", "wrong-password", retry_delay=None)
    msg = str(info.value)
    assert "admin" in msg and "https://h:12443" in msg
    assert "wrong-password" not in msg
    assert info.value.response.reqbody == b""


# -- A1.2 pool, A1.3 ports and TLS ---------------------------------------------

def test_a1_2_one_pooled_transport_sized_for_concurrency(server):
    """A1.2: one pool of requests' transport adapter per Session, sized
    for the threads that share it (pool >= 10), reused by every request."""
    sess = _session()
    assert isinstance(sess._transport._adapter,
                      requests.adapters.HTTPAdapter)
    assert sess._transport._adapter._pool_maxsize >= 10
    adapter.Adapter(sess).read("LogicalPartition")
    adapter.Adapter(sess).read("LogicalPartition")
    assert server.sent[-1].pool is server.sent[-2].pool
    assert server.sent[-1].pool.pool.maxsize >= 10
    big = _session(pool_maxsize=64)
    assert big._transport._adapter._pool_maxsize == 64
    with pytest.raises(ValueError):
        _session(pool_maxsize=0)


def test_a1_3_default_ports(server):
    """A1.3: 12443 for https, 12080 for http, explicit port wins."""
    assert _session().dest == "https://h:12443"
    assert _session(protocol="http").dest == "http://h:12080"
    assert _session(protocol="http", port=8080).dest == "http://h:8080"
    with pytest.raises(ValueError):
        _session(protocol="ftp")


def _pool_of(server):
    return server.sent[-1].pool


def test_a1_3_verify_on_by_default(server, monkeypatch):
    """A1.3: certificate verification is on by default (requests' CA
    bundle when the environment names none)."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    adapter.Adapter(_session()).read("LogicalPartition")
    pool = _pool_of(server)
    assert pool.cert_reqs == "CERT_REQUIRED"
    assert pool.ca_certs == requests.certs.where()


def test_a1_3_explicit_ca_bundle_beats_environment(server, monkeypatch,
                                                   tmp_path):
    """A1.3: an explicit CA bundle wins over REQUESTS_CA_BUNDLE; False
    switches verification off; True follows the environment unless
    trust_env=False."""
    env_ca = tmp_path / "env.pem"
    env_ca.write_text("x")
    mine = tmp_path / "mine.pem"
    mine.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(env_ca))
    adapter.Adapter(_session(verify=str(mine))).read("LogicalPartition")
    assert _pool_of(server).ca_certs == str(mine)
    assert _pool_of(server).cert_reqs == "CERT_REQUIRED"
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        _session(verify=False)
    assert _pool_of(server).cert_reqs == "CERT_NONE"
    _session()
    assert _pool_of(server).ca_certs == str(env_ca)
    _session(trust_env=False)
    assert _pool_of(server).ca_certs == requests.certs.where()


def test_a1_3_missing_ca_bundle_is_rejected(server, tmp_path):
    """A1.3: a CA bundle path that does not exist is a clear ValueError."""
    with pytest.raises(ValueError, match="does not exist"):
        _session(verify=str(tmp_path / "nope.pem"))


# -- A1.4 re-logon -------------------------------------------------------------

def test_a1_4_relogon_once_on_401_and_repeat(server):
    """A1.4: an expired token -> one re-logon, request repeated."""
    adp = adapter.Adapter(_session())
    server.tokens.clear()  # the server forgets the session
    resp = adp.read("LogicalPartition", "U1")
    assert resp.status == 200
    assert server.logons == 2
    assert server.last("GET").headers[c.SESSION_HEADER] == "tok-2"


def test_a1_4_a1_10_persistent_401_is_raised_not_looped(server):
    """A1.4, A1.10: a server that refuses every token: a GET re-logs on
    within its tries (one free re-logon, then one per try), then raises
    HttpUnauth; a POST re-logs on once only."""
    adp = adapter.Adapter(_session(get_retries=2))
    server.script.append(
        lambda p: _raw(401, reason="Unauthorized")
        if p.method in ("GET", "POST") else None)
    with pytest.raises(pvmex.HttpUnauth):
        adp.read("LogicalPartition")
    assert server.logons == 1 + 3
    assert len([p for p in server.sent if p.method == "GET"]) == 4
    with pytest.raises(pvmex.HttpUnauth):
        adp.update_by_path(etree.fromstring(b"<LogicalPartition/>"), "1",
                           "/rest/api/uom/LogicalPartition/U1")
    assert server.logons == 1 + 3 + 1
    assert len([p for p in server.sent if p.method == "POST"]) == 2


def test_a1_10_session_expiring_twice_does_not_fail_a_get(server):
    """A1.10: the session expires again right after the re-logon: an
    idempotent GET logs on again and succeeds (it failed before rev 2)."""
    adp = adapter.Adapter(_session(get_retries=2))
    server.tokens.clear()
    forgets = iter([True, True])

    def forget_after_logon(prep):
        if prep.method == "GET" and next(forgets, False):
            server.tokens.clear()
            return _raw(401, reason="Unauthorized")
        return None

    server.script.append(forget_after_logon)
    assert adp.read("LogicalPartition").status == 200
    assert server.logons == 3


def test_a1_10_relogon_answered_503_is_retried_for_a_get(server):
    """A1.10: a re-logon answered 503 is retried for an idempotent
    request, under the GET retry policy; a POST gets the error."""
    adp = adapter.Adapter(_session(get_retries=2))
    busy = iter([True])
    server.script.append(
        lambda p: _raw(503, reason="Busy") if p.url.endswith(c.LOGON_PATH)
        and p.method == "PUT" and next(busy, False) else None)
    server.tokens.clear()
    assert adp.read("LogicalPartition").status == 200
    busy = iter([True])
    server.tokens.clear()
    with pytest.raises(pvmex.HttpError) as info:
        adp.update_by_path(etree.fromstring(b"<LogicalPartition/>"), "1",
                           "/rest/api/uom/LogicalPartition/U1")
    assert info.value.response.status == 503

def test_a1_4_relogon_is_shared_by_concurrent_threads(server):
    """A1.4: ten threads hitting 401 together cause exactly one logon."""
    adp = adapter.Adapter(_session())
    server.tokens.clear()
    barrier = threading.Barrier(10, timeout=10)

    def all_see_401_first(prep):
        if prep.method == "GET" and \
                prep.headers.get(c.SESSION_HEADER) == "tok-1":
            barrier.wait()
            return _raw(401, reason="Unauthorized")
        return None

    server.script.append(all_see_401_first)
    errors = []

    def worker():
        try:
            assert adp.read("LogicalPartition", "U1").status == 200
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert server.logons == 2  # the first logon and one shared re-logon


# -- A1.5 secrets ---------------------------------------------------------------

def test_a1_5_no_secret_in_repr_logs_or_errors(server, caplog):
    """A1.5: password and token are in no repr, log line or message."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="pypvm_tx")
    sess = _session()
    adp = adapter.Adapter(sess)
    server.tokens.clear()
    adp.read("LogicalPartition")  # re-logon path logs too
    server.script.append(lambda p: _raw(500, b"", reason="Boom"))
    with pytest.raises(pvmex.HttpError) as info:
        adp.read("LogicalPartition")
    texts = [repr(sess), repr(adp), str(info.value), repr(info.value),
             repr(info.value.response), caplog.text]
    assert caplog.records  # DEBUG logging was captured
    for text in texts:
        assert PASSWORD not in text
        assert "tok-1" not in text and "tok-2" not in text
    assert c.SESSION_HEADER not in info.value.response.reqheaders


# -- A1.6 logoff ------------------------------------------------------------------

def test_a1_6_logoff_and_context_manager(server):
    """A1.6: logoff() DELETEs the logon path; the context manager logs
    off; a second logoff is a no-op; requests after it are refused."""
    with _session() as sess:
        adapter.Adapter(sess).read("LogicalPartition")
    delete = server.last("DELETE")
    assert delete.url.endswith(c.LOGON_PATH)
    assert delete.headers[c.SESSION_HEADER] == "tok-1"
    count = len(server.sent)
    sess.logoff()
    assert len(server.sent) == count
    with pytest.raises(pvmex.HttpUnauth, match="not logged on"):
        adapter.Adapter(sess).read("LogicalPartition")


# -- A1.7 transport errors and retries ----------------------------------------------

def _fail_gets(server, exc, times):
    state = {"left": times}

    def step(prep):
        if prep.method != "GET" or state["left"] <= 0:
            return None
        state["left"] -= 1
        return exc() if callable(exc) else exc
    server.script.append(step)


def test_a1_7_connection_error_names_method_and_url(server):
    """A1.7: ConnectionError names method and URL, not credentials."""
    adp = adapter.Adapter(_session(get_retries=0))
    _fail_gets(server, urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: refused"), 1)
    with pytest.raises(pvmex.ConnectionError) as info:
        adp.read("LogicalPartition")
    msg = str(info.value)
    assert "GET" in msg
    assert "https://h:12443/rest/api/uom/LogicalPartition" in msg
    assert PASSWORD not in msg and "tok-1" not in msg


def test_a1_7_timeout_and_ssl_errors_are_mapped_not_retried(server):
    """A1.7: Timeout -> TimeoutError, SSLError -> SSLError, no retry."""
    adp = adapter.Adapter(_session(get_retries=3))
    _fail_gets(server, urllib3.exceptions.ReadTimeoutError(
        None, "/x", "Read timed out."), 1)
    with pytest.raises(pvmex.TimeoutError, match="GET"):
        adp.read("LogicalPartition", timeout=0.5)
    _fail_gets(server, urllib3.exceptions.SSLError("bad cert"), 1)
    with pytest.raises(pvmex.SSLError, match="GET"):
        adp.read("LogicalPartition")
    assert len([p for p in server.sent if p.method == "GET"]) == 2
    assert server.kwargs[-1]["timeout"] == 1200  # the session default


def test_a1_7_get_retried_on_connection_errors_with_backoff(server):
    """A1.7: a GET is retried after connection errors, sleeping between."""
    delays = []
    adp = adapter.Adapter(_session(get_retries=2,
                                   retry_delay=lambda n: delays.append(n)))
    _fail_gets(server, urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError()), 2)
    assert adp.read("LogicalPartition").status == 200
    assert delays == [1, 2]
    _fail_gets(server, urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError()), 3)
    with pytest.raises(pvmex.ConnectionError):
        adp.read("LogicalPartition")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a1_7_get_retried_on_transient_statuses(server, status):
    """A1.7: GET retried on 502/503/504."""
    adp = adapter.Adapter(_session(get_retries=1))
    _fail_gets(server, _raw(status, reason="Busy"), 1)
    assert adp.read("LogicalPartition").status == 200


def test_a1_7_default_backoff_is_short():
    """A1.7: the default backoff is short and bounded."""
    delays = [adapter.default_retry_delay(n) for n in range(1, 10)]
    assert delays[0] == pytest.approx(0.1)
    assert delays == sorted(delays) and max(delays) <= 2.0


@pytest.mark.parametrize("failure", [
    urllib3.exceptions.ProtocolError("Connection aborted.",
                                     ConnectionResetError()),
    _raw(503, reason="Busy")])
def test_a1_7_post_and_put_never_retried(server, failure):
    """A1.7: POST/PUT are not retried blindly (status or connection)."""
    adp = adapter.Adapter(_session(get_retries=5))
    server.script.append(lambda p: failure if p.method in ("POST", "PUT")
                         and not p.url.endswith(c.LOGON_PATH) else None)
    element = etree.fromstring(b"<LogicalPartition/>")
    expected = (pvmex.ConnectionError if isinstance(failure, Exception)
                else pvmex.HttpError)
    with pytest.raises(expected):
        adp.update_by_path(element, "1", "/rest/api/uom/LogicalPartition/U1")
    with pytest.raises(expected):
        adp.create(element, "LogicalPartition")
    assert len([p for p in server.sent if p.method == "POST"]) == 1
    assert len([p for p in server.sent if p.method == "PUT"]) == 2  # +logon


# -- A2 adapter operations ------------------------------------------------------------

@pytest.mark.parametrize("kwargs, path", [
    ({"root_type": "LogicalPartition"},
     "/rest/api/uom/LogicalPartition?group=None"),
    ({"root_type": "LogicalPartition", "root_id": "U1", "xag": None},
     "/rest/api/uom/LogicalPartition/U1?group=None"),
    ({"root_type": "LogicalPartition", "root_id": "U1", "xag": []},
     "/rest/api/uom/LogicalPartition/U1"),
    ({"root_type": "LogicalPartition", "suffix_type": "search",
      "suffix_parm": "(PartitionName==a)"},
     "/rest/api/uom/LogicalPartition/search/(PartitionName==a)?group=None"),
    ({"root_type": "LogicalPartition", "root_id": "U1",
      "suffix_type": "quick", "suffix_parm": "PartitionState"},
     "/rest/api/uom/LogicalPartition/U1/quick/PartitionState"),
    ({"root_type": "LogicalPartition", "root_id": "U1", "detail": "x"},
     "/rest/api/uom/LogicalPartition/U1?detail=x&group=None"),
    ({"root_type": "LogicalPartition", "root_id": "U1",
      "suffix_type": "do", "suffix_parm": "PowerOn", "xag": ["All"]},
     "/rest/api/uom/LogicalPartition/U1/do/PowerOn?group=All"),
    ({"root_type": "ManagedSystem", "root_id": "M", "child_type":
      "VirtualIOServer", "xag": ["ViosSCSIMapping", "ViosFCMapping"]},
     "/rest/api/uom/ManagedSystem/M/VirtualIOServer"
     "?group=ViosFCMapping,ViosSCSIMapping"),
    ({"root_type": "ManagedSystem", "root_id": "M", "child_type":
      "LogicalPartition", "child_id": "U1", "xag": "All"},
     "/rest/api/uom/ManagedSystem/M/LogicalPartition/U1?group=All"),
    ({"root_type": "LogicalPartition", "root_id": "U1",
      "suffix_type": "do", "suffix_parm": "PowerOn", "detail": "x"},
     "/rest/api/uom/LogicalPartition/U1/do/PowerOn?detail=x"),
])
def test_a2_1_and_a2_4_read_paths_and_group(server, kwargs, path):
    """A2.1/A2.4 (rev 2, as the peer): read() builds ROOT/CHILD paths;
    xag -> group= (None: group=None, []: no group= (the server's
    default), names sorted and comma-joined); do/ and quick/ suffixes get
    no group= unless xag names one; a search gets group=None."""
    adapter.Adapter(_session()).read(**kwargs)
    assert server.last("GET").url == "https://h:12443" + path


HREF = "https://h:12443/rest/api/uom/LogicalPartition/U1"


@pytest.mark.parametrize("href, xag, sent", [
    (HREF, None, HREF + "?group=None"),
    (HREF, [], HREF),
    (HREF + "?group=None", None, HREF + "?group=None"),
    (HREF + "?group=None", [], HREF),
    (HREF + "?group=None", ["ViosSCSIMapping"],
     HREF + "?group=ViosSCSIMapping"),
    (HREF + "?group=ViosSCSIMapping", None, HREF + "?group=ViosSCSIMapping"),
    (HREF + "?group=ViosSCSIMapping", "ViosSCSIMapping",
     HREF + "?group=ViosSCSIMapping"),
    (HREF + "?detail=x", None, HREF + "?detail=x&group=None"),
])
def test_a2_4_rev2_href_read_gets_group_none_unless_given(server, href, xag,
                                                          sent):
    """A2.4 (rev 2): an href read without group= gets group=None (xag
    None) or none (xag []); an href's own group= is kept."""
    adapter.Adapter(_session()).read_by_href(href, xag=xag)
    assert server.last("GET").url == sent


def test_a2_4_rev2_href_group_contradicted_is_refused(server):
    """A2.4 (rev 2), as the peer: an xag other than the href's own group=
    is a ValueError, nothing sent."""
    adp = adapter.Adapter(_session())
    for xag in ([], ["ViosFCMapping"]):
        with pytest.raises(ValueError, match="differ"):
            adp.read_by_href(HREF + "?group=ViosSCSIMapping", xag=xag)
    assert [p.method for p in server.sent] == ["PUT"]  # the logon only


@pytest.mark.parametrize("link, sent", [
    (HREF, HREF + "?group=None"),
    (HREF + "?group=None", HREF + "?group=None"),
    (HREF + "?group=ViosSCSIMapping", HREF + "?group=ViosSCSIMapping"),
])
def test_a2_4_rev2_refresh_of_href_without_group_asks_group_none(
        server, link, sent):
    """A2.4 (rev 2): a wrapper whose SELF link has no group= (read with
    xag=[]) is refreshed with group=None, as the peer's refresh is; one
    with group= keeps it."""
    from pypvm_tx.wrappers.entry_wrapper import EntryWrapper
    adp = adapter.Adapter(_session())
    body = ENTRY.replace(HREF.encode() + b"?group=None", link.encode())
    resp = adapter.Response("GET", link, 200, "OK", {"ETag": "5"},
                            body=body, adapter=adp)
    wrapper = EntryWrapper.wrap(resp)
    assert wrapper.href == link
    wrapper.refresh(use_etag=False)
    assert server.last("GET").url == sent


def test_a2_1_child_without_root_id_is_rejected(server):
    with pytest.raises(ValueError):
        adapter.build_path("uom", "ManagedSystem", child_type="X")


def test_a2_1_etag_sent_as_if_none_match_and_304_returned(server):
    """A2.1: etag -> If-None-Match; 304 is a Response, not an error."""
    adp = adapter.Adapter(_session())
    server.script.append(lambda p: _raw(304, reason="Not Modified",
                                        headers={"ETag": "42"})
                         if p.headers.get(c.IF_NONE_MATCH) else None)
    resp = adp.read_by_href(
        "https://h:12443/rest/api/uom/LogicalPartition/U1?group=None",
        etag="42")
    assert resp.status == 304
    assert resp.adapter is adp
    assert server.last("GET").headers[c.IF_NONE_MATCH] == "42"
    adp.read("LogicalPartition")
    assert c.IF_NONE_MATCH not in server.last("GET").headers


def test_a2_1_204_is_an_empty_feed(server):
    """A2.1/§9: 204 to a feed GET means an empty feed."""
    adp = adapter.Adapter(_session())
    server.script.append(lambda p: _raw(204, reason="No Content")
                         if p.method == "GET" else None)
    resp = adp.read("LogicalPartition")
    assert resp.status == 204
    assert resp.feed is None and resp.entry is None  # A3 rev 2: no body


def test_a2_1_href_goes_to_the_session_host_only(server):
    """A2.1/A1.5: an href naming another host is sent to the session's
    server (the token never leaves for another host)."""
    adp = adapter.Adapter(_session())
    adp.read_by_href("https://evil.example:443/rest/api/uom/"
                     "LogicalPartition/U1?group=None")
    assert server.last("GET").url == (
        "https://h:12443/rest/api/uom/LogicalPartition/U1?group=None")
    with pytest.raises(ValueError):
        adp.read_by_path("relative/path")


class _FakeWrapper:
    schema_type = "LogicalPartition"

    def toxmlstring(self):
        return b'<LogicalPartition xmlns="%s"/>' % c.UOM_NS.encode()


def test_a2_2_update_posts_object_with_if_match(server):
    """A2.2: update_by_path POSTs the object element with If-Match and the
    uom content type of its schema type; returns the new entry."""
    adp = adapter.Adapter(_session())
    resp = adp.update_by_path(_FakeWrapper(), "77",
                              "/rest/api/uom/LogicalPartition/U1?group=None")
    post = server.last("POST")
    assert post.url.endswith("/LogicalPartition/U1?group=None")
    assert post.headers[c.IF_MATCH] == "77"
    assert post.headers[c.CONTENT_TYPE] == (
        "application/vnd.ibm.powervm.uom+xml; type=LogicalPartition")
    assert post.body == _FakeWrapper().toxmlstring()
    assert resp.adapter is adp and resp.entry.etag == "42"
    adp.update(_FakeWrapper(), "78", "ManagedSystem", "M",
               "LogicalPartition", "U1")
    assert server.last("POST").url.endswith(
        "/ManagedSystem/M/LogicalPartition/U1?group=None")
    adp.update(_FakeWrapper(), "79", "ManagedSystem", "M",
               "LogicalPartition", "U1", xag=[])
    assert server.last("POST").url.endswith(
        "/ManagedSystem/M/LogicalPartition/U1")


def test_a2_2_create_puts_and_delete_sends_if_match(server):
    """A2.2: create() PUTs to the feed path; delete() sends If-Match."""
    adp = adapter.Adapter(_session())
    adp.create(etree.fromstring(b'<VirtualIOServer xmlns="%s"/>'
                                % c.UOM_NS.encode()),
               "ManagedSystem", "M", "VirtualIOServer")
    put = server.last("PUT")
    assert put.url.endswith("/rest/api/uom/ManagedSystem/M/VirtualIOServer")
    assert put.headers[c.CONTENT_TYPE].endswith("type=VirtualIOServer")
    adp.delete_by_href("https://h:12443/rest/api/uom/LogicalPartition/U1",
                       etag="5")
    delete = server.last("DELETE")
    assert delete.headers[c.IF_MATCH] == "5"
    with pytest.raises(TypeError):
        adp.create(object(), "LogicalPartition")


@pytest.mark.parametrize("status, exc_class", [
    (404, pvmex.HttpNotFound), (412, pvmex.HttpError),
    (500, pvmex.HttpError)])
def test_a2_3_errors_raise_http_error_by_status(server, status, exc_class):
    """A2.3: status >= 400 raises HttpError (subclass by status) whose
    response has the adapter, method and path."""
    adp = adapter.Adapter(_session())
    server.script.append(lambda p: _raw(status, reason="Err")
                         if p.method == "GET" else None)
    with pytest.raises(exc_class) as info:
        adp.read("LogicalPartition", "U1")
    assert type(info.value) is exc_class
    assert info.value.response.status == status
    assert info.value.response.adapter is adp
    assert info.value.response.reqmethod == "GET"
    assert "/LogicalPartition/U1" in str(info.value)


def test_a1_2_through_a_proxy_the_same_capped_path(server, monkeypatch):
    """A1.2, A1.9: with a proxy in the environment, requests' own proxy
    pool carries the request, on the same urlopen path (same body cap,
    same error map) as a direct one."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    sess = _session(max_body=len(ENTRY) - 1)
    adp = adapter.Adapter(sess)
    pool = server.sent[-1].pool
    assert pool.proxy is not None and pool.proxy.host == "proxy.example"
    with pytest.raises(pvmex.ProtocolError, match="too large"):
        adp.read("LogicalPartition")
    assert server.sent[-1].headers[c.SESSION_HEADER] == "tok-1"
    server.script.append(lambda p: urllib3.exceptions.ProxyError(
        "proxy refused", OSError("refused")))
    with pytest.raises(pvmex.ConnectionError, match="GET"):
        adp.read("LogicalPartition")
