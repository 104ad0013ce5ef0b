"""The Adapter: REST operations (read, create, update, delete) on PowerVM
objects and feeds, over a :class:`~pypvm_tx.adapter.session.Session`."""

import contextlib
import threading
from typing import (Any, Callable, Iterable, Iterator, List, NamedTuple,
                    Optional, Protocol, Union)

from lxml import etree

from pypvm_tx import const as c
from pypvm_tx.adapter.paths import Xag, build_path, with_group
from pypvm_tx.adapter.response import Response
from pypvm_tx.adapter.session import Session
from pypvm_tx.adapter.xml import parse_xml
from pypvm_tx.i18n import _


# Checks before writes
# --------------------------------------------------------------------------

_write_checks = threading.local()


@contextlib.contextmanager
def checked_writes(check: Callable[[], None]) -> Iterator[None]:
    """Call ``check()`` before every write this thread sends while inside.

    A write is a POST, PUT or DELETE through any :class:`Adapter`.  The
    check raises to stop the write before anything is sent; a transaction
    uses it to confirm that the lock it holds has not expired.  Scopes
    nest: every check of every open scope runs, the outermost first.
    """
    previous = getattr(_write_checks, "checks", ())
    _write_checks.checks = previous + (check,)
    try:
        yield
    finally:
        _write_checks.checks = previous


def _check_write() -> None:
    for check in getattr(_write_checks, "checks", ()):
        check()


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


#: A helper wraps the request function: ``helper(func)`` returns a function
#: called as ``func(method, path, **kwargs)``, which may look at or change
#: the request, call ``func`` (or not), and look at or replace its result.
Helper = Callable[[Callable[..., Any]], Callable[..., Any]]
#: One helper, or a list of them (the first one sees the request first).
Helpers = Union[None, Helper, Iterable[Helper]]

_content_types: dict = {}


