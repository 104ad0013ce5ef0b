"""The HTTP exchange of a Session, on urllib3's public API (adapter layer).

One :class:`Transport` per Session.  It takes its connection pool from a
``requests`` transport adapter (so pool size, TLS verification, CA
bundles and proxies are ``requests``' own) and sends each request with
``pool.urlopen(..., retries=False, redirect=False,
preload_content=False)``: urllib3 and the standard library frame and parse
every byte of HTTP; this module only adds the two bounds they lack and
maps their errors in one place:

* **size**: a body is read in pieces and refused once it passes
  :data:`MAX_BODY_BYTES` (after decoding gzip/deflate, which urllib3
  decompresses no further than it is asked), so memory grows with what
  arrived, never with what a header declared;
* **time as a whole**: a per-``recv`` timeout cannot stop a server that
  trickles a byte at a time, so every request is also armed on a
  :class:`_Watchdog` that shuts its socket down when the whole exchange
  (interim responses, headers, body, trailers) overruns its timeout.
"""

import heapq
import itertools
import socket
import ssl
import threading
import time
from typing import Dict, Mapping, NamedTuple, Optional

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions
from http import client as http_client

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

#: Largest response body accepted, after decoding (the XML parser's bound).
MAX_BODY_BYTES = 256 * 1024 * 1024
#: Bytes asked of urllib3 per read of a body.
READ_CHUNK = 64 * 1024


class RawResponse(NamedTuple):
    """A response as it came off the wire: status, reason, headers, body."""

    status: int
    reason: str
    headers: Dict[str, str]
    body: bytes


# --------------------------------------------------------------------------
# The whole-exchange time bound
# --------------------------------------------------------------------------

class _Guard:
    """One armed request: the connection to cut if its time runs out."""

    __slots__ = ("when", "conn", "expired", "active", "_lock")

    def __init__(self, when: float):
        self.when = when
        self.conn = None
        self.expired = False
        self.active = True
        self._lock = threading.Lock()

    def attach(self, conn) -> None:
        """Called (by the connection) once it is chosen for this request."""
        with self._lock:
            self.conn = conn
            expired = self.expired
        if expired:
            _shut(conn)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            conn = self.conn
        if conn is not None:
            _shut(conn)


