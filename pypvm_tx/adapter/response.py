"""One HTTP response of the REST server, with its Atom body parsed lazily."""

from typing import TYPE_CHECKING, Dict, Mapping, Optional, Union

from requests.structures import CaseInsensitiveDict

from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter.atom import Entry, Feed, parse_atom
from pypvm_tx.adapter.xml import parse_xml
from pypvm_tx.i18n import _

if TYPE_CHECKING:  # the Adapter builds Responses: names only
    from pypvm_tx.adapter.operations import Adapter

#: Statuses whose responses have no body (RFC 9110): no feed, no entry.
_BODILESS_STATUSES = frozenset({c.HTTP_NO_CONTENT, c.HTTP_NOT_MODIFIED})
#: How much of a body that is not Atom an error message shows.
_EXCERPT_CHARS = 80


class Response:
    """One HTTP response from the REST server.

    ``feed`` and ``entry`` are parsed from the Atom body lazily, the first
    time either is read; a body that is not well-formed Atom (any entry
    of a feed included) raises :class:`~pypvm_tx.exceptions.AtomError`
    at that point, saying what came back.  A response without a body
    (204, 304) has neither.
    """

    def __init__(self, reqmethod: str, reqpath: str, status: int,
                 reason: str, headers: Optional[Mapping[str, str]] = None,
                 reqheaders: Optional[Mapping[str, str]] = None,
                 reqbody: Union[bytes, str] = "", body: Union[bytes, str] = "",
                 adapter: Optional["Adapter"] = None):
        self.reqmethod = reqmethod
        self.reqpath = reqpath
        self.status = status
        self.reason = reason
        self.headers = CaseInsensitiveDict(headers or {})
        # Kept for debugging; never part of any log line or message.  Held
        # as given (copied) until read, which is rare: see reqheaders.
        self._reqheaders: Union[Dict[str, str], CaseInsensitiveDict] = \
            dict(reqheaders) if reqheaders else {}
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
        headers = self._reqheaders
        if not isinstance(headers, CaseInsensitiveDict):
            headers = self._reqheaders = CaseInsensitiveDict(headers)
        return headers

    @reqheaders.setter
    def reqheaders(self, value: Optional[Mapping[str, str]]) -> None:
        self._reqheaders = CaseInsensitiveDict(value or {})

    @property
    def etag(self) -> Optional[str]:
        """The ``ETag`` header, unquoted, or None."""
        etag = self.headers.get(c.ETAG)
        return etag.strip('"') if etag else None

    @property
    def feed(self) -> Optional[Feed]:
        """The parsed :class:`~pypvm_tx.adapter.atom.Feed`; None if the body
        is an entry or there is no body (204, 304)."""
        self._parse()
        return self._feed

    @property
    def entry(self) -> Optional[Entry]:
        """The parsed :class:`~pypvm_tx.adapter.atom.Entry`; None if the
        body is a feed or there is no body (204, 304)."""
        self._parse()
        return self._entry

    def _parse(self):
        if self._parsed:
            return
        if self.status not in _BODILESS_STATUSES:
            what = _("the response to %(m)s %(p)s") % {
                "m": self.reqmethod, "p": pvmex.printable(str(self.reqpath))}
            try:
                self._feed, self._entry = parse_atom(
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
