"""The REST layer: Atom responses, the hardened XML parser, and (below)
the HTTP ``Session`` and ``Adapter``.

This is the bottom layer of pypvm_tx.  It knows HTTP and Atom; it knows
nothing of LPARs, VIOSes or transactions.

Parsing
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
from typing import Dict, List, Optional
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape as _saxutils_escape

import requests
import requests.utils
import urllib3
import urllib3.exceptions
from lxml import etree
from oslo_log import log as logging
from requests.structures import CaseInsensitiveDict

from pypvm_tx import _transport
from pypvm_tx import backoff
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
    if root.getroottree().docinfo.doctype:  # belt and braces
        raise pvmex.AtomError(
            _("Refusing to parse %s: DOCTYPE and ENTITY declarations are "
              "not allowed.") % what)
    return root


def _checked_xml(body, what: str) -> bytes:
    """``body`` as bytes, after the checks of :func:`parse_xml`."""
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
    """One HTTP response from the REST server.

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
                "m": self.reqmethod, "p": pvmex.printable(str(self.reqpath))}
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
            "error": pvmex.printable(error), "atom": c.ATOM_TYPE,
            "uom": c.UOM_TYPE,
            "type": (_("Content-Type %s") % pvmex.printable(content_type[:100])
                     if content_type else _("no Content-Type")),
            "size": len(self.body or b""),
            "start": pvmex.printable(body[:_EXCERPT_CHARS])}

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
# HTTP: Session and Adapter
# ---------------------------------------------------------------------------
#
# A Session sends every request through one :class:`_transport.Transport`,
# whose urllib3 pool (from a ``requests`` transport adapter) holds the
# keep-alive connections shared by the threads that use the Session.
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
#: Control characters (C0 and DEL): refused anywhere in a request target
#: or a header value, so no value can split or smuggle a request.
_REFUSED_CHARS_RE = re.compile(r"[\x00-\x1f\x7f]")


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


def _checked_target(target: str) -> str:
    """``target`` percent-encoded as ``requests`` does (blanks, non-ASCII),
    after refusing any control character in it."""
    if _REFUSED_CHARS_RE.search(target):
        raise ValueError(_("Refusing to send a request to %s: the path or "
                           "query contains a control character.")
                         % pvmex.printable(target))
    return requests.utils.requote_uri(target)


def _checked_headers(headers: Dict[str, str]) -> Dict[str, str]:
    """``headers`` after refusing values that are not plain ASCII text."""
    for name, value in headers.items():
        if not isinstance(value, str):
            raise TypeError(_("Header %(name)s must be a string, not "
                              "%(type)s.") % {"name": name,
                                              "type": type(value).__name__})
        if _REFUSED_CHARS_RE.search(value) or not value.isascii():
            raise ValueError(_("Refusing to send header %s: its value holds "
                               "a control or non-ASCII character.") % name)
    return headers


