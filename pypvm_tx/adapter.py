"""The REST layer: Atom responses, the hardened XML parser, and (below)
the HTTP ``Session`` and ``Adapter``.

This is the bottom layer of pypvm_tx.  It knows HTTP and Atom; it knows
nothing of LPARs, VIOSes or transactions.

Parsing (SPEC A3, A4)
---------------------
Every XML body this library reads goes through :func:`parse_xml`, which
refuses DOCTYPE declarations outright (so no entity expansion, no
"billion laughs", no XXE file or network reads are possible) and parses
with an lxml parser that also has entity resolution, DTD loading and
network access switched off.  Bodies over :data:`MAX_XML_BYTES` are
refused before parsing so a hostile server cannot exhaust memory.

A response's body is parsed whole, once, when its ``feed`` or ``entry``
is first read (libxml2 reads a 1,000-LPAR feed in about 0.1 ms per
entry): an entry's identity -- its UUID, the lock key; its etag, SELF
link and object type -- is what the parser reads, and a malformed entry
fails there, not later in whatever thread uses it.
"""

import logging as std_logging
import os
import re
import threading
import time
import warnings
from typing import List, Optional
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape as _saxutils_escape

import requests
import requests.utils
import urllib3
import urllib3.exceptions
from lxml import etree
from oslo_log import log as logging
from requests.structures import CaseInsensitiveDict

from pypvm_tx import _wire
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)

#: Largest XML body (in bytes) that will be parsed.  A feed of 2,000 LPARs
#: is about 25 MB; anything near this bound is hostile or broken.
MAX_XML_BYTES = 256 * 1024 * 1024

_ATOM = "{%s}" % c.ATOM_NS
_TAG_FEED = _ATOM + "feed"
_TAG_ENTRY = _ATOM + "entry"
_TAG_ID = _ATOM + "id"
_TAG_TITLE = _ATOM + "title"
_TAG_LINK = _ATOM + "link"
_TAG_CONTENT = _ATOM + "content"
_TAG_ENTRY_ETAG = "{%s}etag" % c.ETAG_NS

_parsers = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's hardened parser (lxml parsers are not shared safely)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False,
            dtd_validation=False, huge_tree=False, remove_pis=True,
            collect_ids=False)
        _parsers.parser = parser
    return parser


def parse_xml(body, what: str = "XML") -> etree._Element:
    """Parse ``body`` (bytes or str) safely and return its root element.

    :raises AtomError: the body is empty, too large, declares a DOCTYPE,
        or is not well-formed.
    """
    body = _checked_xml(body, what)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(what, exc) from None
    if root.getroottree().docinfo.doctype:  # belt and braces (A4)
        raise pvmex.AtomError(
            _("Refusing to parse %s: DOCTYPE and ENTITY declarations are "
              "not allowed.") % what)
    return root


def _checked_xml(body, what: str) -> bytes:
    """``body`` as bytes, after the checks of :func:`parse_xml` (A4)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(_("Expected an XML body as bytes or str, got "
                          "%s.") % type(body).__name__)
    if not body or body.isspace():
        raise pvmex.AtomError(_("Cannot parse %s: the body is empty.") % what)
    if len(body) > MAX_XML_BYTES:
        raise pvmex.AtomError(
            _("Refusing to parse %(what)s: %(size)d bytes exceeds the limit "
              "of %(limit)d.") % {"what": what, "size": len(body),
                                  "limit": MAX_XML_BYTES})
    prolog = _PROLOG_RE.match(body)
    if prolog is None or (prolog.group(1) and prolog.group(1).lower()
                          not in _ASCII_ENCODINGS):
        # The byte scan below sees declarations only in an ASCII-compatible
        # encoding: UTF-16, UTF-7, EBCDIC ... could hide a DOCTYPE from it.
        raise pvmex.AtomError(
            _("Refusing to parse %s: it is not well-formed XML in UTF-8 "
              "(or ASCII), the only encodings accepted.") % what)
    # "!" (one memchr) is rare in PowerVM XML; only a body holding one can
    # hold a declaration, so only such a body pays for the two scans.
    if b"!" in body and (b"<!DOCTYPE" in body or b"<!ENTITY" in body):
        raise pvmex.AtomError(
            _("Refusing to parse %s: DOCTYPE and ENTITY declarations are "
              "not allowed.") % what)
    return body


#: A body's start: optional UTF-8 byte order mark, blanks, then ``<`` not
#: followed by NUL (as in UTF-16/32); group 1 is the encoding its XML
#: declaration names, if any.
_PROLOG_RE = re.compile(
    rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<(?!\x00)"
    rb"(?:\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._-]*)[\"'])?")
_ASCII_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})


def _not_well_formed(what: str, error) -> pvmex.AtomError:
    return pvmex.AtomError(
        _("Cannot parse %(what)s: it is not well-formed XML (%(err)s).") % {
            "what": what, "err": error})


def _text(element: Optional[etree._Element]) -> Optional[str]:
    """The element's text as parsed (CDATA and character references
    resolved, comments skipped), stripped; None if absent or blank."""
    if element is None:
        return None
    return "".join(element.itertext()).strip() or None


def _self_href(element: etree._Element) -> Optional[str]:
    for link in element.iterchildren(_TAG_LINK):
        if link.get("rel") == c.LINK_REL_SELF:
            return link.get("href")
    return None


def _object_element(entry: etree._Element) -> Optional[etree._Element]:
    """The first element (not comment) of the entry's first ``<content>``."""
    content = next(entry.iterchildren(_TAG_CONTENT), None)
    if content is None:
        return None
    return next(content.iterchildren(etree.Element), None)


