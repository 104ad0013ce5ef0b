"""The logged-on HTTP session to one PowerVM REST server.

A :class:`Session` logs on, keeps the session token, and sends every
request through one :class:`~pypvm_tx.adapter.transport.Transport`, whose
pooled keep-alive connections the threads using the Session share.  The
tries of one request (:mod:`~pypvm_tx.adapter.tries`) run on the one
retry loop of :mod:`pypvm_tx.backoff`: retries of an idempotent request,
the re-logon after a 401, and the deadline.  Environment settings (CA bundle,
proxies) are read once, at construction.  What a logon sends and what its
answer means are :mod:`~pypvm_tx.adapter.logon`'s; which CA the server is
verified with is :mod:`~pypvm_tx.adapter.certs`'s.
"""

import logging as std_logging
import os
import threading
import time
import warnings
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Mapping,
                    Optional, Sequence, Union)

import requests.utils
import urllib3.exceptions
from oslo_log import log as logging

from pypvm_tx import backoff
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import logon as logon_
from pypvm_tx.adapter import paths
from pypvm_tx.adapter.certs import (Verify, resolve_verify,
                                    verify_with_certpath)
from pypvm_tx.adapter.response import Response
from pypvm_tx.adapter.transport import (MAX_BODY_BYTES, RawResponse,
                                        Transport, Urllib3Transport)
from pypvm_tx.adapter.tries import RequestTries, default_retry_delay
from pypvm_tx.i18n import _

if TYPE_CHECKING:  # the Adapter is built on the Session: names only
    from pypvm_tx.adapter.operations import Adapter

LOG = logging.getLogger(__name__)

_USER_AGENT = "pypvm_tx"
_ACCEPT_ANY = "%s, %s" % (c.ATOM_TYPE, c.UOM_TYPE)
#: The kinds of event hook a Session calls, as httpx names them.
_HOOK_EVENTS = ("request", "response")


def _event_hooks(hooks: Optional[Mapping[str, Sequence[Callable]]]
                 ) -> Dict[str, List[Callable]]:
    """``{"request": [...], "response": [...]}`` from what the caller gave.

    :raises ValueError: an event other than ``request`` or ``response``.
    """
    hooks = dict(hooks or {})
    unknown = sorted(set(hooks) - set(_HOOK_EVENTS))
    if unknown:
        raise ValueError(_("Unknown event hook kind %(kinds)s: use "
                           "'request' or 'response'.") % {
                               "kinds": ", ".join(map(repr, unknown))})
    return {event: list(hooks.get(event) or ()) for event in _HOOK_EVENTS}


#: Seconds between the tries of the first logon (``conn_tries``), as the
#: peer waits for a REST server that is still starting.
CONN_RETRY_DELAY = 2.0


def _checked_options(protocol: Optional[str], pool_maxsize: int,
                     conn_tries: int) -> str:
    """The protocol, lower-cased, once the Session's options are checked.

    :raises ValueError: an unknown protocol, or ``pool_maxsize`` or
        ``conn_tries`` below 1.
    """
    protocol = (protocol or "https").lower()
    if protocol not in ("http", "https"):
        raise ValueError(_("Unsupported protocol %r: use 'https' or "
                           "'http'.") % protocol)
    if pool_maxsize < 1:
        raise ValueError(_("pool_maxsize must be at least 1, got "
                           "%r.") % pool_maxsize)
    if isinstance(conn_tries, bool) or not isinstance(conn_tries, int) \
            or conn_tries < 1:
        raise ValueError(_("conn_tries must be an integer of at least 1, "
                           "got %r.") % (conn_tries,))
    return protocol


def _checked_host(host: str) -> str:
    if paths.has_control_character(host) or "/" in host or "@" in host:
        raise ValueError(_("Invalid host %s.") % pvmex.printable(host))
    return host