class Session:
    """A logged-on connection to one PowerVM REST server.

    :param host: server host name or address.
    :param username: user to log on as.
    :param password: that user's password (kept private, never logged).
    :param protocol: ``'https'`` (default) or ``'http'``.
    :param port: server port; default 12443 for https, 12080 for http.
    :param timeout: default timeout of every request, in seconds: it bounds
        the whole exchange, not only each wait for data.
    :param verify: certificate verification for https: ``True`` (default;
        the CA bundle named by ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when
        ``trust_env`` is true and one is set, else requests' own bundle),
        a CA bundle file or directory path (used as given, whatever the
        environment says), or ``False`` to switch verification off.
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
    """

    def __init__(self, host: str = "localhost", username: Optional[str] = None,
                 password: Optional[str] = None, protocol: str = "https",
                 port: Optional[int] = None, timeout: float = 1200,
                 verify=True, pool_maxsize: int = 20, get_retries: int = 2,
                 retry_delay=default_retry_delay, trust_env: bool = True,
                 logon: bool = True,
                 max_body: int = _transport.MAX_BODY_BYTES):
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
        if _REFUSED_CHARS_RE.search(host) or "/" in host or "@" in host:
            raise ValueError(_("Invalid host %s.") % pvmex.printable(host))
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
        #: ``scheme://host:port`` every request goes to.
        self.dest = "%s://%s:%d" % (protocol, host_part, self.port)
        self.verify = self._resolve_verify(verify, trust_env)
        if self.verify is False and protocol == "https":
            warnings.warn(urllib3.exceptions.InsecureRequestWarning(
                "TLS certificate verification is off for %s." % self.dest),
                stacklevel=2)
        proxies = (requests.utils.get_environ_proxies(self.dest)
                   if trust_env else {})
        if not requests.utils.select_proxy(self.dest, proxies):
            proxies = {}
        self._transport = _transport.Transport(
            self.dest, self.verify, pool_maxsize, proxies, max_body=max_body)
        self._logon_lock = threading.Lock()
        self._headers = self._auth_headers(None)
        if logon:
            self.logon()

    # -- identity and lifecycle -------------------------------------------

    def __repr__(self):
        return "<Session %s user=%s %s>" % (
            self.dest, self.username,
            "logged on" if self.logged_on else "not logged on")

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

    @staticmethod
    def _auth_headers(token: Optional[str]) -> Dict[str, str]:
        """What every request carries.  Replaced as a whole on logon, so a
        thread never sees half of one token and half of another."""
        headers = {"Accept": _ACCEPT_ANY, "User-Agent": _USER_AGENT,
                   "Accept-Encoding": "gzip, deflate"}
        if token:
            headers[c.SESSION_HEADER] = token
        return _checked_headers(headers)

    def _set_token(self, token: Optional[str]) -> None:
        self._headers = self._auth_headers(token)

    @property
    def _token(self) -> Optional[str]:
        return self._headers.get(c.SESSION_HEADER)

    @property
    def logged_on(self) -> bool:
        return self._token is not None

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
                               self._auth_headers(None), self.timeout,
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

    def logoff(self):
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

    def _relogon(self, stale_token):
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
        return self.dest + self._target(path_or_href)

    @staticmethod
    def _target(path_or_href: str) -> str:
        """The path and query (request target) of a path or an href."""
        if path_or_href.startswith("/"):
            return path_or_href
        parts = urlsplit(path_or_href)
        if not parts.scheme or not parts.path.startswith("/"):
            raise ValueError(_("Expected a path starting with '/' or an "
                               "absolute http(s) URL, got %s.")
                             % pvmex.printable(repr(path_or_href)))
        return parts.path + ("?" + parts.query if parts.query else "")

    def request(self, method: str, path: str, body=None, headers=None,
                timeout: float = -1, adapter=None,
                relogon: bool = True) -> Response:
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
        is raised once it is gone.
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
        _checked_target(self._target(path))
        _checked_headers(headers or {})
        return _Attempts(self, method, path, body, headers, timeout, adapter,
                         relogon).run()

    def _send_once(self, method, path, body, extra, auth_headers, timeout,
                   adapter=None, sensitive=False) -> Response:
        """One HTTP exchange; transport failures become pypvm_tx errors."""
        target = _checked_target(self._target(path))
        what = "%s %s" % (method, self.dest + target)
        bounded = backoff.bounded_timeout(timeout, what)
        headers = dict(auth_headers, **extra) if extra else auth_headers
        start = time.monotonic()
        try:
            raw = self._transport.send(method, target, body, headers, bounded)
        except pvmex.TimeoutError as exc:
            if bounded is not None and (timeout is None or bounded < timeout):
                cut = pvmex.DeadlineExceeded(_(
                    "%(what)s was cut at the deadline after %(t).3f s.") % {
                        "what": pvmex.printable(what), "t": bounded})
                cut.request_sent = exc.request_sent
                raise cut from exc
            raise
        if LOG.isEnabledFor(std_logging.DEBUG):
            LOG.debug("%(m)s %(u)s -> %(s)s (%(ms).1f ms)",
                      {"m": method, "u": pvmex.printable(self.dest + target),
                       "s": raw.status,
                       "ms": (time.monotonic() - start) * 1000})
        return Response(method, path, raw.status, raw.reason, raw.headers,
                        reqheaders=extra,
                        reqbody=b"" if sensitive else (body or b""),
                        body=raw.body, adapter=adapter)