def _shut(conn) -> None:
    """Make every blocked or later read on ``conn``'s socket end now."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class _Watchdog:
    """One daemon thread that cuts exchanges that outlive their timeout.

    Arming and disarming cost a heap push and a flag; the thread wakes
    only for the earliest deadline.  Disarmed guards are dropped lazily
    (and in bulk once they are most of the heap).
    """

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._seq = itertools.count()
        self._stale = 0
        self._thread = None

    def arm(self, seconds: float) -> _Guard:
        guard = _Guard(time.monotonic() + seconds)
        with self._cond:
            heapq.heappush(self._heap, (guard.when, next(self._seq), guard))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pypvm_tx-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][2] is guard:
                self._cond.notify()
        return guard

    def disarm(self, guard: _Guard) -> None:
        with self._cond:
            guard.active = False
            self._stale += 1
            if self._stale > 64 and self._stale * 2 > len(self._heap):
                self._heap = [item for item in self._heap if item[2].active]
                heapq.heapify(self._heap)
                self._stale = 0

    def _run(self) -> None:
        while True:
            with self._cond:
                guard = self._next_due()
            guard.expire()

    def _next_due(self) -> _Guard:
        """Wait for the earliest active guard to fall due; pop it."""
        while True:
            while self._heap and not self._heap[0][2].active:
                heapq.heappop(self._heap)
                self._stale -= 1
            if not self._heap:
                self._cond.wait()
                continue
            delay = self._heap[0][0] - time.monotonic()
            if delay > 0:
                self._cond.wait(delay)
                continue
            guard = heapq.heappop(self._heap)[2]
            guard.active = False
            return guard


_WATCHDOG = _Watchdog()
_current = threading.local()


def _attach_current(conn) -> None:
    guard = getattr(_current, "guard", None)
    if guard is not None:
        guard.attach(conn)


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    """A pooled connection that tells the running request's guard that it
    is the one to cut."""

    def request(self, *args, **kwargs):
        _attach_current(self)
        return super().request(*args, **kwargs)


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    """The same for HTTPS (the TLS handshake happens in ``connect``)."""

    def connect(self):
        _attach_current(self)
        return super().connect()

    def request(self, *args, **kwargs):
        _attach_current(self)
        return super().request(*args, **kwargs)


# --------------------------------------------------------------------------
# Errors: mapped in one place
# --------------------------------------------------------------------------

#: Causes of urllib3's ProtocolError that mean the connection dropped
#: (worth a retry for a GET), rather than a malformed reply.
_DROPPED = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
            http_client.RemoteDisconnected, http_client.IncompleteRead)


def _cause(exc: BaseException) -> Optional[BaseException]:
    """The standard-library error urllib3 wrapped in ``exc``, if any."""
    for arg in getattr(exc, "args", ())[1:]:
        if isinstance(arg, BaseException):
            return arg
    return exc.__cause__ or exc.__context__


def map_error(exc: BaseException, method: str, url: str,
              timeout: Optional[float], timed_out: bool) -> pvmex.Error:
    """The pypvm_tx error for a transport failure (never the password or
    token: neither is in a URL or a urllib3 message)."""
    where = {"m": method, "u": url, "t": timeout, "e": exc}
    if isinstance(exc, pvmex.Error):
        return exc
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        # (in urllib3 a refused connection is also a connect timeout)
        return pvmex.ConnectionError(_(
            "Connection failed on %(m)s %(u)s: %(e)s") % where)
    if timed_out or isinstance(exc, (urllib3.exceptions.TimeoutError,
                                     socket.timeout)):
        err = pvmex.TimeoutError(_(
            "%(m)s %(u)s timed out after %(t)s s: %(e)s") % where)
        if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
            return err  # nothing was sent
    elif isinstance(exc, (urllib3.exceptions.SSLError, ssl.SSLError,
                          ssl.CertificateError)):
        return pvmex.SSLError(_(
            "TLS error on %(m)s %(u)s: %(e)s. Check the server certificate "
            "against the CA bundle given as 'verify'.") % where)
    elif isinstance(exc, urllib3.exceptions.ProxyError):
        return pvmex.ConnectionError(_(
            "Connection failed on %(m)s %(u)s: %(e)s") % where)
    elif _is_malformed(exc):
        err = pvmex.ProtocolError(_(
            "The server's reply to %(m)s %(u)s broke the HTTP protocol: "
            "%(e)s") % where)
    else:
        err = pvmex.ConnectionError(_(
            "Connection failed on %(m)s %(u)s: %(e)s") % where)
    err.request_sent = True
    return err


def _is_malformed(exc: BaseException) -> bool:
    if isinstance(exc, (urllib3.exceptions.DecodeError,
                        urllib3.exceptions.InvalidChunkLength,
                        urllib3.exceptions.InvalidHeader)):
        return True
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        cause = _cause(exc)
        if isinstance(cause, urllib3.exceptions.InvalidChunkLength):
            return True  # (also an IncompleteRead, but not a drop)
        return isinstance(cause, http_client.HTTPException) and \
            not isinstance(cause, _DROPPED)
    return isinstance(exc, http_client.HTTPException) and \
        not isinstance(exc, _DROPPED)


# --------------------------------------------------------------------------
# The transport
# --------------------------------------------------------------------------

class Transport:
    """Sends requests of one Session on pooled keep-alive connections.

    :param dest: ``scheme://host:port`` every request goes to.
    :param verify: True, False or a CA bundle path (as ``requests``).
    :param pool_maxsize: connections kept open for reuse.
    :param proxies: ``requests``-style proxy map (empty for none).
    :param max_body: the largest body accepted, after decoding.
    """

    def __init__(self, dest: str, verify, pool_maxsize: int,
                 proxies: Optional[Mapping[str, str]] = None,
                 max_body: int = MAX_BODY_BYTES):
        self.dest = dest
        self.verify = verify
        self.proxies = dict(proxies or {})
        self.max_body = max_body
        self.pool_maxsize = pool_maxsize
        self._adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        self._pool = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Close every pooled connection; the next request opens anew."""
        with self._pool_lock:
            self._pool = None
            self._adapter.close()

    def pool(self) -> urllib3.HTTPConnectionPool:
        """The urllib3 pool for this destination (TLS settings applied),
        as ``requests`` would choose it, proxies included."""
        pool = self._pool
        if pool is None:
            with self._pool_lock:
                pool = self._pool
                if pool is None:
                    pool = self._pool = self._new_pool()
        return pool

    def _new_pool(self):
        prep = requests.PreparedRequest()
        prep.method, prep.url = "GET", self.dest + "/"
        pool = self._adapter.get_connection_with_tls_context(
            prep, self.verify, proxies=self.proxies)
        self._adapter.cert_verify(pool, prep.url, self.verify, None)
        pool.ConnectionCls = (_GuardedHTTPSConnection
                              if pool.scheme == "https"
                              else _GuardedHTTPConnection)
        return pool

    def request_url(self, target: str) -> str:
        """What goes on the request line: the target, or the absolute URL
        when a plain-HTTP proxy forwards it."""
        if not self.proxies:
            return target
        prep = requests.PreparedRequest()
        prep.url = self.dest + target
        return self._adapter.request_url(prep, self.proxies)

    def send(self, method: str, target: str, body: Optional[bytes],
             headers: Mapping[str, str],
             timeout: Optional[float]) -> RawResponse:
        """One exchange, bounded in size and, as a whole, in time.

        :raises pypvm_tx.exceptions.Error: a mapped transport failure
            (``ConnectionError``, ``ProtocolError``, ``TimeoutError``,
            ``SSLError``).
        """
        url = self.dest + target
        guard = _WATCHDOG.arm(timeout) if timeout is not None else None
        _current.guard = guard
        try:
            resp = self._open(method, self.request_url(target), body,
                              headers, timeout)
            _current.guard = None
            try:
                data = self._read_body(resp, method, url)
                if guard is not None and guard.expired:
                    # A body delimited by the connection's close looks
                    # complete when the watchdog shut the socket.
                    raise socket.timeout("the exchange overran its timeout")
            except BaseException:
                resp.close()
                raise
            finally:
                resp.release_conn()
            return RawResponse(resp.status, resp.reason or "",
                               dict(resp.headers), data)
        except (urllib3.exceptions.HTTPError, http_client.HTTPException,
                OSError) as exc:
            timed_out = guard is not None and guard.expired
            raise map_error(exc, method, url, timeout, timed_out) from None
        finally:
            _current.guard = None
            if guard is not None:
                _WATCHDOG.disarm(guard)

    def _open(self, method, url, body, headers, timeout):
        """``urlopen`` on the pool; the response's body is not read yet.

        The seam unit tests replace to answer without a socket.
        """
        return self.pool().urlopen(
            method, url, body=body, headers=headers, retries=False,
            redirect=False, assert_same_host=False, preload_content=False,
            decode_content=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout))

    def _read_body(self, resp, method: str, url: str) -> bytes:
        """The decoded body, refused once it passes ``max_body``."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body and \
                not resp.headers.get("Content-Encoding"):
            raise self._too_large(method, url, int(declared))
        pieces = []
        size = 0
        # stream() decodes no more than READ_CHUNK bytes per piece, and
        # parses chunked framing with urllib3's own strict reader.
        for piece in resp.stream(READ_CHUNK, decode_content=True):
            size += len(piece)
            if size > self.max_body:
                raise self._too_large(method, url, size)
            pieces.append(piece)
        return b"".join(pieces)

    def _too_large(self, method, url, size) -> pvmex.ProtocolError:
        err = pvmex.ProtocolError(_(
            "The response to %(m)s %(u)s is too large: %(size)d bytes or "
            "more, over the limit of %(limit)d bytes.") % {
                "m": method, "u": url, "size": size, "limit": self.max_body})
        err.request_sent = True
        return err
