"""The HTTP exchange of a Session: the :class:`Transport` interface and
its urllib3 implementation.

A Session sends every request through one :class:`Transport`: one method
that takes a request and returns a :class:`RawResponse` (or raises a
pypvm_tx transport error), and ``close()``.  The default,
:class:`Urllib3Transport`, takes its connection pool from a ``requests``
transport adapter (so pool size, TLS verification, CA bundles and proxies
are ``requests``' own; a proxied request goes the same way as a direct
one) and sends each request with ``pool.urlopen(..., retries=False,
redirect=False, preload_content=False)``: urllib3 and the standard
library frame and parse every byte of HTTP; this module only adds the two
bounds they lack and maps their errors in one place, :func:`map_error`:

* **size**: a body is read in pieces and refused once it passes
  :data:`MAX_BODY_BYTES` (after decoding gzip/deflate, which urllib3
  decompresses no further than it is asked), so memory grows with what
  arrived, never with what a header declared;
* **time as a whole**: every request is also armed on the
  :mod:`~pypvm_tx.adapter.watchdog`, which cuts an exchange that
  overruns its timeout however slowly the bytes trickle in.
"""

import abc
import socket
import ssl
import threading
from typing import Dict, Mapping, NamedTuple, Optional, Union

import requests
import requests.adapters
import urllib3
import urllib3.exceptions
from http import client as http_client

from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import watchdog
from pypvm_tx.i18n import _

#: Largest response body accepted, after decoding (the XML parser's bound).
MAX_BODY_BYTES = 256 * 1024 * 1024
#: Bytes asked of urllib3 per read of a body.
READ_CHUNK = 64 * 1024


class RawResponse(NamedTuple):
    """A response as it came off the wire: status, reason, headers, body
    (decoded from gzip/deflate)."""

    status: int
    reason: str
    headers: Dict[str, str]
    body: bytes


class Transport(abc.ABC):
    """What a Session sends its requests through.

    The Session builds a :class:`Urllib3Transport` unless it is given
    another (tests, special deployments).  A Session calls :meth:`send`
    from many threads at once and :meth:`close` on logoff.
    """

    @abc.abstractmethod
    def send(self, method: str, target: str, body: Optional[bytes],
             headers: Mapping[str, str],
             timeout: Optional[float]) -> RawResponse:
        """One HTTP exchange, without retries or redirects.

        :param target: the request target (path and query), already
            percent-encoded and checked for control characters.
        :param timeout: bound of the whole exchange in seconds, or None.
        :raises pypvm_tx.exceptions.Error: a transport failure, as
            ``ConnectionError`` (``ProtocolError`` for a malformed or
            oversized reply), ``TimeoutError`` or ``SSLError``, with
            ``request_sent`` saying whether the request may have arrived.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Close every pooled connection; the next request opens anew."""


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
    err: pvmex.Error
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


def _too_large(method: str, url: str, size: int,
               limit: int) -> pvmex.ProtocolError:
    err = pvmex.ProtocolError(_(
        "The response to %(m)s %(u)s is too large: %(size)d bytes or "
        "more, over the limit of %(limit)d bytes.") % {
            "m": method, "u": url, "size": size, "limit": limit})
    err.request_sent = True
    return err


# --------------------------------------------------------------------------
# The urllib3 transport
# --------------------------------------------------------------------------

class Urllib3Transport(Transport):
    """Sends requests of one Session on pooled keep-alive connections.

    :param dest: ``scheme://host:port`` every request goes to.
    :param verify: True, False or a CA bundle path (as ``requests``).
    :param pool_maxsize: connections kept open for reuse.
    :param proxies: ``requests``-style proxy map (empty for none).
    :param max_body: the largest body accepted, after decoding.
    """

    def __init__(self, dest: str, verify: Union[bool, str], pool_maxsize: int,
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
        pool.ConnectionCls = watchdog.GUARDED_CONNECTIONS[pool.scheme]
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
        guard = watchdog.arm(timeout)
        try:
            resp = self._open(method, self.request_url(target), body,
                              headers, timeout)
            watchdog.stop_attaching()
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
            watchdog.disarm(guard)

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
            raise _too_large(method, url, int(declared), self.max_body)
        pieces = []
        size = 0
        # stream() decodes no more than READ_CHUNK bytes per piece, and
        # parses chunked framing with urllib3's own strict reader.
        for piece in resp.stream(READ_CHUNK, decode_content=True):
            size += len(piece)
            if size > self.max_body:
                raise _too_large(method, url, size, self.max_body)
            pieces.append(piece)
        return b"".join(pieces)
