"""The HTTP/1.1 exchange on pooled connections (SPEC A1.2, A1.7).

A fake pool, connection and socket stand in for urllib3's and the
network, so each test controls exactly which bytes arrive and when.
"""

import gzip
import zlib

import pytest

from pypvm_tx import _wire
from pypvm_tx import adapter
from pypvm_tx import exceptions as pvmex


class FakeSock:
    def __init__(self, pieces):
        self.pieces = list(pieces)
        self.sent = []
        self.timeouts = []

    def sendall(self, data):
        self.sent.append(bytes(data))

    def recv(self, size):
        if not self.pieces:
            return b""
        piece = self.pieces.pop(0)
        if len(piece) > size:
            self.pieces.insert(0, piece[size:])
            piece = piece[:size]
        return piece

    def recv_into(self, view, size):
        data = self.recv(size)
        view[:len(data)] = data
        return len(data)

    def settimeout(self, value):
        self.timeouts.append(value)


class FakeConn:
    def __init__(self, sock):
        self._sock = sock
        self.sock = None
        self.timeout = None
        self.connects = 0
        self.closed = False

    def connect(self):
        self.connects += 1
        self.sock = self._sock

    def close(self):
        self.closed = True
        self.sock = None


class FakePool:
    def __init__(self, pieces):
        self.conn = FakeConn(FakeSock(pieces))
        self.returned = []

    def _get_conn(self):
        return self.conn

    def _put_conn(self, conn):
        self.returned.append(conn)


HEAD = "Host: h:1\r\nX-A: 1\r\nContent-Length: 3\r\n"


def _go(pieces, method="POST", body=b"abc", timeout=5.0):
    pool = FakePool(pieces)
    result = _wire.exchange(pool, method, "/p?q=1", HEAD, body, timeout)
    return pool, result


def test_a1_2_request_leaves_in_one_write_and_connection_is_reused():
    """A1.2: request line, headers and body in one sendall; a complete
    keep-alive response returns the connection to the pool."""
    pool, (status, reason, headers, body) = _go(
        [b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 5\r\nETag: 7\r\n\r\nhe",
         b"llo"])
    assert (status, reason, body) == (200, "OK", b"hello")
    assert ("ETag", "7") in headers
    sock = pool.conn._sock
    assert sock.sent == [b"POST /p?q=1 HTTP/1.1\r\n" + HEAD.encode()
                         + b"\r\nabc"]
    assert pool.returned == [pool.conn] and not pool.conn.closed
    assert pool.conn.connects == 1 and pool.conn.timeout == 5.0


def test_a1_2_socket_timeout_set_only_when_it_changes():
    """A1.2: the socket timeout is set when it differs from the last one."""
    reply = b"HTTP/1.1 204 No Content\r\n\r\n"
    pool = FakePool([reply, reply, reply])
    for timeout in (5.0, 5.0, 9.0):
        _wire.exchange(pool, "GET", "/", HEAD, None, timeout)
    assert pool.conn._sock.timeouts == [9.0]  # 5.0 was set at connect
    assert pool.conn.connects == 1


def test_a1_2_large_body_is_received_in_place():
    """A1.2: a body larger than one read arrives whole and exact."""
    big = bytes(range(256)) * 5000  # 1.28 MB
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big)
    pieces = [head + big[:1000]] + [big[i:i + 70000]
                                    for i in range(1000, len(big), 70000)]
    pool, (_, _, _, body) = _go(pieces)
    assert body == big
    assert pool.returned == [pool.conn]
    pool = FakePool([head + big[:-5]])
    with pytest.raises(_wire.WireError, match="before the end"):
        _wire.exchange(pool, "GET", "/", HEAD, None, 5.0)