def _helper_list(helpers: Helpers) -> Optional[List[Helper]]:
    """``helpers`` as a list (None stays None).

    :raises TypeError: an item is not callable.
    """
    if helpers is None:
        return None
    listed = [helpers] if callable(helpers) else list(helpers)
    for helper in listed:
        if not callable(helper):
            raise TypeError(_("A helper must be callable as helper(func), "
                              "got %r.") % (helper,))
    return listed


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

    :param session: the logged-on :class:`Session` (by default one built
        with its defaults).
    :param use_cache: must be False: there is no response cache (the
        parameter is pypowervm's).
    :param helpers: functions wrapped around every request, as pypowervm's
        adapter helpers: ``helper(func)`` returns the function called in
        ``func``'s place, as ``func(method, path, **kwargs)``; the first
        helper of the list is the outermost (it sees each request first
        and its response last).  A method's own ``helpers=`` replaces them
        for that call (``[]``: none).
    :raises ValueError: ``use_cache`` is true.
    :raises TypeError: a helper is not callable.
    """

    def __init__(self, session: Optional[Session] = None,
                 use_cache: bool = False, helpers: Helpers = None):
        if use_cache:
            raise ValueError(_("This Adapter keeps no response cache; "
                               "use_cache must be False."))
        self._helpers = _helper_list(helpers) or []
        self.session = session if session is not None else Session()

    def __repr__(self):
        return "<Adapter %r>" % (self.session,)

    @property
    def helpers(self) -> List[Helper]:
        """A copy of the helpers wrapped around every request."""
        return list(self._helpers)

    @staticmethod
    def build_path(*args: Any, **kwargs: Any) -> str:
        """See :func:`build_path`."""
        return build_path(*args, **kwargs)

    def build_href(self, root_type: str, root_id: Optional[str] = None,
                   child_type: Optional[str] = None,
                   child_id: Optional[str] = None,
                   suffix_type: Optional[str] = None,
                   suffix_parm: Optional[str] = None,
                   detail: Optional[str] = None, xag: Xag = None,
                   service: str = c.SERVICE_UOM) -> str:
        """The absolute href (``https://host:port/rest/api/...``) of an
        object, a feed or a child of one on this adapter's server, such
        as a link one object carries to another.

        The arguments are :func:`build_path`'s (``service`` last, as
        pypowervm's); ``xag=[]`` gives an href without ``group=``.
        """
        return self.session.dest + build_path(
            service, root_type, root_id, child_type, child_id, suffix_type,
            suffix_parm, detail, xag=xag)

    def _request(self, method, path, body=None, headers=None, timeout=-1,
                 helpers: Helpers = None):
        """:meth:`_send` inside the helpers (this call's, else the
        Adapter's), the first helper outermost."""
        chain = _helper_list(helpers)
        func: Callable[..., Any] = self._send
        for helper in reversed(self._helpers if chain is None else chain):
            func = helper(func)
        resp = func(method, path, body=body, headers=headers,
                    timeout=timeout, adapter=self)
        if isinstance(resp, Response) and resp.adapter is None:
            resp.adapter = self
        return resp

    def _send(self, method: str, path: str, **kwargs: Any) -> Response:
        """``session.request``, after this thread's write checks (see
        :func:`checked_writes`) for anything but a GET: innermost, so a
        helper that sends a write again has it checked again."""
        if method != "GET":
            _check_write()
        return self.session.request(method, path, **kwargs)

    # -- reads ---------------------------------------------------------------

    def read(self, root_type: str, root_id: Optional[str] = None,
             child_type: Optional[str] = None, child_id: Optional[str] = None,
             suffix_type: Optional[str] = None,
             suffix_parm: Optional[str] = None, detail: Optional[str] = None,
             service: str = c.SERVICE_UOM, etag: Optional[str] = None,
             timeout: float = -1, xag: Xag = None,
             helpers: Helpers = None) -> Response:
        """GET an object or a feed; ``etag`` is sent as ``If-None-Match``.

        ``xag`` names the extended attribute groups: None (the default)
        sends ``group=None`` (none of them: the cheap read), ``[]`` sends
        no ``group=`` (the server's default: every group), else the
        groups named.  ``helpers`` replaces the Adapter's for this call.
        """
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, suffix_parm, detail, xag)
        return self.read_by_path(path, etag=etag, timeout=timeout,
                                 helpers=helpers)

    def read_by_href(self, href: str, etag: Optional[str] = None,
                     timeout: float = -1, xag: Xag = None,
                     helpers: Helpers = None) -> Response:
        """GET an absolute href (e.g. an entry's SELF link).

        An href without ``group=`` gets the one ``xag`` asks for (None: no
        extended groups; ``[]``: none sent, the server's default); one
        with ``group=`` keeps it (see
        :func:`~pypvm_tx.adapter.paths.with_group`).
        """
        return self.read_by_path(with_group(href, xag), etag=etag,
                                 timeout=timeout, helpers=helpers)

    def read_by_path(self, path: str, etag: Optional[str] = None,
                     timeout: float = -1,
                     helpers: Helpers = None) -> Response:
        """GET a path (with query); 304 is returned, not raised."""
        headers = {c.IF_NONE_MATCH: etag} if etag else None
        return self._request("GET", path, headers=headers, timeout=timeout,
                             helpers=helpers)

    # -- writes --------------------------------------------------------------

    def create(self, element: Sendable, root_type: str,
               root_id: Optional[str] = None,
               child_type: Optional[str] = None, service: str = c.SERVICE_UOM,
               timeout: float = -1, xag: Xag = (),
               helpers: Helpers = None) -> Response:
        """PUT a new object (a wrapper or an object element); by default
        with no ``group=``, as pypowervm sends it."""
        path = build_path(service, root_type, root_id, child_type, xag=xag)
        body, schema_type = _payload(element)
        headers = {c.CONTENT_TYPE: _content_type(schema_type)}
        return self._request("PUT", path, body=body, headers=headers,
                             timeout=timeout, helpers=helpers)

    def update(self, data: Sendable, etag: Optional[str], root_type: str,
               root_id: Optional[str] = None, child_type: Optional[str] = None,
               child_id: Optional[str] = None,
               suffix_type: Optional[str] = None,
               service: str = c.SERVICE_UOM, timeout: float = -1,
               xag: Xag = None, helpers: Helpers = None) -> Response:
        """POST ``data`` over an existing object with ``If-Match: etag``."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, xag=xag)
        return self.update_by_path(data, etag, path, timeout=timeout,
                                   helpers=helpers)

    def update_by_path(self, data: Sendable, etag: Optional[str], path: str,
                       timeout: float = -1,
                       helpers: Helpers = None) -> Response:
        """POST ``data`` to ``path`` (or href) with ``If-Match: etag``.

        :raises HttpError: status 412 when ``etag`` is stale.
        """
        body, schema_type = _payload(data)
        headers = {c.CONTENT_TYPE: _content_type(schema_type)}
        if etag is not None:
            headers[c.IF_MATCH] = etag
        return self._request("POST", path, body=body, headers=headers,
                             timeout=timeout, helpers=helpers)

    def delete(self, root_type: str, root_id: Optional[str] = None,
               child_type: Optional[str] = None, child_id: Optional[str] = None,
               suffix_type: Optional[str] = None,
               suffix_parm: Optional[str] = None,
               service: str = c.SERVICE_UOM, etag: Optional[str] = None,
               timeout: float = -1, helpers: Helpers = None) -> Response:
        """DELETE an object (``If-Match: etag`` when given)."""
        path = build_path(service, root_type, root_id, child_type, child_id,
                          suffix_type, suffix_parm)
        return self.delete_by_path(path, etag=etag, timeout=timeout,
                                   helpers=helpers)

    def delete_by_href(self, href: str, etag: Optional[str] = None,
                       timeout: float = -1,
                       helpers: Helpers = None) -> Response:
        """DELETE the object an href addresses."""
        return self.delete_by_path(href, etag=etag, timeout=timeout,
                                   helpers=helpers)

    def delete_by_path(self, path: str, etag: Optional[str] = None,
                       timeout: float = -1,
                       helpers: Helpers = None) -> Response:
        """DELETE a path (or href), with ``If-Match: etag`` when given."""
        headers = {c.IF_MATCH: etag} if etag else None
        return self._request("DELETE", path, headers=headers, timeout=timeout,
                             helpers=helpers)
