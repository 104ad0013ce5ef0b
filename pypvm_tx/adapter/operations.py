"""The Adapter: REST operations (read, create, update, delete) on PowerVM
objects and feeds, over a :class:`~pypvm_tx.adapter.session.Session`."""

from typing import Any, NamedTuple, Optional, Protocol, Union

from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.adapter.paths import Xag, build_path, with_group
from pypvm_tx.adapter.response import Response
from pypvm_tx.adapter.session import Session
from pypvm_tx.adapter.xml import parse_xml
from pypvm_tx.i18n import _


class SupportsXml(Protocol):
    """What a wrapper offers to be sent: its XML and schema type."""

    schema_type: Optional[str]

    def toxmlstring(self, pretty: bool = False) -> bytes:
        ...


#: What create/update send: a wrapper, an lxml element, or XML.
Sendable = Union[SupportsXml, etree._Element, bytes, str]


class Payload(NamedTuple):
    """What a PUT or POST sends: the XML body and its object's type."""

    body: bytes
    schema_type: str


_content_types: dict = {}


def _content_type(schema_type: str) -> str:
    """The Content-Type of an object of ``schema_type`` (memoised)."""
    ctype = _content_types.get(schema_type)
    if ctype is None:
        ctype = _content_types[schema_type] = c.uom_content_type(schema_type)
    return ctype


def _payload(data) -> Payload:
    """The body and schema type of a wrapper, an lxml element or XML."""
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
    return Payload(body, schema_type)


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
    def build_path(*args: Any, **kwargs: Any) -> str:
        """See :func:`build_path`."""
        return build_path(*args, **kwargs)

    def _request(self, method, path, body=None, headers=None, timeout=-1):
        return self.session.request(method, path, body=body, headers=headers,
                                    timeout=timeout, adapter=self)

    # -- reads ---------------------------------------------------------------

    def read(self, root_type: str, root_id: Optional[str] = None,
             child_type: Optional[str] = None, child_id: Optional[str] = None,
             suffix_type: Optional[str] = None,
             suffix_parm: Optional[str] = None, detail: Optional[str] = None,
             service: str = c.SERVICE_UOM, etag: Optional[str] = None,
             timeout: float = -1, xag: Xag = None) -> Response:
        """GET an object or a feed; ``etag`` is sent as ``If-None-Match``.

        ``xag`` names the extended attribute groups: None (the default)
        sends ``group=None`` (none of them: the cheap read), ``[]`` sends
        no ``group=`` (the server's default: every group), else the
        groups named.
        """
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, suffix_parm, detail, xag)
        return self.read_by_path(path, etag=etag, timeout=timeout)

    def read_by_href(self, href: str, etag: Optional[str] = None,
                     timeout: float = -1, xag: Xag = None) -> Response:
        """GET an absolute href (e.g. an entry's SELF link).

        An href without ``group=`` gets the one ``xag`` asks for (None: no
        extended groups; ``[]``: none sent, the server's default); one
        with ``group=`` keeps it (see :func:`~pypvm_tx.adapter.paths.with_group`).
        """
        return self.read_by_path(with_group(href, xag), etag=etag,
                                 timeout=timeout)

    def read_by_path(self, path: str, etag: Optional[str] = None,
                     timeout: float = -1) -> Response:
        """GET a path (with query); 304 is returned, not raised."""
        headers = {c.IF_NONE_MATCH: etag} if etag else None
        return self._request("GET", path, headers=headers, timeout=timeout)

    # -- writes --------------------------------------------------------------

    def create(self, element: Sendable, root_type: str,
               root_id: Optional[str] = None,
               child_type: Optional[str] = None, service: str = c.SERVICE_UOM,
               timeout: float = -1, xag: Xag = ()) -> Response:
        """PUT a new object (a wrapper or an object element); by default
        with no ``group=``, as pypowervm sends it."""
        path = build_path(service, root_type, root_id, child_type, xag=xag)
        body, schema_type = _payload(element)
        headers = {c.CONTENT_TYPE: _content_type(schema_type)}
        return self._request("PUT", path, body=body, headers=headers,
                             timeout=timeout)

    def update(self, data: Sendable, etag: Optional[str], root_type: str,
               root_id: Optional[str] = None, child_type: Optional[str] = None,
               child_id: Optional[str] = None,
               suffix_type: Optional[str] = None,
               service: str = c.SERVICE_UOM, timeout: float = -1,
               xag: Xag = None) -> Response:
        """POST ``data`` over an existing object with ``If-Match: etag``."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, xag=xag)
        return self.update_by_path(data, etag, path, timeout=timeout)

    def update_by_path(self, data: Sendable, etag: Optional[str], path: str,
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
               suffix_type: Optional[str] = None,
               suffix_parm: Optional[str] = None,
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
