"""The client against hostile and broken HTTP servers on 127.0.0.1
(SPEC A1.8, A1.9; issue 7 scopes 5 and 9).

Each test runs a scripted raw-socket server: it reads one request head
and answers with whatever bytes (and pauses) the test scripts, so the
client meets exactly the misbehaviour named, over a real socket.
"""

import gzip
import logging
import socket
import threading
import time
import tracemalloc

import pytest

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex

LOGON_OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ibm.powervm"
            b".web+xml; type=LogonResponse\r\nContent-Length: %d\r\n\r\n")
LOGON_BODY = ('<LogonResponse xmlns="%s"><X-API-Session>tok</X-API-Session>'
              '</LogonResponse>' % c.WEB_NS).encode()
ENTRY = (b'<entry xmlns="http://www.w3.org/2005/Atom"><id>U1</id>'
         b'<content type="x"><LogicalPartition xmlns="' + c.UOM_NS.encode()
         + b'"><PartitionName>a</PartitionName></LogicalPartition>'
         b'</content></entry>')


class HostileServer:
    """Answers the logon properly, then every other request with
    ``script(request_head, sock)`` (which writes what it likes)."""

    def __init__(self, script):
        self.script = script
        self.requests = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,),
                                      daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn):
        conn.settimeout(10)
        buf = b""
        try:
            while not self.stopping.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _sep, buf = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _colon, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = buf[length:]
                self.requests.append(head)
                if head.startswith(b"PUT ") and \
                        b"/rest/api/web/Logon " in head.split(b"\r\n")[0]:
                    conn.sendall(LOGON_OK % len(LOGON_BODY) + LOGON_BODY)
                    continue
                if self.script(head, conn) == "close":
                    return
        except OSError:
            return
        finally:
            conn.close()

    def session(self, **kwargs):
        kwargs.setdefault("retry_delay", None)
        kwargs.setdefault("timeout", 5)
        return adapter.Session("127.0.0.1", "u", "p", protocol="http",
                               port=self.port, **kwargs)

    def rest_requests(self):
        return [h for h in self.requests if not h.startswith(b"PUT /rest/"
                                                            b"api/web/")]

    def stop(self):
        self.stopping.set()
        self.listener.close()
        self.acceptor.join(2)
        for thread in self.threads:
            thread.join(2)


@pytest.fixture
def hostile():
    servers = []

    def start(script):
        server = HostileServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _answer(raw):
    def script(head, conn):
        conn.sendall(raw)
        return "close"
    return script


# -- A1.8: nothing hand-written, nothing smuggled ------------------------------

def test_a1_8_crlf_in_a_uuid_is_refused_and_nothing_is_sent(hostile):
    """A1.8: the request-smuggling attempt of issue 7 raises ValueError
    and no byte of it reaches the server."""
    server = hostile(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    adp = adapter.Adapter(server.session())
    smuggled = ("x HTTP/1.1\r\nHost: h\r\n\r\nDELETE /rest/api/uom/"
                "LogicalPartition/U1 HTTP/1.1\r\nX-API-Session: tok\r\n\r\n")
    with pytest.raises(ValueError, match="control character"):
        adp.read("LogicalPartition", root_id=smuggled)
    with pytest.raises(ValueError, match="control character"):
        adp.read("LogicalPartition", suffix_type="do",
                 suffix_parm="a\nb")
    with pytest.raises(ValueError, match="control"):
        adp.read("LogicalPartition", root_id="U1", etag="1\r\nX-Evil: 1")
    time.sleep(0.1)
    assert server.rest_requests() == []


def test_a1_8_targets_are_percent_encoded_as_requests_does(hostile):
    """A1.8: a blank and a non-ASCII character in a path element reach
    the server percent-encoded (not a ConnectionError, not a bare
    UnicodeEncodeError)."""
    server = hostile(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                             % len(ENTRY) + ENTRY))
    adp = adapter.Adapter(server.session())
    adp.read("LogicalPartition", suffix_type="search",
             suffix_parm="(PartitionName==my lpar é)")
    line = server.rest_requests()[-1].split(b"\r\n")[0]
    # (A2.4 rev 2) a search gets group=None, as the peer sends it.
    assert line == (b"GET /rest/api/uom/LogicalPartition/search/"
                    b"(PartitionName==my%20lpar%20%C3%A9)?group=None HTTP/1.1")


# -- A1.9: size ------------------------------------------------------------------

def test_a1_9_declared_length_is_not_allocated(hostile):
    """A1.9: a reply declaring Content-Length: 268000000 and sending 6
    bytes costs memory for what arrived, not for what was declared."""
    server = hostile(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 268000000"
                             b"\r\n\r\n<entry"))
    adp = adapter.Adapter(server.session(get_retries=0))
    tracemalloc.start()
    try:
        base, _peak = tracemalloc.get_traced_memory()
        with pytest.raises(pvmex.ConnectionError):
            adp.read("LogicalPartition")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < 64 * 1024 * 1024


def test_a1_9_oversized_body_says_so_and_is_not_retried(hostile):
    """A1.9 (and issue 7 scope 8): a body over the limit is a protocol
    error that says the body is too large, and a GET does not fetch it
    again."""
    body = b"<feed>" + b" " * 5000 + b"</feed>"
    server = hostile(lambda head, conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body))
    adp = adapter.Adapter(server.session(get_retries=2, max_body=1000))
    with pytest.raises(pvmex.ProtocolError, match="too large"):
        adp.read("LogicalPartition")
    assert len(server.rest_requests()) == 1


