"""Atom feeds and entries, read from the parsed body.

A response's body is parsed whole, once (libxml2 reads a 1,000-LPAR feed
in about 0.1 ms per entry), and every identity of an entry -- its UUID,
the lock key; its etag, SELF link and object type -- is what the parser
reads from it: no comment, CDATA section or prolog can make it differ,
and a malformed entry fails at the parse, not later in whatever thread
uses it.
"""

from typing import Any, List, NamedTuple, Optional, Union

from lxml import etree

import pypvm_tx.adapter as _package
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

_ATOM = "{%s}" % c.ATOM_NS
_TAG_FEED = _ATOM + "feed"
_TAG_ENTRY = _ATOM + "entry"
_TAG_ID = _ATOM + "id"
_TAG_TITLE = _ATOM + "title"
_TAG_LINK = _ATOM + "link"
_TAG_CONTENT = _ATOM + "content"
_TAG_ENTRY_ETAG = "{%s}etag" % c.ETAG_NS


def _text(element: Optional[etree._Element]) -> Optional[str]:
    """The element's text as parsed (CDATA and character references
    resolved, comments skipped), stripped; None if absent or blank."""
    if element is None:
        return None
    # lxml-stubs type itertext() as str | bytes; on Python 3 it yields str.
    text = "".join(element.itertext())  # type: ignore[arg-type]
    return text.strip() or None


def _self_href(element: etree._Element) -> Optional[str]:
    """The href of the element's ``<link rel="SELF">``, if it has one."""
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


def _has_text(obj: Optional[etree._Element], parts: List[str],
              text: str) -> bool:
    """Whether an element at path ``parts`` below ``obj`` (in ``obj``'s
    namespace) has the stripped text ``text``."""
    if obj is None:
        return False
    ns = etree.QName(obj).namespace
    prefix = "{%s}" % ns if ns else ""
    path = "/".join(prefix + part for part in parts)
    return any(_text(found) == text for found in obj.iterfind(path))


class Entry:
    """One Atom ``<entry>``: its identity, SELF link, etag and content.

    ``uuid``, ``href``, ``etag`` and ``schema_type`` (the local name of
    the content's object element, which picks the wrapper class) are
    read from the parsed ``element`` when the entry is made, each None
    when not found.  ``etag`` is the response's ETag header for a
    single-entry response, or the entry's own ``<etag:etag>`` inside a
    feed.
    """

    def __init__(self, element: etree._Element, etag: Optional[str] = None,
                 adapter: Any = None):
        self.element = element
        self.adapter = adapter
        self.uuid = _text(next(element.iterchildren(_TAG_ID), None))
        self.href = _self_href(element)
        if etag is None:
            etag = _text(next(element.iterchildren(_TAG_ENTRY_ETAG), None))
        self.etag = etag
        obj = _object_element(element)
        self.schema_type = (etree.QName(obj).localname if obj is not None
                            else None)

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
                 adapter: Any = None):
        self.element = element
        self.etag = etag
        self.adapter = adapter
        self.href = _self_href(element)
        self.entries: List[Entry] = [
            Entry(entry, adapter=adapter)
            for entry in element.iterchildren(_TAG_ENTRY)]

    def findentries(self, subelem: str, text: str) -> List[Entry]:
        """The entries whose object has a property ``subelem`` reading
        ``text``, in feed order (an empty list when none does).

        This is how a test or a script picks entries out of a captured
        feed by a property value, e.g. ``findentries("PartitionName",
        "lpar1")``.

        :param subelem: a child element of the entry's object, by local
            name, or a ``/``-separated path of them (``"A/B"``); each part
            is taken in the object element's own namespace.
        :param text: the text to match, compared with the element's text
            stripped of surrounding white space.
        :raises ValueError: ``subelem`` is empty or has an empty part.
        """
        parts = subelem.split("/") if subelem else [""]
        if not all(parts):
            raise ValueError(
                _("findentries needs a property name or path of names; got "
                  "%r.") % subelem)
        return [entry for entry in self.entries
                if _has_text(entry.content, parts, text)]


class AtomBody(NamedTuple):
    """What an Atom body holds: a feed or an entry (the other is None)."""

    feed: Optional[Feed]
    entry: Optional[Entry]


def parse_atom(body: Union[bytes, str], etag: Optional[str] = None,
               adapter: Any = None,
               what: str = "XML") -> AtomBody:
    """The :class:`Feed` or :class:`Entry` of an Atom body.

    :param etag: the response's ETag (an entry's etag when not in a feed).
    :param adapter: the Adapter the feed or entry came through.
    :param what: names the body in error messages.
    :raises AtomError: the body is not well-formed, or not Atom.
    """
    # parse_xml is looked up on the package at each call, so that patching
    # ``pypvm_tx.adapter.parse_xml`` (e.g. to count parses) sees every
    # Atom body, as it did when the adapter was one module.
    root = _package.parse_xml(body, what)
    if root.tag == _TAG_FEED:
        return AtomBody(Feed(root, etag=etag, adapter=adapter), None)
    if root.tag == _TAG_ENTRY:
        return AtomBody(None, Entry(root, etag=etag, adapter=adapter))
    raise pvmex.AtomError(
        _("Cannot read %(what)s: it is not an Atom feed or entry (root "
          "element %(tag)s).") % {"what": what, "tag": root.tag})