class _Attempts:
    """The tries of one :meth:`Session.request`, on the one retry loop:
    retries of an idempotent request, re-logons after 401, and when to
    give up."""

    def __init__(self, session, method, path, body, headers, timeout,
                 adapter, relogon):
        self.session = session
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers
        self.timeout = timeout
        self.adapter = adapter
        self.idempotent = method in _IDEMPOTENT
        self.tries = 1 + session.get_retries if self.idempotent else 1
        self.relogon = relogon
        self.free_relogon = relogon  # the first re-logon uses no try
        self.tried = 0

    def run(self) -> Response:
        return backoff.Retrying(
            stop=backoff.stop_after_attempt(self.tries)
            | backoff.stop_at_deadline(),
            wait=self._wait, retry=self._retryable,
            before_sleep=self._log_retry)(self._try_once)

    def _try_once(self) -> Response:
        """One try; a first 401 is answered by a re-logon and a resend
        within it."""
        self.tried += 1
        while True:
            headers = self.session._headers
            resp = self.session._send_once(
                self.method, self.path, self.body, self.headers, headers,
                self.timeout, adapter=self.adapter)
            status = resp.status
            if c.HTTP_OK <= status < 300 or status == c.HTTP_NOT_MODIFIED:
                return resp
            error = _status_error(resp)
            if status == c.HTTP_UNAUTHORIZED and self.relogon and (
                    self.free_relogon or self.tried < self.tries):
                self.session._relogon(headers.get(c.SESSION_HEADER))
                if self.free_relogon:
                    self.free_relogon = False
                    continue
                error.session_renewed = True  # expired again: a new try
            raise error

    def _retryable(self, state) -> bool:
        exc = state.exception
        if not self.idempotent:
            return False
        if isinstance(exc, pvmex.HttpError):
            return getattr(exc, "session_renewed", False) or \
                exc.response.status in c.TRANSIENT_HTTP_STATUSES
        return isinstance(exc, pvmex.ConnectionError) and \
            not isinstance(exc, pvmex.ProtocolError)

    def _wait(self, state) -> float:
        delay = self.session.retry_delay
        return delay(state.attempt) if delay else 0.0

    def _log_retry(self, state, seconds) -> None:
        LOG.warning("%(m)s %(p)s: %(cause)s (try %(t)d of %(n)d); "
                    "retrying.", {"m": self.method,
                                  "p": pvmex.printable(self.path),
                                  "cause": pvmex.printable(state.exception),
                                  "t": state.attempt, "n": self.tries})


def _status_error(resp: Response) -> pvmex.HttpError:
    """The error for a final status that is neither 2xx nor 304."""
    if resp.status >= c.HTTP_BAD_REQUEST:
        return pvmex.http_error_for(resp)
    location = resp.headers.get("Location")
    return pvmex.HttpError(resp, msg=_(
        "%(m)s %(p)s answered HTTP %(s)d (%(r)s)%(loc)s: only 2xx and 304 "
        "are accepted; redirects are not followed.") % {
            "m": resp.reqmethod, "p": pvmex.printable(resp.reqpath),
            "s": resp.status, "r": pvmex.printable(resp.reason or ""),
            "loc": (" to %s" % pvmex.printable(location)) if location
            else ""})


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
    """REST operations on PowerVM objects over a :class:`Session`.

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
