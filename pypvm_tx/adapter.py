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
"""

import threading
from typing import List, Optional

from lxml import etree
from oslo_log import log as logging
from requests.structures import CaseInsensitiveDict

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
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(_("Expected an XML body as bytes or str, got "
                          "%s.") % type(body).__name__)
    if not body.strip():
        raise pvmex.AtomError(_("Cannot parse %s: the body is empty.") % what)
    if len(body) > MAX_XML_BYTES:
        raise pvmex.AtomError(
            _("Refusing to parse %(what)s: %(size)d bytes exceeds the limit "
              "of %(limit)d.") % {"what": what, "size": len(body),
                                  "limit": MAX_XML_BYTES})
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise pvmex.AtomError(
            _("Refusing to parse %s: DOCTYPE and ENTITY declarations are "
              "not allowed.") % what)
    try:
        return etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise pvmex.AtomError(
            _("Cannot parse %(what)s: it is not well-formed XML "
              "(%(err)s).") % {"what": what, "err": exc}) from None


def _self_href(element: etree._Element) -> Optional[str]:
    for link in element.iterchildren(_TAG_LINK):
        if link.get("rel") == c.LINK_REL_SELF:
            return link.get("href")
    return None


class Entry:
    """One Atom ``<entry>``: its identity, SELF link, etag and content.

    ``etag`` is the response's ETag header for a single-entry response,
    or the entry's own ``<etag:etag>`` inside a feed.
    """

    def __init__(self, element: etree._Element, etag: Optional[str] = None,
                 adapter=None):
        self.element = element
        self.adapter = adapter
        if etag is None:
            etag_elem = element.find(_TAG_ENTRY_ETAG)
            if etag_elem is not None and etag_elem.text:
                etag = etag_elem.text.strip()
        self.etag = etag

    @property
    def uuid(self) -> Optional[str]:
        """The Atom ``<id>``: the object's UUID."""
        return self.element.findtext(_TAG_ID)

    @property
    def title(self) -> Optional[str]:
        return self.element.findtext(_TAG_TITLE)

    @property
    def href(self) -> Optional[str]:
        """The entry's SELF link."""
        return _self_href(self.element)

    @property
    def content(self) -> Optional[etree._Element]:
        """The object element inside ``<content>`` (e.g. LogicalPartition)."""
        content = self.element.find(_TAG_CONTENT)
        if content is None or len(content) == 0:
            return None
        return content[0]


class Feed:
    """An Atom ``<feed>``: its SELF link, etag and entries."""

    def __init__(self, element: etree._Element, etag: Optional[str] = None,
                 adapter=None):
        self.element = element
        self.etag = etag
        self.adapter = adapter
        self.entries: List[Entry] = [
            Entry(entry, adapter=adapter)
            for entry in element.iterchildren(_TAG_ENTRY)]

    @property
    def href(self) -> Optional[str]:
        return _self_href(self.element)


class Response:
    """One HTTP response from the REST server (SPEC A3).

    ``feed`` and ``entry`` are parsed from the Atom body lazily, the first
    time either is read; a body that is not well-formed Atom raises
    :class:`~pypvm_tx.exceptions.AtomError` at that point.
    """

    def __init__(self, reqmethod: str, reqpath: str, status: int,
                 reason: str, headers=None, reqheaders=None, reqbody="",
                 body="", adapter=None):
        self.reqmethod = reqmethod
        self.reqpath = reqpath
        self.status = status
        self.reason = reason
        self.headers = CaseInsensitiveDict(headers or {})
        # Kept for debugging; never part of any log line or message.
        self.reqheaders = CaseInsensitiveDict(reqheaders or {})
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
    def etag(self) -> Optional[str]:
        """The ``ETag`` header, unquoted, or None."""
        etag = self.headers.get(c.ETAG)
        return etag.strip('"') if etag else None

    @property
    def feed(self) -> Optional[Feed]:
        """The parsed :class:`Feed`, or None if the body is an entry."""
        self._parse()
        return self._feed

    @property
    def entry(self) -> Optional[Entry]:
        """The parsed :class:`Entry`, or None if the body is a feed."""
        self._parse()
        return self._entry

    def _parse(self):
        if self._parsed:
            return
        if self.status == c.HTTP_NO_CONTENT and not self.body:
            self._parsed = True
            return
        root = parse_xml(self.body, what=_("the response to %(m)s %(p)s") % {
            "m": self.reqmethod, "p": self.reqpath})
        if root.tag == _TAG_FEED:
            self._feed = Feed(root, etag=self.etag, adapter=self.adapter)
        elif root.tag == _TAG_ENTRY:
            self._entry = Entry(root, etag=self.etag, adapter=self.adapter)
        else:
            raise pvmex.AtomError(
                _("The response to %(m)s %(p)s is not an Atom feed or entry "
                  "(root element %(tag)s).") % {
                    "m": self.reqmethod, "p": self.reqpath, "tag": root.tag},
                response=self)
        self._parsed = True

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