def _identity(entry: etree._Element) -> tuple:
    """``(uuid, href, etag, schema_type)`` of an ``<entry>`` element, each
    None when not found."""
    obj = _object_element(entry)
    return (_text(next(entry.iterchildren(_TAG_ID), None)),
            _self_href(entry),
            _text(next(entry.iterchildren(_TAG_ENTRY_ETAG), None)),
            etree.QName(obj).localname if obj is not None else None)


class Entry:
    """One Atom ``<entry>``: its identity, SELF link, etag and content.

    ``uuid``, ``href``, ``etag`` and ``schema_type`` (the local name of
    the content's object element, which picks the wrapper class) are
    read from the parsed ``element`` when the entry is made.  ``etag`` is
    the response's ETag header for a single-entry response, or the
    entry's own ``<etag:etag>`` inside a feed.
    """

    def __init__(self, element: etree._Element, etag: Optional[str] = None,
                 adapter=None):
        self.element = element
        self.adapter = adapter
        self.uuid, self.href, own_etag, self.schema_type = _identity(element)
        self.etag = etag if etag is not None else own_etag

    @property
    def title(self) -> Optional[str]:
        return self.element.findtext(_TAG_TITLE)

    @property
    def content(self) -> Optional[etree._Element]:
        """The object element inside ``<content>`` (e.g. LogicalPartition)."""
        return _object_element(self.element)


class Feed:
    """An Atom ``<feed>``: its SELF link, etag and entries."""

    def __init__(self, element: etree._Element, etag: Optional[str] = None,
                 adapter=None):
        self.element = element
        self.etag = etag
        self.adapter = adapter
        self.href = _self_href(element)
        self.entries: List[Entry] = [
            Entry(entry, adapter=adapter)
            for entry in element.iterchildren(_TAG_ENTRY)]