class Session:
    """A logged-on connection to one PowerVM REST server.

    The first ten parameters are pypowervm's, in its order, so a Session
    built for it with a user and password builds here
    (``Session(host, user, password, auditmemento, ..., conn_tries=60)``).
    pypowervm's local logon without a password (file-based) is not
    offered: without ``username`` and ``password`` the logon raises
    ``ValueError``.

    :param host: server host name or address.
    :param username: user to log on as.
    :param password: that user's password (kept private, never logged).
    :param auditmemento: the tag the server logs each request under (the
        ``X-Audit-Memento`` header of every request); by default the name
        of the user running this process, or ``'default'``.
    :param protocol: ``'https'`` (default) or ``'http'``.
    :param port: server port; default 12443 for https, 12080 for http.
    :param timeout: default timeout of every request, in seconds: it bounds
        the whole exchange, not only each wait for data.
    :param certpath: the CA to verify the server with over https: a CA
        file, or a folder holding ``<host><certext>`` (used when there)
        or OpenSSL-hashed CA certificates; ignored for http.  Cannot be
        combined with a ``verify`` other than ``True``.
    :param certext: the extension of the ``<host><certext>`` file
        (default ``'.crt'``).
    :param conn_tries: how many times the first logon is tried when the
        server cannot be reached (a connection error, or a 404 from a REST
        server still starting), :data:`CONN_RETRY_DELAY` seconds apart
        (``conn_delay``).  Requests have their own ``get_retries``.
    :param verify: certificate verification for https: ``True`` (default;
        ``certpath`` when given, else the CA bundle named by
        ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when ``trust_env`` is
        true and one is set, else requests' own bundle), a CA bundle file
        or directory path (used as given, whatever the environment says),
        or ``False`` to switch verification off.
    :param conn_delay: seconds between the tries of the first logon.
    :param pool_maxsize: connections kept open for reuse; at least the
        number of threads that use this Session at once (a FeedTask's
        ``max_workers``).
    :param get_retries: extra tries of an idempotent request (GET) after a
        connection error, a 502/503/504 answer, or a second expired
        session.
    :param retry_delay: ``f(attempt) -> seconds`` slept before such a retry.
    :param trust_env: read the CA bundle and proxies from the environment
        (once, here) like requests does.
    :param logon: log on now (the default); otherwise call :meth:`logon`.
    :param max_body: the largest response body accepted, in bytes (after
        decoding); a larger one is refused as a protocol error.
    :param transport: what sends the requests, for tests and special
        deployments: any :class:`~pypvm_tx.adapter.transport.Transport`.
        By default a :class:`~pypvm_tx.adapter.transport.Urllib3Transport`
        built from ``verify``, ``pool_maxsize``, ``max_body`` and the
        environment's proxies; a transport given here is used as it is,
        and those settings do not reach it.
    :param event_hooks: ``{"request": [...], "response": [...]}``, as in
        httpx: each ``request`` hook is called as ``hook(method, url)``
        just before every HTTP exchange, each ``response`` hook as
        ``hook(response)`` with the :class:`Response` just after it,
        whatever its status.  Every exchange counts: each retry, each
        logon (the first, and any after a 401) and the logoff; an
        exchange that fails in the transport has no response to show.
        A hook that raises ends the request with its exception (a
        request hook's before anything is sent), unless that exception is
        one a GET is retried on.  The lists are kept in
        :attr:`event_hooks` and may be changed later.
    :raises ValueError: an unknown protocol, a bad ``auditmemento``, a
        ``certpath`` that names nothing, ``certpath`` with ``verify`` other
        than ``True``, or ``conn_tries`` or ``pool_maxsize`` below 1.
    """

    def __init__(self, host: str = "localhost", username: Optional[str] = None,
                 password: Optional[str] = None,
                 auditmemento: Optional[str] = None,
                 protocol: Optional[str] = None, port: Optional[int] = None,
                 timeout: float = 1200,
                 certpath: Union[None, str, "os.PathLike[str]"] = None,
                 certext: Optional[str] = None, conn_tries: int = 1,
                 verify: Verify = True, *,
                 conn_delay: float = CONN_RETRY_DELAY,
                 pool_maxsize: int = 20, get_retries: int = 2,
                 retry_delay: Optional[Callable[[int], float]]
                 = default_retry_delay,
                 trust_env: bool = True, logon: bool = True,
                 max_body: int = MAX_BODY_BYTES,
                 transport: Optional[Transport] = None,
                 event_hooks: Optional[Mapping[str, Sequence[Callable]]]
                 = None):
        protocol = _checked_options(protocol, pool_maxsize, conn_tries)
        if port is None:
            port = (c.DEFAULT_HTTPS_PORT if protocol == "https"
                    else c.DEFAULT_HTTP_PORT)
        self.host = _checked_host(host)
        self.port = int(port)
        self.protocol = protocol
        self.username = username
        self.__password = password
        self.auditmemento = logon_.checked_memento(auditmemento)
        self.timeout = timeout
        self.certpath = certpath
        self.certext = certext
        self.conn_tries = conn_tries
        self.conn_delay = conn_delay
        self.get_retries = max(0, int(get_retries))
        self.retry_delay = retry_delay
        self.pool_maxsize = pool_maxsize
        #: The hooks called around each exchange (see ``event_hooks``).
        self.event_hooks = _event_hooks(event_hooks)
        host_part = "[%s]" % host if ":" in host else host
        #: ``scheme://host:port`` every request goes to.
        self.dest = "%s://%s:%d" % (protocol, host_part, self.port)
        self.verify = self._resolve_verify(verify_with_certpath(
            verify, certpath, certext, self.host, protocol == "https",
            self.dest), trust_env)
        self._transport = transport if transport is not None else \
            self._default_transport(trust_env, max_body)
        self._logon_lock = threading.Lock()
        self._headers = self._auth_headers(None)
        if logon:
            self._first_logon()

    def _default_transport(self, trust_env: bool,
                           max_body: int) -> Urllib3Transport:
        """The urllib3 transport, with the environment's proxies if any."""
        if self.verify is False and self.protocol == "https":
            warnings.warn(urllib3.exceptions.InsecureRequestWarning(
                "TLS certificate verification is off for %s." % self.dest),
                stacklevel=3)
        proxies = (requests.utils.get_environ_proxies(self.dest)
                   if trust_env else {})
        if not requests.utils.select_proxy(self.dest, proxies):
            proxies = {}
        return Urllib3Transport(self.dest, self.verify, self.pool_maxsize,
                                proxies, max_body=max_body)

    # -- identity and lifecycle -------------------------------------------

    def __repr__(self):
        return "<Session %s user=%s %s>" % (
            self.dest, self.username,
            "logged on" if self.logged_on else "not logged on")

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.logoff()

    @staticmethod
    def _resolve_verify(verify: Verify, trust_env: bool) -> Union[bool, str]:
        """The transport's ``verify``
        (:func:`~pypvm_tx.adapter.certs.resolve_verify`), with a warning
        when it is off."""
        resolved = resolve_verify(verify, trust_env)
        if resolved is False:
            LOG.warning("TLS certificate verification is switched off for "
                        "this session.")
        return resolved

    def _auth_headers(self, token: Optional[str]) -> Dict[str, str]:
        """What every request carries.  Replaced as a whole on logon, so a
        thread never sees half of one token and half of another."""
        headers = {"Accept": _ACCEPT_ANY, "User-Agent": _USER_AGENT,
                   "Accept-Encoding": "gzip, deflate",
                   c.AUDIT_MEMENTO_HEADER: self.auditmemento}
        if token:
            headers[c.SESSION_HEADER] = token
        return paths.checked_headers(headers)

    def _set_token(self, token: Optional[str]) -> None:
        self._headers = self._auth_headers(token)

    @property
    def _token(self) -> Optional[str]:
        return self._headers.get(c.SESSION_HEADER)

    @property
    def logged_on(self) -> bool:
        return self._token is not None

    def logon(self) -> None:
        """Log on (``PUT /rest/api/web/Logon``) and keep the session token.

        :raises HttpUnauth: the user name or password was refused.
        """
        if self.username is None or self.__password is None:
            raise ValueError(_("Cannot log on to %s: a username and password "
                               "are required.") % self.dest)
        body = logon_.logon_body(self.username, self.__password)
        headers = {c.CONTENT_TYPE: c.LOGON_REQUEST_TYPE,
                   "Accept": c.LOGON_RESPONSE_TYPE}
        LOG.debug("Logging on to %s as %s.", self.dest, self.username)
        resp = self._send_once("PUT", c.LOGON_PATH, body, headers,
                               self._auth_headers(None), self.timeout,
                               sensitive=True)
        self._set_token(logon_.logon_token(resp, self.dest, self.username))
        LOG.debug("Logged on to %s as %s.", self.dest, self.username)

    def _first_logon(self) -> None:
        """:meth:`logon`, tried ``conn_tries`` times while the server cannot
        be reached (a connection error, or a 404 from a REST server that is
        still starting), ``conn_delay`` seconds apart."""
        backoff.Retrying(
            stop=backoff.stop_after_attempt(self.conn_tries),
            wait=backoff.wait_fixed(self.conn_delay),
            retry=backoff.retry_if_exception(logon_.unreachable),
            before_sleep=self._log_logon_retry)(self.logon)

    def _log_logon_retry(self, state: backoff.RetryState,
                         seconds: float) -> None:
        LOG.warning(_("Cannot log on to %(dest)s (%(cause)s): is the REST "
                      "server started?  Try %(try)d of %(tries)d failed; "
                      "trying again in %(s).1f s."),
                    {"dest": self.dest,
                     "cause": pvmex.printable(state.exception),
                     "try": state.attempt, "tries": self.conn_tries,
                     "s": seconds})

    def logoff(self) -> None:
        """Log off (``DELETE`` on the logon path); safe to call twice."""
        headers = self._headers
        if c.SESSION_HEADER not in headers:
            return
        self._set_token(None)
        try:
            resp = self._send_once("DELETE", c.LOGON_PATH, None, None,
                                   headers, self.timeout)
            if resp.status >= c.HTTP_BAD_REQUEST and \
                    resp.status != c.HTTP_UNAUTHORIZED:
                LOG.warning("Logoff from %s answered HTTP %s.", self.dest,
                            resp.status)
        except pvmex.Error as exc:
            LOG.warning("Logoff from %s failed: %s", self.dest, exc)
        finally:
            self._transport.close()

    def _relogon(self, stale_token: Optional[str]) -> None:
        """Log on again after a 401, once for all threads that saw it."""
        with self._logon_lock:
            token = self._token
            if token is not None and token != stale_token:
                return  # another thread already logged on again
            LOG.info("Session to %s expired; logging on again.", self.dest)
            self.logon()

    # -- requests ---------------------------------------------------------

    def url(self, path_or_href: str) -> str:
        """The URL a path (``/rest/...``) or an href addresses on this server.

        An href's scheme, host and port are replaced by this session's: the
        session token is only ever sent to the server it came from.
        """
        return self.dest + paths.request_target(path_or_href)

    def request(self, method: str, path: str,
                body: Union[bytes, str, None] = None,
                headers: Optional[Dict[str, str]] = None,
                timeout: Optional[float] = -1,
                adapter: Optional["Adapter"] = None,
                relogon: bool = True,
                auditmemento: Optional[str] = None) -> Response:
        """Send one request carrying the session token; return the Response.

        ``path`` is a path with query or an absolute href; it is
        percent-encoded as ``requests`` does, and refused with
        ``ValueError`` (nothing sent) if it or a header value holds a
        control character.  Statuses 2xx and 304 are returned; 400 and
        above raise :func:`~pypvm_tx.exceptions.http_error_for`, and any
        other (a redirect, an interim status) raises ``HttpError`` too.

        A 401 on a request made with a token logs on again (shared by all
        threads) and repeats the request: once for any request, and again
        for an idempotent one while it has tries left.  Idempotent requests
        are retried on connection errors and 502/503/504 (and a logon
        answered so); others never are; a malformed reply never is.  In a
        :func:`~pypvm_tx.backoff.deadline_scope`, each try's timeout is cut
        to the time left, and :class:`~pypvm_tx.exceptions.DeadlineExceeded`
        is raised once it is gone.  ``auditmemento`` replaces the Session's
        for this request.
        """
        if not self.logged_on:
            raise pvmex.HttpUnauth(
                Response(method, path, c.HTTP_UNAUTHORIZED, "Unauthorized"),
                msg=_("Cannot send %(m)s %(p)s: the session is not logged "
                      "on.") % {"m": method, "p": pvmex.printable(path)})
        if isinstance(body, str):
            body = body.encode("utf-8")
        if timeout == -1:
            timeout = self.timeout
        # The target is checked (and encoded) by each exchange, before it
        # sends anything; the caller's headers are checked here, once.
        if auditmemento:
            headers = dict(headers or {}, **{
                c.AUDIT_MEMENTO_HEADER: logon_.checked_memento(auditmemento)})
        paths.checked_headers(headers or {})
        return RequestTries(self, method, path, body, headers, timeout,
                            adapter, relogon).run()

    def _send_once(self, method, path, body, extra, auth_headers, timeout,
                   adapter=None, sensitive=False) -> Response:
        """One HTTP exchange, between the event hooks; transport failures
        become pypvm_tx errors."""
        target = paths.checked_target(paths.request_target(path))
        url = self.dest + target
        what = "%s %s" % (method, url)
        bounded = backoff.bounded_timeout(timeout, what)
        headers = dict(auth_headers, **extra) if extra else auth_headers
        for hook in self.event_hooks["request"]:
            hook(method, url)
        start = time.monotonic()
        raw = self._exchange(method, target, body, headers, timeout, bounded,
                             what)
        if LOG.isEnabledFor(std_logging.DEBUG):
            LOG.debug("%(m)s %(u)s -> %(s)s (%(ms).1f ms)",
                      {"m": method, "u": pvmex.printable(url),
                       "s": raw.status,
                       "ms": (time.monotonic() - start) * 1000})
        resp = Response(method, path, raw.status, raw.reason, raw.headers,
                        reqheaders=extra,
                        reqbody=b"" if sensitive else (body or b""),
                        body=raw.body, adapter=adapter)
        for hook in self.event_hooks["response"]:
            hook(resp)
        return resp

    def _exchange(self, method, target, body, headers, timeout, bounded,
                  what) -> RawResponse:
        """The transport's exchange; a timeout that the deadline cut short
        is a :class:`~pypvm_tx.exceptions.DeadlineExceeded`."""
        try:
            return self._transport.send(method, target, body, headers,
                                        bounded)
        except pvmex.TimeoutError as exc:
            if bounded is not None and (timeout is None or bounded < timeout):
                cut = pvmex.DeadlineExceeded(_(
                    "%(what)s was cut at the deadline after %(t).3f s.") % {
                        "what": pvmex.printable(what), "t": bounded})
                cut.request_sent = exc.request_sent
                raise cut from exc
            raise
