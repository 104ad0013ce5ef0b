"""REST paths and what may go on the wire: the path of an object or feed,
its ``group=`` query, and the checks that keep control characters out of
request targets and header values (no request smuggling, no header
injection)."""

import re
from typing import Dict, Iterable, Optional, Union
from urllib.parse import quote, urlsplit

import requests.utils

from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

#: Control characters (C0 and DEL): refused anywhere in a request target
#: or a header value, so no value can split or smuggle a request.
_REFUSED_CHARS_RE = re.compile(r"[\x00-\x1f\x7f]")


#: Extended attribute groups to ask for: None (none: ``group=None``), one
#: name, several, or an empty list (no ``group=``: the server's default,
#: every group).
Xag = Union[None, str, Iterable[str]]

#: Suffixes whose paths get no ``group=`` when ``xag`` is None (a job's
#: ``do/...``, the JSON ``quick`` properties), as pypowervm sends them.
_XAGLESS_SUFFIXES = frozenset({"do", "quick"})


def build_path(service: str, root_type: str, root_id: Optional[str] = None,
               child_type: Optional[str] = None,
               child_id: Optional[str] = None,
               suffix_type: Optional[str] = None,
               suffix_parm: Optional[str] = None,
               detail: Optional[str] = None, xag: Xag = None) -> str:
    """The REST path (with query) of an object, a feed or a child of one.

    ``xag`` becomes ``group=`` as :func:`xag_query` says, except that a
    ``do`` or ``quick`` suffix with ``xag=None`` gets no ``group=``.
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
    if detail:
        query.append("detail=" + quote(str(detail), safe=","))
    group = (None if xag is None and suffix_type in _XAGLESS_SUFFIXES
             else xag_query(xag))
    if group is not None:
        query.append("group=" + group)
    path = "".join(parts)
    return path + "?" + "&".join(query) if query else path


def xag_query(xag: Xag) -> Optional[str]:
    """The ``group=`` value for ``xag``: ``"None"`` for None (no extended
    groups, the cheap default), None for an empty list (send no
    ``group=``: the server's default, every group), else the names sorted
    and comma-joined."""
    if xag is None:
        return c.XAG.NONE
    if isinstance(xag, str):
        xag = [xag]
    names = sorted({str(x) for x in xag})
    return ",".join(names) if names else None


def with_group(path: str, xag: Xag = None) -> str:
    """``path`` (or href) with the ``group=`` query ``xag`` asks for.

    A ``group=`` already there, other than ``group=None``, is kept; an
    ``xag`` that says otherwise is refused.  Without one (or with
    ``group=None``) the query gets ``group=`` from :func:`xag_query`, so
    an href read with ``xag=None`` asks for no extended groups and one
    read with ``xag=[]`` for the server's default.

    :raises ValueError: ``xag`` contradicts the path's own ``group=``.
    """
    path, hash_sep, fragment = path.partition("#")
    base, sep, query = path.partition("?")
    params = [p for p in query.split("&") if p] if sep else []
    groups = [p for p in params if p.split("=", 1)[0] == "group"]
    others = [p for p in params if p.split("=", 1)[0] != "group"]
    present = groups[-1].partition("=")[2] if groups else c.XAG.NONE
    if present != c.XAG.NONE:
        if xag is not None and (xag_query(xag) or "") != present:
            raise ValueError(_("The extended attribute groups asked for "
                               "(%(asked)s) differ from those of %(path)s.")
                             % {"asked": xag_query(xag) or "[]",
                                "path": pvmex.printable(path)})
        return path + hash_sep + fragment
    group = xag_query(xag)
    if group is not None:
        others.append("group=" + group)
    query = "?" + "&".join(others) if others else ""
    return base + query + hash_sep + fragment


def request_target(path_or_href: str) -> str:
    """The path and query (request target) of a path or an absolute href.

    :raises ValueError: neither a path starting with ``/`` nor an
        absolute http(s) URL.
    """
    if path_or_href.startswith("/"):
        return path_or_href
    parts = urlsplit(path_or_href)
    if not parts.scheme or not parts.path.startswith("/"):
        raise ValueError(_("Expected a path starting with '/' or an "
                           "absolute http(s) URL, got %s.")
                         % pvmex.printable(repr(path_or_href)))
    return parts.path + ("?" + parts.query if parts.query else "")


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a C0 control character or DEL."""
    return _REFUSED_CHARS_RE.search(text) is not None


def checked_target(target: str) -> str:
    """``target`` percent-encoded as ``requests`` does (blanks, non-ASCII),
    after refusing any control character in it.

    :raises ValueError: ``target`` holds a control character.
    """
    if has_control_character(target):
        raise ValueError(_("Refusing to send a request to %s: the path or "
                           "query contains a control character.")
                         % pvmex.printable(target))
    return requests.utils.requote_uri(target)


def checked_headers(headers: Dict[str, str]) -> Dict[str, str]:
    """``headers`` after refusing values that are not plain ASCII text.

    :raises TypeError: a value is not a string.
    :raises ValueError: a value holds a control or non-ASCII character.
    """
    for name, value in headers.items():
        if not isinstance(value, str):
            raise TypeError(_("Header %(name)s must be a string, not "
                              "%(type)s.") % {"name": name,
                                              "type": type(value).__name__})
        if has_control_character(value) or not value.isascii():
            raise ValueError(_("Refusing to send header %s: its value holds "
                               "a control or non-ASCII character.") % name)
    return headers
