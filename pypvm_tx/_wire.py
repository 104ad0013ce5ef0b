"""One HTTP/1.1 exchange on a pooled keep-alive connection (adapter layer).

Why this exists: the transaction layer POSTs one entry per worker thread,
and the client's CPU time per request -- serialised by the GIL -- decides
how well a FeedTask overlaps the server's latency.  Through
``requests``/``urllib3``/``http.client`` a small request costs several
hundred microseconds of Python and about ten GIL hand-offs (timeouts set
twice, the body written apart from the headers, e-mail header parsing,
response wrappers, cookie extraction); the exchange below costs a fraction
of that and releases the GIL only to send once and receive.

It uses the connections of the urllib3 pool that the Session's
``requests`` transport adapter owns, so pool size, TLS (verification,
CA bundle) and connection set-up are still ``requests``'/``urllib3``'.
Responses are read per HTTP/1.1: ``Content-Length``, chunked transfer
coding, or until the connection closes; 1xx interim responses are
skipped; gzip/deflate content codings are decoded; sizes are bounded.
"""

import re
import socket
import ssl
import zlib
from typing import Dict, List, Optional, Tuple

import requests
import requests.adapters
import urllib3
import urllib3.exceptions

#: Largest response head (status line and headers) accepted.
MAX_HEAD_BYTES = 64 * 1024
#: Largest response body accepted (the XML parser's own bound).
MAX_BODY_BYTES = 256 * 1024 * 1024
#: Bytes asked of each recv().  recv() allocates this much before it
#: shrinks to what arrived; at 128 KiB and up glibc's malloc maps and
#: unmaps it each time (~30 us per reply, against ~5 us at 64 KiB).
#: Larger bodies of known size are received straight into place.
_RECV_SIZE = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
_HEX_RE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class WireError(Exception):
    """The server broke the HTTP protocol or closed the connection."""


#: Transport exceptions, by what they become (checked in this order: in
#: urllib3 a refused connection is a subclass of the connect timeout).
SSL_ERRORS = (requests.exceptions.SSLError, urllib3.exceptions.SSLError,
              ssl.SSLError, ssl.CertificateError)
CONNECTION_ERRORS_FIRST = (urllib3.exceptions.NewConnectionError,)
TIMEOUT_ERRORS = (requests.exceptions.Timeout,
                  urllib3.exceptions.TimeoutError, socket.timeout)
CONNECTION_ERRORS = (requests.exceptions.ConnectionError,
                     requests.exceptions.ChunkedEncodingError,
                     requests.exceptions.ContentDecodingError,
                     urllib3.exceptions.HTTPError, WireError, OSError)


class Transport(requests.adapters.HTTPAdapter):
    """The ``requests`` transport adapter of a Session.

    Works out the pool key and TLS settings of a destination once rather
    than on every request (requests stats the CA bundle each time).
    """

    def __init__(self, *args, **kwargs):
        self._pool_keys = {}
        super().__init__(*args, **kwargs)

    def cert_verify(self, conn, url, verify, cert):
        done = (url[:5].lower() == "https", verify, cert)
        if getattr(conn, "_pypvm_tx_verified", None) != done:
            super().cert_verify(conn, url, verify, cert)
            conn._pypvm_tx_verified = done

    def build_connection_pool_key_attributes(self, request, verify,
                                             cert=None):
        url = request.url
        cut = url.find("/", url.find("//") + 2)
        key = (url[:cut] if cut > 0 else url, verify, cert)
        attrs = self._pool_keys.get(key)
        if attrs is None:
            attrs = self._pool_keys[key] = \
                super().build_connection_pool_key_attributes(request, verify,
                                                             cert)
        return attrs

    def pool_for(self, url: str, verify, proxies) -> urllib3.HTTPConnectionPool:
        """The urllib3 pool (TLS settings applied) for ``url``."""
        prep = requests.PreparedRequest()
        prep.method, prep.url = "GET", url
        getter = getattr(self, "get_connection_with_tls_context", None)
        if getter is not None:
            pool = getter(prep, verify, proxies=proxies)
        else:  # requests < 2.32
            pool = self.get_connection(url, proxies)
        self.cert_verify(pool, url, verify, None)
        return pool


def check_header_value(name: str, value: str) -> str:
    """Refuse a header value that would split the request (CR/LF)."""
    if "\r" in value or "\n" in value:
        raise ValueError("Refusing to send header %s: its value contains a "
                         "line break." % name)
    return value


def exchange(pool, method: str, target: str, head_lines: str,
             body: Optional[bytes], timeout: Optional[float]
             ) -> Tuple[int, str, List[Tuple[str, str]], bytes]:
    """Send one request on a connection of ``pool``; return
    ``(status, reason, header pairs, body)``.

    ``head_lines`` is the header block (``Name: value\\r\\n`` lines, Host
    and Content-Length included).  The connection goes back to the pool
    only after a complete, keep-alive response; on any error it is closed.
    """
    conn = pool._get_conn()  # checks a pooled connection was not dropped
    try:
        if conn.sock is None:
            conn.timeout = timeout
            conn.connect()
            conn._pypvm_tx_timeout = timeout
        sock = conn.sock
        if getattr(conn, "_pypvm_tx_timeout", None) != timeout:
            sock.settimeout(timeout)
            conn._pypvm_tx_timeout = timeout
        data = ("%s %s HTTP/1.1\r\n%s\r\n" % (method, target, head_lines)
                ).encode("latin-1")
        sock.sendall(data + body if body else data)
        status, reason, headers, content, keep = _read_response(sock, method)
    except BaseException:
        conn.close()
        pool._put_conn(None)
        raise
    if keep:
        pool._put_conn(conn)
    else:
        conn.close()
        pool._put_conn(None)
    return status, reason, headers, content