#: Statuses whose responses have no body (RFC 9110): no feed, no entry.
_BODILESS_STATUSES = frozenset({c.HTTP_NO_CONTENT, c.HTTP_NOT_MODIFIED})
#: How much of a body that is not Atom an error message shows.
_EXCERPT_CHARS = 80
#: Characters that would break a message across log lines or into
#: terminal controls.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``):
    one line in a log whatever a server sent."""
    return _CONTROL_RE.sub(
        lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _parse_atom(body, etag, adapter, what) -> tuple:
    """``(feed, entry)`` of an Atom body, one of them None."""
    root = parse_xml(body, what)
    if root.tag == _TAG_FEED:
        return Feed(root, etag=etag, adapter=adapter), None
    if root.tag == _TAG_ENTRY:
        return None, Entry(root, etag=etag, adapter=adapter)
    raise pvmex.AtomError(
        _("Cannot read %(what)s: it is not an Atom feed or entry (root "
          "element %(tag)s).") % {"what": what, "tag": root.tag})


class Response:
    """One HTTP response from the REST server (SPEC A3).

    ``feed`` and ``entry`` are parsed from the Atom body lazily, the first
    time either is read; a body that is not well-formed Atom (any entry
    of a feed included) raises :class:`~pypvm_tx.exceptions.AtomError`
    at that point, saying what came back.  A response without a body
    (204, 304) has neither.
    """

    def __init__(self, reqmethod: str, reqpath: str, status: int,
                 reason: str, headers=None, reqheaders=None, reqbody="",
                 body="", adapter=None):
        self.reqmethod = reqmethod
        self.reqpath = reqpath
        self.status = status
        self.reason = reason
        self.headers = CaseInsensitiveDict(headers or {})
        # Kept for debugging; never part of any log line or message.  Held
        # as given (copied) until read, which is rare: see reqheaders.
        self._reqheaders = dict(reqheaders) if reqheaders else {}
        self.reqbody = reqbody
        self.body = body
        self.adapter = adapter
        self._parsed = False
        self._feed = None
        self._entry = None

    def __repr__(self):
        return "<Response %s %s -> %s>" % (self.reqmethod, self.reqpath,
                                           self.status)

    @property
    def reqheaders(self) -> CaseInsensitiveDict:
        """The request's headers (built on first use: hardly ever read)."""
        if not isinstance(self._reqheaders, CaseInsensitiveDict):
            self._reqheaders = CaseInsensitiveDict(self._reqheaders)
        return self._reqheaders

    @reqheaders.setter
    def reqheaders(self, value):
        self._reqheaders = CaseInsensitiveDict(value or {})

    @property
    def etag(self) -> Optional[str]:
        """The ``ETag`` header, unquoted, or None."""
        etag = self.headers.get(c.ETAG)
        return etag.strip('"') if etag else None

    @property
    def feed(self) -> Optional[Feed]:
        """The parsed :class:`Feed`; None if the body is an entry or there
        is no body (204, 304)."""
        self._parse()
        return self._feed

    @property
    def entry(self) -> Optional[Entry]:
        """The parsed :class:`Entry`; None if the body is a feed or there
        is no body (204, 304)."""
        self._parse()
        return self._entry

    def _parse(self):
        if self._parsed:
            return
        if self.status not in _BODILESS_STATUSES:
            what = _("the response to %(m)s %(p)s") % {
                "m": self.reqmethod, "p": _one_line(str(self.reqpath))}
            try:
                self._feed, self._entry = _parse_atom(
                    self.body, self.etag, self.adapter, what)
            except pvmex.AtomError as exc:
                raise pvmex.AtomError(self._what_came_back(exc),
                                      response=self) from None
        self._parsed = True

    def _what_came_back(self, error: pvmex.AtomError) -> str:
        """``error``'s message, with what was expected and what came back:
        the Content-Type and the start of the body, escaped so that a
        hostile body is one line in a log."""
        body = self.body or b""
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body[:_EXCERPT_CHARS * 4]).decode("utf-8", "replace")
        content_type = self.headers.get(c.CONTENT_TYPE)
        return _("%(error)s Expected Atom XML (%(atom)s or %(uom)s); got "
                 "%(type)s and a body of %(size)d bytes starting "
                 "'%(start)s'.") % {
            "error": _one_line(str(error)), "atom": c.ATOM_TYPE,
            "uom": c.UOM_TYPE,
            "type": (_("Content-Type %s") % _one_line(content_type[:100])
                     if content_type else _("no Content-Type")),
            "size": len(self.body or b""),
            "start": _one_line(body[:_EXCERPT_CHARS])}

    @property
    def server_message(self) -> Optional[str]:
        """The ``Message`` of an ``HttpErrorResponse`` body, if there is one.

        Never raises: an error body that cannot be parsed yields None.
        """
        if not self.body or (b"HttpErrorResponse" not in self.body
                             if isinstance(self.body, bytes)
                             else "HttpErrorResponse" not in self.body):
            return None
        try:
            root = parse_xml(self.body)
        except pvmex.AtomError:
            return None
        for elem in root.iter("{%s}Message" % c.WEB_NS,
                              "{%s}Message" % c.UOM_NS):
            if elem.text:
                return elem.text.strip()
        return None


# ---------------------------------------------------------------------------
# HTTP: Session (SPEC A1) and Adapter (SPEC A2)
# ---------------------------------------------------------------------------
#
# A Session owns one ``requests.Session`` whose mounted transport adapter
# holds the pool of keep-alive connections (sized for the threads that
# share the Session).  Requests are sent on those pooled connections by
# :mod:`pypvm_tx._wire`, which keeps the client's CPU cost per request
# small (see there why); through a proxy, requests' own ``send`` is used.
# Environment settings (CA bundle, proxies) are read once, at construction.