def test_a1_2_chunked_body_with_extensions_and_trailer():
    """A1.2: chunked transfer coding is decoded."""
    pool, (status, _, _, body) = _go([
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5;ext=1\r\nhello\r\n", b"6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"])
    assert body == b"hello world"
    assert pool.returned == [pool.conn]


def test_a1_2_body_until_close_is_not_reused():
    """A1.2: a body without length ends with the connection, which is
    then closed, not pooled."""
    pool, (_, _, _, body) = _go([b"HTTP/1.1 200 OK\r\n\r\nall of ",
                                 b"it"])
    assert body == b"all of it"
    assert pool.returned == [None] and pool.conn.closed


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"])
def test_a1_2_connection_close_and_http10_are_not_reused(head):
    pool, (_, _, _, body) = _go([head])
    assert body == b"ok"
    assert pool.returned == [None] and pool.conn.closed


def test_a1_2_interim_100_is_skipped_and_304_has_no_body():
    pool, (status, _, _, body) = _go([
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\n"
        b"ETag: 5\r\n\r\n"])
    assert (status, body) == (304, b"")
    assert pool.returned == [pool.conn]


def test_a1_2_head_response_has_no_body():
    pool, (status, _, _, body) = _go(
        [b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], method="HEAD")
    assert (status, body) == (200, b"")


@pytest.mark.parametrize("coding, packed", [
    ("gzip", gzip.compress(b"<feed/>")),
    ("deflate", zlib.compress(b"<feed/>"))])
def test_a1_2_content_codings_are_decoded(coding, packed):
    _, (_, _, _, body) = _go([b"HTTP/1.1 200 OK\r\nContent-Encoding: "
                              + coding.encode() + b"\r\nContent-Length: "
                              + str(len(packed)).encode() + b"\r\n\r\n"
                              + packed])
    assert body == b"<feed/>"


@pytest.mark.parametrize("pieces, message", [
    ([b"SMTP ready\r\n\r\n"], "malformed status line"),
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"],
     "before the end"),
    ([b"HTTP/1.1 200 OK\r\nContent-Len"], "middle of the response head"),
    ([b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1"
      b"\r\n\r\nx"], "unsupported content coding"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
     "chunk size"),
    ([b"HTTP/1.1 200 OK\r\nX: " + b"a" * (_wire.MAX_HEAD_BYTES + 10)],
     "oversized"),
])
def test_a1_7_protocol_errors_close_the_connection(pieces, message):
    """A1.7: a broken response raises WireError; the connection is closed
    and not returned to the pool."""
    pool = FakePool(pieces)
    with pytest.raises(_wire.WireError, match=message):
        _wire.exchange(pool, "GET", "/", HEAD, None, 5.0)
    assert pool.returned == [None] and pool.conn.closed


def test_a1_7_header_values_cannot_split_the_request():
    """A1.7: a header value with a line break (e.g. a hostile etag) is
    refused before anything is sent."""
    with pytest.raises(ValueError, match="line break"):
        _wire.check_header_value("If-Match", "1\r\nX-Evil: 1")


def test_a1_7_wire_errors_become_connection_errors(monkeypatch):
    """A1.7: a WireError reaches the caller as ConnectionError naming the
    method and URL; a GET is retried first."""
    calls = []

    def broken(pool, method, target, head, body, timeout):
        calls.append(method)
        raise _wire.WireError("The server closed the connection.")

    sess = adapter.Session("h", "u", "p", protocol="http", logon=False,
                           retry_delay=None)
    sess._set_token("t")
    monkeypatch.setattr(_wire, "exchange", broken)
    with pytest.raises(pvmex.ConnectionError, match="GET http://h:12080/x"):
        sess.request("GET", "/x")
    assert calls == ["GET"] * 3


@pytest.mark.parametrize("pieces, message", [
    ([b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc"],
     "malformed Content-Length"),
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 3, 5\r\n\r\nabcde"],
     "conflicting Content-Length"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n"
      b"0\r\n\r\n"], "chunk size"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc"
      b"\r\n0\r\n\r\n"], "chunk size"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef"
      b"\r\n0\r\n\r\n"], "longer than its declared size"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"],
     "before the end"),
    ([b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12"
      b"\r\n\r\n" + gzip.compress(b"<feed>" * 100)[:12]], "truncated"),
])
def test_a1_7_garbled_framing_is_an_error_not_a_short_body(pieces, message):
    """A1.7: a body whose framing is broken (negative or conflicting
    lengths, bad chunk sizes, a chunk overrunning its size, an early close
    inside a chunk, a truncated gzip stream) raises WireError -- never a
    silently short or shifted body -- and the connection is closed."""
    pool = FakePool(pieces)
    with pytest.raises(_wire.WireError, match=message):
        _wire.exchange(pool, "GET", "/", HEAD, None, 5.0)
    assert pool.returned == [None] and pool.conn.closed


def test_a1_2_repeated_equal_content_length_is_accepted():
    """A1.2: ``Content-Length: 3, 3`` (a proxy's duplicate) is one length."""
    _, (status, _, _, body) = _go([b"HTTP/1.1 200 OK\r\nContent-Length: "
                                   b"3, 3\r\n\r\nabc"])
    assert (status, body) == (200, b"abc")