class _Reader:
    """Buffered reads from a socket."""

    __slots__ = ("sock", "buf", "pos")

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def fill(self) -> bool:
        chunk = self.sock.recv(_RECV_SIZE)
        if not chunk:
            return False
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk
        return True

    def until(self, marker: bytes, limit: int, what: str) -> bytes:
        while True:
            end = self.buf.find(marker, self.pos)
            if end >= 0:
                data = bytes(self.buf[self.pos:end])
                self.pos = end + len(marker)
                return data
            if len(self.buf) - self.pos > limit:
                raise WireError("The server sent an oversized %s." % what)
            if not self.fill():
                raise WireError("The server closed the connection in the "
                                "middle of the %s." % what)

    def exactly(self, size: int) -> bytes:
        have = len(self.buf) - self.pos
        if have < size and size > _RECV_SIZE:
            return self._large(size, have)
        while len(self.buf) - self.pos < size:
            if not self.fill():
                raise WireError("The server closed the connection before "
                                "the end of the response body.")
        data = bytes(self.buf[self.pos:self.pos + size])
        self.pos += size
        return data

    def _large(self, size: int, have: int) -> bytes:
        """A large body of known size, received straight into place."""
        out = bytearray(size)
        out[:have] = memoryview(self.buf)[self.pos:]
        self.buf, self.pos = bytearray(), 0
        view = memoryview(out)
        while have < size:
            got = self.sock.recv_into(view[have:], size - have)
            if not got:
                raise WireError("The server closed the connection before "
                                "the end of the response body.")
            have += got
        return bytes(out)

    def rest(self) -> bytes:
        while self.fill():
            if len(self.buf) > MAX_BODY_BYTES:
                raise WireError("The response body is too large.")
        return bytes(self.buf[self.pos:])


def _read_head(reader: _Reader):
    head = reader.until(b"\r\n\r\n", MAX_HEAD_BYTES, "response head")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or \
            not parts[1].isdigit():
        raise WireError("The server sent a malformed status line %r."
                        % lines[0][:80])
    headers = []
    lowered: Dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise WireError("The server sent a malformed header line.")
        name, value = name.strip(), value.strip()
        headers.append((name, value))
        key = name.lower()
        lowered[key] = "%s, %s" % (lowered[key], value) if key in lowered \
            else value
    return parts[0], int(parts[1]), (parts[2] if len(parts) > 2 else ""), \
        headers, lowered


def _read_chunked(reader: _Reader) -> bytes:
    pieces = []
    total = 0
    while True:
        size_line = reader.until(b"\r\n", 1024, "chunk size")
        digits = size_line.split(b";", 1)[0].strip()
        if not _HEX_RE.fullmatch(digits):
            raise WireError("The server sent a malformed chunk size.")
        size = int(digits, 16)
        if size == 0:
            while reader.until(b"\r\n", MAX_HEAD_BYTES, "trailer"):
                pass
            return b"".join(pieces)
        total += size
        if total > MAX_BODY_BYTES:
            raise WireError("The response body is too large.")
        pieces.append(reader.exactly(size))
        if reader.exactly(2) != b"\r\n":  # the CRLF after each chunk
            raise WireError("The server sent a chunk longer than its "
                            "declared size.")


def _decode(content: bytes, coding: str) -> bytes:
    coding = coding.strip().lower()
    if not coding or coding == "identity" or not content:
        return content
    if coding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif coding == "deflate":
        decoder = zlib.decompressobj()
    else:
        raise WireError("The server used an unsupported content coding %r."
                        % coding)
    try:
        data = decoder.decompress(content, MAX_BODY_BYTES)
    except zlib.error as exc:
        raise WireError("The response body could not be decoded: %s" % exc) \
            from None
    if decoder.unconsumed_tail:
        raise WireError("The decoded response body is too large.")
    if not decoder.eof:
        raise WireError("The %s response body is truncated." % coding)
    return data


def _content_length(value: str) -> int:
    """The body length a ``Content-Length`` value states (repeated values
    must agree; RFC 9110 section 8.6)."""
    values = {part.strip() for part in value.split(",")}
    if len(values) != 1:
        raise WireError("The server sent conflicting Content-Length values.")
    length = values.pop()
    if not length.isdigit() or not length.isascii():
        raise WireError("The server sent a malformed Content-Length.")
    return int(length)


def _read_response(sock, method: str):
    reader = _Reader(sock)
    while True:
        version, status, reason, headers, lowered = _read_head(reader)
        if not 100 <= status < 200 or status == 101:
            break  # skip interim responses (100 Continue, 103 ...)
    connection = lowered.get("connection", "").lower()
    keep = (version == "HTTP/1.1" and "close" not in connection) or \
        (version == "HTTP/1.0" and "keep-alive" in connection)
    if method == "HEAD" or status in _NO_BODY_STATUSES or status < 200:
        content = b""
    elif "chunked" in lowered.get("transfer-encoding", "").lower():
        content = _read_chunked(reader)
    elif "content-length" in lowered:
        length = _content_length(lowered["content-length"])
        if length > MAX_BODY_BYTES:
            raise WireError("The response body is too large.")
        content = reader.exactly(length)
    else:
        content = reader.rest()
        keep = False
    if reader.pos != len(reader.buf):
        keep = False  # unexpected extra bytes: do not reuse
    content = _decode(content, lowered.get("content-encoding", ""))
    return status, reason, headers, content, keep