_LOGON_REQUEST = (
    '<LogonRequest xmlns="%(ns)s" schemaVersion="%(ver)s">'
    '<Metadata><Atom/></Metadata>'
    '<UserID kb="CUR" kxe="false">%%(user)s</UserID>'
    '<Password kb="CUR" kxe="false">%%(password)s</Password>'
    '</LogonRequest>') % {"ns": c.WEB_NS, "ver": c.SCHEMA_VERSION}

_TAG_LOGON_TOKEN = "{%s}X-API-Session" % c.WEB_NS
_USER_AGENT = "pypvm_tx"
_ACCEPT_ANY = "%s, %s" % (c.ATOM_TYPE, c.UOM_TYPE)
_IDEMPOTENT = frozenset({"GET", "HEAD"})


def _xml_escape(text: str) -> str:
    """``text`` escaped for XML element content or a quoted attribute."""
    return _saxutils_escape(text, {'"': "&quot;"})


def default_retry_delay(attempt: int) -> float:
    """Backoff before retry ``attempt`` (1-based) of an idempotent request:
    0.1 s, 0.2 s, 0.4 s ... capped at 2 s."""
    return min(0.1 * (2 ** (attempt - 1)), 2.0)


def _env_ca_bundle() -> Optional[str]:
    return (os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE") or None)


class _Auth:
    """What every request of a Session carries: the token (or none), as a
    header dict and as a ready-made header block.  Replaced as a whole on
    logon, so a thread never sees half of one and half of another."""

    __slots__ = ("token", "headers", "block")

    def __init__(self, host_header: str, token: Optional[str]):
        self.token = token
        self.headers = {"Accept": _ACCEPT_ANY, "User-Agent": _USER_AGENT,
                        "Accept-Encoding": "gzip, deflate"}
        if token:
            self.headers[c.SESSION_HEADER] = _wire.check_header_value(
                c.SESSION_HEADER, token)
        self.block = "Host: %s\r\n%s" % (host_header, "".join(
            "%s: %s\r\n" % item for item in self.headers.items()))


class Session:
    """A logged-on connection to one PowerVM REST server (SPEC A1).

    :param host: server host name or address.
    :param username: user to log on as.
    :param password: that user's password (kept private, never logged).
    :param protocol: ``'https'`` (default) or ``'http'``.
    :param port: server port; default 12443 for https, 12080 for http.
    :param timeout: default timeout of every request, in seconds.
    :param verify: certificate verification for https: ``True`` (default;
        the CA bundle named by ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when
        ``trust_env`` is true and one is set, else requests' own bundle),
        a CA bundle file or directory path (used as given, whatever the
        environment says), or ``False`` to switch verification off.
    :param pool_maxsize: connections kept open for reuse; at least the
        number of threads that use this Session at once (a FeedTask's
        ``max_workers``).
    :param get_retries: extra tries of an idempotent request (GET) after a
        connection error or a 502/503/504 answer.
    :param retry_delay: ``f(attempt) -> seconds`` slept before such a retry.
    :param trust_env: read the CA bundle and proxies from the environment
        (once, here) like requests does.
    :param logon: log on now (the default); otherwise call :meth:`logon`.
    """

    def __init__(self, host: str = "localhost", username: Optional[str] = None,
                 password: Optional[str] = None, protocol: str = "https",
                 port: Optional[int] = None, timeout: float = 1200,
                 verify=True, pool_maxsize: int = 20, get_retries: int = 2,
                 retry_delay=default_retry_delay, trust_env: bool = True,
                 logon: bool = True):
        protocol = (protocol or "https").lower()
        if protocol not in ("http", "https"):
            raise ValueError(_("Unsupported protocol %r: use 'https' or "
                               "'http'.") % protocol)
        if pool_maxsize < 1:
            raise ValueError(_("pool_maxsize must be at least 1, got "
                               "%r.") % pool_maxsize)
        if port is None:
            port = (c.DEFAULT_HTTPS_PORT if protocol == "https"
                    else c.DEFAULT_HTTP_PORT)
        self.host = host
        self.port = int(port)
        self.protocol = protocol
        self.username = username
        self.__password = password
        self.timeout = timeout
        self.get_retries = max(0, int(get_retries))
        self.retry_delay = retry_delay
        self.pool_maxsize = pool_maxsize
        host_part = "[%s]" % host if ":" in host else host
        self._host_header = "%s:%d" % (host_part, self.port)
        #: ``scheme://host:port`` every request goes to.
        self.dest = "%s://%s" % (protocol, self._host_header)
        self.verify = self._resolve_verify(verify, trust_env)
        if self.verify is False and protocol == "https":
            warnings.warn(urllib3.exceptions.InsecureRequestWarning(
                "TLS certificate verification is off for %s." % self.dest),
                stacklevel=2)
        self._http = requests.Session()
        # Everything environment-derived is resolved once, here.
        self._http.trust_env = False
        self._transport = _wire.Transport(
            pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        self._http.mount("https://", self._transport)
        self._http.mount("http://", self._transport)
        self._proxies = (requests.utils.get_environ_proxies(self.dest)
                         if trust_env else {})
        self._via_proxy = bool(requests.utils.select_proxy(self.dest,
                                                           self._proxies))
        self._pool = None
        self._logon_lock = threading.Lock()
        self._auth = _Auth(self._host_header, None)
        if logon:
            self.logon()

    # -- identity and lifecycle -------------------------------------------

    def __repr__(self):
        return "<Session %s user=%s %s>" % (
            self.dest, self.username,
            "logged on" if self._auth.token else "not logged on")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.logoff()

    @staticmethod
    def _resolve_verify(verify, trust_env):
        if verify is True or verify is None:
            return (_env_ca_bundle() if trust_env else None) or True
        if verify is False:
            LOG.warning("TLS certificate verification is switched off for "
                        "this session.")
            return False
        path = os.fspath(verify)
        if not os.path.exists(path):
            raise ValueError(_("verify must be True, False or the path of a "
                               "CA bundle file or directory; %s does not "
                               "exist.") % path)
        return path

    @property
    def logged_on(self) -> bool:
        return self._auth.token is not None

    def logon(self):
        """Log on (``PUT /rest/api/web/Logon``) and keep the session token.

        :raises HttpUnauth: the user name or password was refused.
        """
        if self.username is None or self.__password is None:
            raise ValueError(_("Cannot log on to %s: a username and password "
                               "are required.") % self.dest)
        body = (_LOGON_REQUEST % {
            "user": _xml_escape(self.username),
            "password": _xml_escape(self.__password)}).encode("utf-8")
        headers = {c.CONTENT_TYPE: c.LOGON_REQUEST_TYPE,
                   "Accept": c.LOGON_RESPONSE_TYPE}
        LOG.debug("Logging on to %s as %s.", self.dest, self.username)
        resp = self._send_once("PUT", c.LOGON_PATH, body, headers,
                               _Auth(self._host_header, None), self.timeout,
                               sensitive=True)
        if resp.status == c.HTTP_UNAUTHORIZED:
            raise pvmex.HttpUnauth(resp, msg=_(
                "Logon to %(dest)s as %(user)s was refused (HTTP 401): the "
                "user name or password is wrong.") % {
                    "dest": self.dest, "user": self.username})
        if resp.status >= c.HTTP_BAD_REQUEST:
            raise pvmex.http_error_for(resp)
        root = parse_xml(resp.body, what=_("the logon response"))
        token = root.findtext(_TAG_LOGON_TOKEN)
        if not token or not token.strip():
            raise pvmex.AtomError(_("The logon response from %s holds no "
                                    "session token.") % self.dest)
        self._set_token(token.strip())
        LOG.debug("Logged on to %s as %s.", self.dest, self.username)

    def _set_token(self, token):
        self._auth = _Auth(self._host_header, token)

    def logoff(self):
        """Log off (``DELETE`` on the logon path); safe to call twice."""
        auth = self._auth
        if auth.token is None:
            return
        self._set_token(None)
        try:
            resp = self._send_once("DELETE", c.LOGON_PATH, None, None, auth,
                                   self.timeout)
            if resp.status >= c.HTTP_BAD_REQUEST and \
                    resp.status != c.HTTP_UNAUTHORIZED:
                LOG.warning("Logoff from %s answered HTTP %s.", self.dest,
                            resp.status)
        except pvmex.Error as exc:
            LOG.warning("Logoff from %s failed: %s", self.dest, exc)
        finally:
            self._pool = None
            self._http.close()

    def _relogon(self, stale_token):
        """Log on again after a 401, once for all threads that saw it."""
        with self._logon_lock:
            token = self._auth.token
            if token is not None and token != stale_token:
                return  # another thread already logged on again
            LOG.info("Session to %s expired; logging on again.", self.dest)
            self.logon()

    # -- requests ----------------------------------------------------------

    def url_for(self, path_or_href: str) -> str:
        """The URL a path (``/rest/...``) or an href addresses on this server.

        An href's scheme, host and port are replaced by this session's: the
        session token is only ever sent to the server it came from.
        """
        return self.dest + self._target(path_or_href)

    @staticmethod
    def _target(path_or_href: str) -> str:
        """The path and query (request target) of a path or an href."""
        if path_or_href.startswith("/"):
            return path_or_href
        parts = urlsplit(path_or_href)
        if not parts.scheme or not parts.path.startswith("/"):
            raise ValueError(_("Expected a path starting with '/' or an "
                               "absolute http(s) URL, got %r.")
                             % path_or_href)
        return parts.path + ("?" + parts.query if parts.query else "")

    def request(self, method: str, path: str, body=None, headers=None,
                timeout: float = -1, adapter=None,
                relogon: bool = True) -> Response:
        """Send one request carrying the session token; return the Response.

        ``path`` is a path with query or an absolute href.  Statuses below
        400 (304 included) are returned; 400 and above raise
        :func:`~pypvm_tx.exceptions.http_error_for`.  A 401 on a request
        made with a token logs on again (once, shared by all threads) and
        repeats the request.  Idempotent requests are retried on connection
        errors and 502/503/504; others never are.
        """
        if self._auth.token is None:
            raise pvmex.HttpUnauth(
                Response(method, path, c.HTTP_UNAUTHORIZED, "Unauthorized"),
                msg=_("Cannot send %(m)s %(p)s: the session is not logged "
                      "on.") % {"m": method, "p": path})
        if isinstance(body, str):
            body = body.encode("utf-8")
        if timeout == -1:
            timeout = self.timeout
        idempotent = method in _IDEMPOTENT
        tries = 1 + self.get_retries if idempotent else 1
        relogged = not relogon
        attempt = 0
        while True:
            attempt += 1
            auth = self._auth
            try:
                resp = self._send_once(method, path, body, headers, auth,
                                       timeout, adapter=adapter)
            except pvmex.ConnectionError as exc:
                if attempt >= tries:
                    raise
                LOG.warning("%(m)s %(p)s failed (try %(t)d of %(n)d), "
                            "retrying: %(e)s", {"m": method, "p": path,
                                                "t": attempt, "n": tries,
                                                "e": exc})
                self._sleep(attempt)
                continue
            status = resp.status
            if status < c.HTTP_BAD_REQUEST:
                return resp
            if status == c.HTTP_UNAUTHORIZED and not relogged:
                relogged = True
                attempt -= 1  # a re-logon does not use up a try
                self._relogon(auth.token)
                continue
            if (idempotent and status in c.TRANSIENT_HTTP_STATUSES
                    and attempt < tries):
                LOG.warning("%(m)s %(p)s answered HTTP %(s)d (try %(t)d of "
                            "%(n)d), retrying.", {"m": method, "p": path,
                                                  "s": status, "t": attempt,
                                                  "n": tries})
                self._sleep(attempt)
                continue
            raise pvmex.http_error_for(resp)

    def _sleep(self, attempt):
        delay = self.retry_delay(attempt) if self.retry_delay else 0
        if delay:
            time.sleep(delay)

    def _send_once(self, method, path, body, extra, auth, timeout,
                   adapter=None, sensitive=False) -> Response:
        """One HTTP exchange; transport failures become pypvm_tx errors."""
        target = self._target(path)
        url = self.dest + target
        start = time.monotonic()
        try:
            status, reason, headers, content = self._exchange(
                method, target, body, extra, auth, timeout)
        except _wire.SSL_ERRORS as exc:
            raise pvmex.SSLError(_(
                "TLS error on %(m)s %(u)s: %(e)s. Check the server "
                "certificate against the CA bundle given as 'verify'.") % {
                    "m": method, "u": url, "e": exc}) from None
        except _wire.CONNECTION_ERRORS_FIRST as exc:
            raise pvmex.ConnectionError(_(
                "Connection failed on %(m)s %(u)s: %(e)s") % {
                    "m": method, "u": url, "e": exc}) from None
        except _wire.TIMEOUT_ERRORS as exc:
            raise pvmex.TimeoutError(_(
                "%(m)s %(u)s timed out after %(t)s s: %(e)s") % {
                    "m": method, "u": url, "t": timeout, "e": exc}) from None
        except _wire.CONNECTION_ERRORS as exc:
            raise pvmex.ConnectionError(_(
                "Connection failed on %(m)s %(u)s: %(e)s") % {
                    "m": method, "u": url, "e": exc}) from None
        if LOG.isEnabledFor(std_logging.DEBUG):
            LOG.debug("%(m)s %(u)s -> %(s)s (%(ms).1f ms)",
                      {"m": method, "u": url, "s": status,
                       "ms": (time.monotonic() - start) * 1000})
        return Response(method, path, status, reason, headers,
                        reqheaders=extra,
                        reqbody=b"" if sensitive else (body or b""),
                        body=content, adapter=adapter)

    def _exchange(self, method, target, body, extra, auth, timeout):
        """(status, reason, headers, body) of one request on a pooled
        connection of this Session's ``requests`` transport."""
        if self._via_proxy:
            return self._exchange_via_requests(method, target, body, extra,
                                               auth, timeout)
        lines = [auth.block]
        if extra:
            for name, value in extra.items():
                lines.append("%s: %s\r\n" % (
                    name, _wire.check_header_value(name, value)))
        lines.append("Content-Length: %d\r\n" % (len(body) if body else 0))
        pool = self._pool
        if pool is None:
            pool = self._pool = self._transport.pool_for(
                self.dest + "/", self.verify, self._proxies)
        try:
            return _wire.exchange(pool, method, target, "".join(lines),
                                  body, timeout)
        except urllib3.exceptions.ClosedPoolError:
            self._pool = None  # evicted or closed: fetch it again next time
            raise

    def _exchange_via_requests(self, method, target, body, extra, auth,
                               timeout):
        prep = requests.PreparedRequest()
        prep.method, prep.url, prep.body = method, self.dest + target, body
        prep.headers = dict(auth.headers, **(extra or {}))
        prep.headers["Content-Length"] = str(len(body) if body else 0)
        prep._cookies = None
        prep.hooks = {"response": []}
        raw = self._transport.send(prep, timeout=timeout, verify=self.verify,
                                   proxies=self._proxies)
        return raw.status_code, raw.reason, raw.headers, raw.content


def build_path(service: str, root_type: str, root_id=None, child_type=None,
               child_id=None, suffix_type=None, suffix_parm=None,
               detail=None, xag=None) -> str:
    """The REST path (with query) of an object, a feed or a child of one.

    ``xag`` becomes ``group=``: ``None`` leaves the server's default,
    an empty list asks for ``group=None``, names are sorted and
    comma-joined.
    """
    parts = [c.API_BASE_PATH, service, "/", root_type]
    if root_id:
        parts += ["/", root_id]
        if child_type:
            parts += ["/", child_type]
            if child_id:
                parts += ["/", child_id]
    elif child_type:
        raise ValueError(_("A child type needs a root id: %(root)s/?/"
                           "%(child)s.") % {"root": root_type,
                                            "child": child_type})
    if suffix_type:
        parts += ["/", suffix_type]
        if suffix_parm:
            parts += ["/", suffix_parm]
    query = []
    group = xag_query(xag)
    if group is not None:
        query.append("group=" + group)
    if detail:
        query.append("detail=" + quote(str(detail), safe=","))
    path = "".join(parts)
    return path + "?" + "&".join(query) if query else path


def xag_query(xag) -> Optional[str]:
    """The ``group=`` value for ``xag`` (see :func:`build_path`)."""
    if xag is None:
        return None
    if isinstance(xag, str):
        xag = [xag]
    names = sorted({str(x) for x in xag})
    return ",".join(names) if names else c.XAG.NONE


_content_types = {}


def _content_type(schema_type: str) -> str:
    ctype = _content_types.get(schema_type)
    if ctype is None:
        ctype = _content_types[schema_type] = c.uom_content_type(schema_type)
    return ctype


def _payload(data):
    """(body bytes, schema type) of a wrapper or an lxml element."""
    if hasattr(data, "toxmlstring"):
        body = data.toxmlstring()
        schema_type = data.schema_type
    elif isinstance(data, etree._Element):
        body = etree.tostring(data)
        schema_type = etree.QName(data).localname
    elif isinstance(data, (bytes, str)):
        body = data
        schema_type = etree.QName(parse_xml(data)).localname
    else:
        raise TypeError(_("Cannot send %s: expected an EntryWrapper, an lxml "
                          "element or XML bytes.") % type(data).__name__)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return body, schema_type


class Adapter:
    """REST operations on PowerVM objects over a :class:`Session` (SPEC A2).

    Every method returns a :class:`Response` whose ``adapter`` is this
    Adapter; statuses of 400 and above raise
    :class:`~pypvm_tx.exceptions.HttpError` (by status); 304 is returned.
    """

    def __init__(self, session: Optional[Session] = None):
        self.session = session if session is not None else Session()

    def __repr__(self):
        return "<Adapter %r>" % (self.session,)

    @staticmethod
    def build_path(*args, **kwargs) -> str:
        """See :func:`build_path`."""
        return build_path(*args, **kwargs)

    def _request(self, method, path, body=None, headers=None, timeout=-1):
        return self.session.request(method, path, body=body, headers=headers,
                                    timeout=timeout, adapter=self)

    # -- reads ---------------------------------------------------------------

    def read(self, root_type: str, root_id: Optional[str] = None,
             child_type: Optional[str] = None, child_id: Optional[str] = None,
             suffix_type: Optional[str] = None,
             suffix_parm: Optional[str] = None, detail=None,
             service: str = c.SERVICE_UOM, etag: Optional[str] = None,
             timeout: float = -1, xag=None) -> Response:
        """GET an object or a feed; ``etag`` is sent as ``If-None-Match``."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, suffix_parm, detail, xag)
        return self.read_by_path(path, etag=etag, timeout=timeout)

    def read_by_href(self, href: str, etag: Optional[str] = None,
                     timeout: float = -1) -> Response:
        """GET an absolute href (e.g. an entry's SELF link)."""
        return self.read_by_path(href, etag=etag, timeout=timeout)

    def read_by_path(self, path: str, etag: Optional[str] = None,
                     timeout: float = -1) -> Response:
        """GET a path (with query); 304 is returned, not raised."""
        headers = {c.IF_NONE_MATCH: etag} if etag else None
        return self._request("GET", path, headers=headers, timeout=timeout)

    # -- writes --------------------------------------------------------------

    def create(self, element, root_type: str, root_id: Optional[str] = None,
               child_type: Optional[str] = None, service: str = c.SERVICE_UOM,
               timeout: float = -1, xag=None) -> Response:
        """PUT a new object (a wrapper or an object element)."""
        path = build_path(service, root_type, root_id, child_type, xag=xag)
        body, schema_type = _payload(element)
        headers = {c.CONTENT_TYPE: _content_type(schema_type)}
        return self._request("PUT", path, body=body, headers=headers,
                             timeout=timeout)

    def update(self, data, etag: Optional[str], root_type: str,
               root_id: Optional[str] = None, child_type: Optional[str] = None,
               child_id: Optional[str] = None, suffix_type=None,
               service: str = c.SERVICE_UOM, timeout: float = -1,
               xag=None) -> Response:
        """POST ``data`` over an existing object with ``If-Match: etag``."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, xag=xag)
        return self.update_by_path(data, etag, path, timeout=timeout)

    def update_by_path(self, data, etag: Optional[str], path: str,
                       timeout: float = -1) -> Response:
        """POST ``data`` to ``path`` (or href) with ``If-Match: etag``.

        :raises HttpError: status 412 when ``etag`` is stale.
        """
        body, schema_type = _payload(data)
        headers = {c.CONTENT_TYPE: _content_type(schema_type)}
        if etag is not None:
            headers[c.IF_MATCH] = etag
        return self._request("POST", path, body=body, headers=headers,
                             timeout=timeout)

    def delete(self, root_type: str, root_id: Optional[str] = None,
               child_type: Optional[str] = None, child_id: Optional[str] = None,
               suffix_type=None, suffix_parm=None,
               service: str = c.SERVICE_UOM, etag: Optional[str] = None,
               timeout: float = -1) -> Response:
        """DELETE an object (``If-Match: etag`` when given)."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, suffix_parm)
        return self.delete_by_path(path, etag=etag, timeout=timeout)

    def delete_by_href(self, href: str, etag: Optional[str] = None,
                       timeout: float = -1) -> Response:
        """DELETE the object an href addresses."""
        return self.delete_by_path(href, etag=etag, timeout=timeout)

    def delete_by_path(self, path: str, etag: Optional[str] = None,
                       timeout: float = -1) -> Response:
        headers = {c.IF_MATCH: etag} if etag else None
        return self._request("DELETE", path, headers=headers, timeout=timeout)
