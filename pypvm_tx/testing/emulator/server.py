"""The HTTP server: connections, request parsing, faults and latency,
and the one write per response.  What a request means is decided by the
route tables of :mod:`.rest` and :mod:`.control`."""

import http.server
import logging as std_logging
import socket
import ssl
import sys
import time

from oslo_log import log as logging

from pypvm_tx import const as c
from pypvm_tx.testing.emulator import control, rest
from pypvm_tx.testing.emulator.common import (CONTROL_PREFIX, LOGON_TYPE,
                                              TYPES)
from pypvm_tx.testing.emulator.replies import Reply, error_reply

LOG = logging.getLogger(__name__)

_MAX_HEADERS = 100
_MAX_LINE = 65536


class Server(http.server.ThreadingHTTPServer):
    """One thread per connection; TLS when the emulator has a context."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, emulator):
        self.emulator = emulator
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        context = self.emulator._ssl_context
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True,
                                       do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout)):
            LOG.debug("Connection from %s ended: %s", client_address, exc)
        else:
            LOG.exception("Emulator error serving %s", client_address)


class _Headers(dict):
    """Request headers: lower-case names, case-insensitive ``get``."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)


def type_of(path: str) -> str:
    """The object type a path addresses (for counters and faults)."""
    if path == c.LOGON_PATH:
        return LOGON_TYPE
    parts = [p for p in path[len(c.API_BASE_PATH):].split("/") if p]
    types = [p for p in parts[1:] if p in TYPES]
    return types[-1] if types else (parts[1] if len(parts) > 1 else "")


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection: reads requests, answers each in one write."""

    protocol_version = "HTTP/1.1"
    server_version = "pypvm-tx-emulator"
    sys_version = ""
    disable_nagle_algorithm = True
    rbufsize = 256 * 1024  # a request with its body in one read
    timeout = 300  # idle keep-alive connections are closed after this

    # -- connection ----------------------------------------------------------

    def setup(self):
        super().setup()
        self.emulator = self.server.emulator
        self.emulator._traffic.connection_opened(self.connection,
                                                 self.emulator._stopping)

    def finish(self):
        try:
            super().finish()
        finally:
            self.emulator._traffic.connection_closed(self.connection)

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                LOG.debug("TLS handshake with %s failed: %s",
                          self.client_address, exc)
                return
        super().handle()

    def log_message(self, fmt, *args):
        LOG.debug("emulator %s: " + fmt, self.client_address[0], *args)

    def log_request(self, code="-", size="-"):
        if LOG.isEnabledFor(std_logging.DEBUG):
            super().log_request(code, size)

    def parse_request(self):
        """Parse the request line and headers (HTTP/1.x only).

        Replaces the standard library's version, whose e-mail header
        parser costs about 48 us per request against 8 us here (timeit on
        a client's POST head): a real share of the emulator CPU per entry
        that ``benchmarks/bench_http.py`` prints.  It relies on
        ``BaseHTTPRequestHandler.handle_one_request`` calling
        ``parse_request`` after reading ``raw_requestline``; a test checks
        that contract and compares the result with the standard library's
        parse, so a change there fails loudly.
        """
        self.command = None
        # Not the standard library's default of HTTP/0.9, which answers an
        # error without a status line: a client always gets "HTTP/1.1 400".
        self.request_version = self.protocol_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline,
                               "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(400, "Bad request line (%r)" % self.requestline)
            return False
        self.command, self.path, self.request_version = words
        headers = self._read_headers()
        if headers is None:
            return False
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = (connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"))
        return True

    def _read_headers(self):
        """The header lines, or None once an error was sent."""
        headers = _Headers()
        for _line in range(_MAX_HEADERS):
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(431, "Header line too long")
                return None
            if line in (b"\r\n", b"\n", b""):
                return headers
            name, sep, value = str(line, "iso-8859-1").partition(":")
            if not sep:
                self.send_error(400, "Bad header line (%r)" % line)
                return None
            headers[name.strip().lower()] = value.strip()
        self.send_error(431, "Too many headers")
        return None

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_DELETE(self):
        self._serve("DELETE")

    # -- request -------------------------------------------------------------

    def _serve(self, method):
        if self.headers.get("Transfer-Encoding"):
            self._refuse_chunked(method)
            return
        body = self._read_body()
        path, _sep, query = self.path.partition("?")
        if path.startswith(CONTROL_PREFIX):
            self._send(control.answer(self.emulator, method, path, query,
                                      body))
            return
        self._serve_rest(method, path, body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _refuse_chunked(self, method):
        """A body with a transfer coding (chunked) is not read: 411, and
        the connection is closed, its unread body with it."""
        self.close_connection = True
        self._send(error_reply(
            411, method, self.path, "The emulator reads request bodies by "
            "Content-Length only; send the body with a Content-Length "
            "header instead of Transfer-Encoding.", "Length Required"))

    def _serve_rest(self, method, path, body):
        """A REST request, with the faults and latency in force."""
        emu = self.emulator
        schema_type = type_of(path)
        received = time.monotonic()
        fault = emu._faults.pick(method, schema_type)
        reply = None
        if fault is None or fault.kind != "drop":
            if fault is not None and fault.kind == "slow":
                emu._sleep(fault.delay)
            if fault is not None and fault.kind == "status":
                reply = error_reply(fault.status, method, self.path,
                                    "Injected fault: HTTP %d." % fault.status)
            else:
                reply = rest.answer(emu, self.headers, method, self.path,
                                    body)
            if fault is not None and fault.kind == "drop_after":
                reply = None
        # The latency is the least time between a request and its answer:
        # the emulator's own processing is part of it, not added to it.
        emu._sleep(emu.latency - (time.monotonic() - received))
        # Counted before answering, so a client that got its answer always
        # finds its request in the counters.
        emu._traffic.record(method, schema_type,
                            reply.status if reply is not None else "dropped")
        if path.startswith(c.API_BASE_PATH + c.SERVICE_UOM):
            emu._sessions.count_down()
        if reply is not None:
            self._send(reply)
        else:
            self._drop()

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- response ------------------------------------------------------------

    def _send(self, reply: Reply):
        """Status line, headers and body in one write."""
        reason = self.responses.get(reply.status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (reply.status, reason),
                 "Server: pypvm-tx-emulator"]
        for name, value in reply.headers.items():
            lines.append("%s: %s" % (name, value))
        if reply.status not in (204, 304):
            lines.append("Content-Length: %d" % len(reply.body))
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = reply.body if reply.status not in (204, 304) else b""
        self.wfile.write(head + body)
        self.log_request(reply.status)