def _gzip_bomb(size):
    return gzip.compress(b"\0" * size, compresslevel=9)


@pytest.mark.parametrize("via_proxy", [False, True])
def test_a1_9_gzip_bomb_is_capped_after_decoding(hostile, monkeypatch,
                                                 via_proxy):
    """A1.9: a compressed body is capped after decoding, directly and
    through a proxy (the hostile server plays the proxy)."""
    bomb = _gzip_bomb(64 * 1024 * 1024)
    server = hostile(_answer(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d"
        b"\r\n\r\n" % len(bomb) + bomb))
    if via_proxy:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:%d" % server.port)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        sess = adapter.Session("pvm.invalid", "u", "p", protocol="http",
                               port=12080, retry_delay=None, timeout=5,
                               max_body=1024 * 1024)
        assert sess._transport.pool().proxy is not None
    else:
        sess = server.session(max_body=1024 * 1024)
    tracemalloc.start()
    try:
        base, _peak = tracemalloc.get_traced_memory()
        with pytest.raises(pvmex.ProtocolError, match="too large"):
            adapter.Adapter(sess).read("LogicalPartition")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < 32 * 1024 * 1024
    if via_proxy:
        assert server.rest_requests()[-1].startswith(
            b"GET http://pvm.invalid:12080/rest/api/uom/LogicalPartition"
            b"?group=None ")


# -- A1.9: time --------------------------------------------------------------------

def _trickle(prefix, byte=b" ", pause=0.2):
    def script(head, conn):
        conn.sendall(prefix)
        for _ in range(200):
            time.sleep(pause)
            conn.sendall(byte)
        return "close"
    return script


@pytest.mark.parametrize("prefix", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",  # body
    b"HTTP/1.1 200 OK\r\nX-Slow: ",                        # a header
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",  # chunks
], ids=["body", "header", "chunked"])
def test_a1_9_trickled_reply_is_cut_at_the_timeout_as_a_whole(hostile,
                                                              prefix):
    """A1.9: a reply trickled a byte at a time (each recv well within the
    timeout) is cut when the whole exchange reaches the Session timeout."""
    byte = b"1\r\nx\r\n" if b"chunked" in prefix else b" "
    server = hostile(_trickle(prefix, byte))
    adp = adapter.Adapter(server.session(timeout=1.0, get_retries=0))
    start = time.monotonic()
    with pytest.raises(pvmex.TimeoutError):
        adp.read("LogicalPartition")
    assert time.monotonic() - start < 2.5


def test_a1_9_endless_interim_responses_are_cut_too(hostile):
    """A1.9: a server sending 100 Continue forever does not hold the
    client past its timeout."""
    server = hostile(_trickle(b"", b"HTTP/1.1 100 Continue\r\n\r\n"))
    adp = adapter.Adapter(server.session(timeout=1.0, get_retries=0))
    start = time.monotonic()
    with pytest.raises(pvmex.TimeoutError):
        adp.read("LogicalPartition")
    assert time.monotonic() - start < 2.5


# -- A1.9: status and protocol errors ------------------------------------------------

def test_a1_9_a_redirect_with_an_entry_body_is_an_error(hostile):
    """A1.9: a 307 is an error naming the status, never wrapped as the
    object its body holds."""
    server = hostile(_answer(
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://evil/\r\n"
        b"Content-Length: %d\r\n\r\n" % len(ENTRY) + ENTRY))
    adp = adapter.Adapter(server.session())
    with pytest.raises(pvmex.HttpError, match="307") as info:
        adp.read("LogicalPartition", root_id="U1")
    assert "redirects are not followed" in str(info.value)


@pytest.mark.parametrize("raw", [
    b"garbage\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n"
    b"\r\nnotgz",
], ids=["status-line", "chunk-size", "gzip"])
def test_a1_9_malformed_reply_is_a_protocol_error_fetched_once(hostile, raw):
    """A1.9: a malformed reply is a ProtocolError (a ConnectionError
    subclass) and a GET does not ask three times for it."""
    server = hostile(_answer(raw))
    adp = adapter.Adapter(server.session(get_retries=2))
    with pytest.raises(pvmex.ProtocolError):
        adp.read("LogicalPartition")
    assert len(server.rest_requests()) == 1


def test_a1_7_dropped_connection_is_still_retried_for_a_get(hostile):
    """A1.7: a dropped connection (not a malformed reply) is retried."""
    answers = iter([b"", b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                    % len(ENTRY) + ENTRY])

    def script(head, conn):
        raw = next(answers)
        if raw:
            conn.sendall(raw)
        return "close"

    server = hostile(script)
    adp = adapter.Adapter(server.session(get_retries=1))
    assert adp.read("LogicalPartition", root_id="U1").entry.uuid == "U1"
    assert len(server.rest_requests()) == 2


def test_a1_9_server_message_cannot_forge_log_lines(hostile, caplog):
    """A1.9: a 500 whose Message holds newlines gives a one-line error
    message and one-line log records."""
    body = ('<HttpErrorResponse xmlns="%s"><Message>boom\nERROR forged '
            'line\r\n\u2028red</Message></HttpErrorResponse>'
            % c.UOM_NS).encode()
    server = hostile(lambda head, conn: conn.sendall(
        b"HTTP/1.1 503 Busy\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body))
    adp = adapter.Adapter(server.session(get_retries=1))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(pvmex.HttpError) as info:
            adp.read("LogicalPartition")
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert "\u2028" not in message and "boom\\nERROR forged line" in message
    for record in caplog.records:
        assert "\n" not in record.getMessage(), record.getMessage()
