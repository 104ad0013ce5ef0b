"""The object model's base: wrappers around REST entries and their parts.

A wrapper owns an lxml element and gives it typed, named accessors.  An
:class:`EntryWrapper` wraps one Atom entry's object element (an LPAR, a
VIOS, ...) together with the etag it was read with, and knows how to
write itself back (``update``), re-read itself (``refresh``), create and
delete itself.  :class:`ElementWrapper` wraps a part of such an object (a
SCSI mapping, a memory configuration).

Getters (:class:`EntryWrapperGetter`, :class:`FeedGetter`,
:class:`UUIDFeedGetter`) describe *what* to GET without doing it yet, so a
transaction can defer the GET until it holds the object's lock.

This module sits on the adapter layer only; it never imports the
transaction layer.
"""

import re
import threading
import urllib.parse
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Type, Union

from lxml import etree
from oslo_log import log as logging

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)

#: Entry wrapper classes by schema type, filled by ``EntryWrapper.pvm_type``.
_ENTRY_CLASSES: Dict[str, Type["EntryWrapper"]] = {}


def _local_name(tag) -> str:
    """The tag without its ``{namespace}``."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


class Wrapper:
    """Common base: an element of the ``schema_ns`` namespace and helpers
    for reading and writing its children by slash-separated paths.

    Subclasses declare ``schema_type`` (the element's local name) and
    ``child_order`` (the local names of its children in schema order, used
    to insert a missing child where the server's schema expects it).
    """

    schema_type: Optional[str] = None
    schema_ns: str = c.UOM_NS
    child_order: Tuple[str, ...] = ()
    has_metadata: bool = False

    _element: etree._Element

    # Cache of "A/B" -> "{ns}A/{ns}B" per namespace; paths are few and fixed.
    _qualified_paths: Dict[Tuple[str, str], str] = {}

    @property
    def element(self) -> etree._Element:
        """The wrapped lxml element."""
        return self._element

    @classmethod
    def pvm_type(cls, schema_type: str, ns: str = c.UOM_NS,
                 child_order: Sequence[str] = ()):
        """Class decorator naming a subclass's schema type, namespace and
        child order; on an EntryWrapper it also registers the subclass so
        :meth:`EntryWrapper.wrap` picks it for that schema type."""
        def decorate(subclass):
            subclass.schema_type = schema_type
            subclass.schema_ns = ns
            subclass.child_order = tuple(child_order)
            cls._register(subclass)
            return subclass
        return decorate

    @classmethod
    def _register(cls, subclass) -> None:
        """Hook of :meth:`pvm_type`; plain wrappers need no registry."""

    def toxmlstring(self, pretty: bool = False) -> bytes:
        """The wrapped element serialised as XML (UTF-8 bytes)."""
        return etree.tostring(self.element, pretty_print=pretty)

    # -- path helpers for subclasses ------------------------------------

    @classmethod
    def _qualify(cls, path: str) -> str:
        key = (cls.schema_ns, path)
        qualified = cls._qualified_paths.get(key)
        if qualified is None:
            ns = "{%s}" % cls.schema_ns
            qualified = "/".join(ns + part for part in path.split("/"))
            cls._qualified_paths[key] = qualified
        return qualified

    def _find(self, path: str) -> Optional[etree._Element]:
        """The first element at ``path`` below this one, or None."""
        return self.element.find(self._qualify(path))

    def _findall(self, path: str) -> List[etree._Element]:
        return self.element.findall(self._qualify(path))

    def _get_val_str(self, path: str, default: Optional[str] = None
                     ) -> Optional[str]:
        """The stripped text at ``path``; ``default`` if absent or empty."""
        elem = self._find(path)
        if elem is None or elem.text is None:
            return default
        text = elem.text.strip()
        return text if text else default

    def _get_val_number(self, path: str, kind, default):
        """The text at ``path`` converted by ``kind`` (int or float);
        ``default`` if absent, empty or not a number of that kind."""
        text = self._get_val_str(path)
        if text is None:
            return default
        try:
            return kind(text)
        except ValueError:
            LOG.debug("Value %r at %s is not a valid %s.", text, path,
                      kind.__name__)
            return default

    def _get_val_int(self, path: str, default: Optional[int] = None
                     ) -> Optional[int]:
        return self._get_val_number(path, int, default)

    def _get_val_float(self, path: str, default: Optional[float] = None
                       ) -> Optional[float]:
        return self._get_val_number(path, float, default)

    def _get_val_bool(self, path: str, default: Optional[bool] = None
                      ) -> Optional[bool]:
        text = self._get_val_str(path)
        if text is None:
            return default
        return text.lower() == "true"

    def _set_val(self, path: str, value, child_orders: Optional[
            Dict[str, Sequence[str]]] = None) -> etree._Element:
        """Set the text at ``path``, creating missing elements.

        A missing element is inserted where schema order puts it: at the
        first level by this wrapper's ``child_order``, below that by
        ``child_orders[parent_path]`` when given (else appended).  Returns
        the element that now holds the value.
        """
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        parent = self.element
        parts = path.split("/")
        for depth, part in enumerate(parts):
            child = parent.find(self._qualify(part))
            if child is None:
                if depth == 0:
                    order = self.child_order
                else:
                    order = (child_orders or {}).get("/".join(parts[:depth]),
                                                     ())
                child = etree.Element("{%s}%s" % (self.schema_ns, part))
                insert_in_order(parent, child, order)
            parent = child
        parent.text = text
        return parent


def insert_in_order(parent: etree._Element, child: etree._Element,
                    order: Sequence[str]) -> None:
    """Insert ``child`` into ``parent`` where the schema ``order`` puts it.

    ``order`` lists children's local names in schema order.  The child goes
    before the first existing sibling that the order places after it; if
    its own name is not in ``order`` (or no order is known) it is appended.
    """
    name = _local_name(child.tag)
    try:
        rank = order.index(name)
    except ValueError:
        parent.append(child)
        return
    later = set(order[rank + 1:])
    for index, sibling in enumerate(parent):
        if _local_name(sibling.tag) in later:
            parent.insert(index, child)
            return
    parent.append(child)


def _text(value: Optional[str]) -> str:
    return value.strip() if value else ""


def _same_xml(one: etree._Element, two: etree._Element) -> bool:
    """Structural equality of two elements (see ElementWrapper.__eq__)."""
    if (one.tag != two.tag or dict(one.attrib) != dict(two.attrib)
            or _text(one.text) != _text(two.text)):
        return False
    kids_one = [k for k in one if isinstance(k.tag, str)]
    kids_two = [k for k in two if isinstance(k.tag, str)]
    return len(kids_one) == len(kids_two) and all(
        _same_xml(a, b) for a, b in zip(kids_one, kids_two))


class ElementWrapper(Wrapper):
    """A part of an object (not an Atom entry), e.g. one SCSI mapping."""

    def __init__(self, element: etree._Element):
        self._element = element

    @classmethod
    def wrap(cls, element: etree._Element) -> "ElementWrapper":
        """Wrap an existing element."""
        if not isinstance(element, etree._Element):
            raise TypeError(_("%(cls)s.wrap needs an lxml element, got "
                              "%(got)s.") % {"cls": cls.__name__,
                                             "got": type(element).__name__})
        return cls(element)

    @classmethod
    def bld_element(cls) -> etree._Element:
        """A new, empty element of this wrapper's schema type."""
        return etree.Element("{%s}%s" % (cls.schema_ns, cls.schema_type),
                             attrib={"schemaVersion": c.SCHEMA_VERSION},
                             nsmap={None: cls.schema_ns})

    def __eq__(self, other):
        """Same element, or the same XML content: tags, attributes and
        non-blank text, ignoring namespace prefixes and indentation (so a
        copy parsed elsewhere still matches, e.g. for ``remove``)."""
        if not isinstance(other, ElementWrapper):
            return NotImplemented
        return self.element is other.element or _same_xml(self.element,
                                                          other.element)

    def __hash__(self):
        # Must agree with __eq__: equal content means an equal tag.
        return hash(self.element.tag)

    def __repr__(self):
        return "<%s %s>" % (type(self).__name__, self.schema_type)


class WrapperElemList:
    """A live list view of the children of ``root`` that ``child_class``
    wraps (e.g. the ``VirtualSCSIMapping`` elements of a VIOS).

    Appending or removing changes the underlying XML, so the change is
    written back by the owning entry's ``update()``.
    """

    def __init__(self, root: etree._Element,
                 child_class: Type[ElementWrapper]):
        self.root = root
        self.child_class = child_class
        self._tag = "{%s}%s" % (child_class.schema_ns, child_class.schema_type)

    def _elements(self) -> List[etree._Element]:
        return list(self.root.iterchildren(self._tag))

    def __len__(self) -> int:
        return len(self._elements())

    def __iter__(self):
        return (self.child_class.wrap(elem) for elem in self._elements())

    def __getitem__(self, index):
        elems = self._elements()
        if isinstance(index, slice):
            return [self.child_class.wrap(elem) for elem in elems[index]]
        return self.child_class.wrap(elems[index])

    def __contains__(self, item) -> bool:
        return any(item == wrapper for wrapper in self)

    def __repr__(self):
        return repr(list(self))

    def _check(self, item):
        if not isinstance(item, self.child_class):
            raise TypeError(_("This list holds %(want)s wrappers; got "
                              "%(got)s.") % {"want": self.child_class.__name__,
                                             "got": type(item).__name__})

    def append(self, item: ElementWrapper) -> None:
        """Add ``item`` after the last element of its kind."""
        self._check(item)
        elems = self._elements()
        if elems:
            elems[-1].addnext(item.element)
        else:
            self.root.append(item.element)

    def extend(self, items: Iterable[ElementWrapper]) -> None:
        for item in items:
            self.append(item)

    def remove(self, item: ElementWrapper) -> None:
        """Remove the first element equal to ``item``; ValueError if none."""
        self._check(item)
        for elem in self._elements():
            if elem is item.element or self.child_class.wrap(elem) == item:
                self.root.remove(elem)
                return
        raise ValueError(_("%s is not in the list.") % item)


def _parent_type_name(parent_class) -> Optional[str]:
    """Accept a wrapper class or a schema type string; return the string."""
    if parent_class is None or isinstance(parent_class, str):
        return parent_class
    if isinstance(parent_class, type) and issubclass(parent_class, Wrapper):
        return parent_class.schema_type
    raise ValueError(_("A parent type must be an EntryWrapper subclass or a "
                       "schema type string such as 'ManagedSystem'; got "
                       "%r.") % (parent_class,))


def resolve_parent(parent_class=None, parent_uuid=None, parent=None
                   ) -> Tuple[Optional[str], Optional[str]]:
    """Normalise the three ways of naming a CHILD object's parent.

    Returns ``(parent_schema_type, parent_uuid)``, both None for a ROOT
    object.  ``parent`` (a wrapper) stands for both values; otherwise the
    class (or schema type string) and the UUID must come together.
    """
    if parent is not None:
        if parent_class is not None or parent_uuid is not None:
            raise ValueError(_("Give either parent or parent_class with "
                               "parent_uuid, not both."))
        if not isinstance(parent, EntryWrapper):
            raise ValueError(_("parent must be an EntryWrapper (for example "
                               "a System); got %s.") % type(parent).__name__)
        return parent.schema_type, parent.uuid
    if (parent_class is None) != (parent_uuid is None):
        raise ValueError(_("parent_class and parent_uuid must be given "
                           "together (or neither, for a ROOT object); got "
                           "parent_class=%(cls)r, parent_uuid=%(uuid)r.") % {
                               "cls": parent_class, "uuid": parent_uuid})
    return _parent_type_name(parent_class), parent_uuid


#: An href urlsplit() would take apart trivially: http(s), a plain
#: netloc, a path, an optional non-empty query, no fragment, no blanks
#: or control characters.  Group 1 is the path, group 2 "?query" if any.
_PLAIN_HREF_RE = re.compile(
    r"https?://[A-Za-z0-9._~%!$&'()*+,;=:@-]*"
    r"(/[^?#\x00-\x20\x7f-\uffff]*)(\?[^#\x00-\x20\x7f-\uffff]+)?")


def _href_path(href: str) -> str:
    """The path and query of an absolute href (what update() POSTs to)."""
    # The regex gives urlsplit()'s answer for SELF links at a fraction of
    # its cost (its cache holds 128 URLs; a FeedTask has one per entry).
    match = _PLAIN_HREF_RE.fullmatch(href) if isinstance(href, str) else None
    if match is not None:
        return match.group(1) + (match.group(2) or "")
    parts = urllib.parse.urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


class EntryWrapper(Wrapper):
    """One REST object (an Atom entry's content) with the etag it was read at.

    Build one with :meth:`wrap` from a :class:`~pypvm_tx.adapter.Response`
    or :class:`~pypvm_tx.adapter.Entry`, or with :meth:`get`.
    """

    has_metadata = True

    def __init__(self, entry: Optional[adp.Entry] = None,
                 etag: Optional[str] = None,
                 element: Optional[etree._Element] = None,
                 adapter=None):
        if entry is None and element is None:
            raise ValueError(_("An EntryWrapper needs an Atom entry or an "
                               "object element."))
        self.entry = entry
        # For a wrapped entry the object element is looked up on first use.
        self._element = element
        self._etag = etag if etag is not None else (
            entry.etag if entry is not None else None)
        self._adapter = adapter

    @property
    def element(self) -> etree._Element:
        """The object element (e.g. ``LogicalPartition``) of the entry."""
        element = self._element
        if element is None:
            element = self.entry.content
            if element is None:
                raise ValueError(_("The Atom entry %s has no content element "
                                   "to wrap.") % (self.entry.uuid,))
            self._element = element
        return element

    def __repr__(self):
        return "<%s %s etag=%s>" % (type(self).__name__, self.uuid, self.etag)

    # -- registration and construction ----------------------------------

    @classmethod
    def _register(cls, subclass) -> None:
        """Make :meth:`EntryWrapper.wrap` on the base class return
        instances of ``subclass`` for entries of its schema type."""
        _ENTRY_CLASSES[subclass.schema_type] = subclass

    @classmethod
    def _wrap_entry(cls, entry: adp.Entry, etag: Optional[str] = None
                    ) -> "EntryWrapper":
        """Wrap one entry; on the base class, as the registered subclass
        of its object element's type.

        An entry with no object element in its ``<content>``, or with no
        UUID (neither ``<id>`` nor ``Metadata/Atom/AtomID``), cannot be
        wrapped: AtomError now, not in whatever uses the wrapper later.
        """
        if entry.schema_type is None:
            raise pvmex.AtomError(_(
                "The Atom entry %s cannot be wrapped: its <content> holds "
                "no object element.") % (entry.uuid,))
        wrapper_class = cls
        if cls is EntryWrapper:
            wrapper_class = _ENTRY_CLASSES.get(entry.schema_type, cls)
        wrapper = wrapper_class(entry, etag=etag)
        if not wrapper.uuid:
            raise pvmex.AtomError(_(
                "The Atom entry of %s cannot be wrapped: it has no UUID "
                "(no <id>, no Metadata/Atom/AtomID).") % entry.schema_type)
        return wrapper

    @classmethod
    def wrap(cls, response_or_entry, etag: Optional[str] = None
             ) -> Union["EntryWrapper", List["EntryWrapper"]]:
        """Wrap a Response or an Entry.

        A response holding a feed gives a list, each wrapper with its
        entry's own etag (an empty list for 204, the empty feed); a
        single entry gives one wrapper with ``etag`` or else the
        response's ETag.  A body that is not Atom, an entry that cannot
        be wrapped, or a 304 (nothing to wrap) raise AtomError.
        """
        if isinstance(response_or_entry, adp.Response):
            resp = response_or_entry
            if resp.feed is not None:
                return [cls._wrap_entry(entry) for entry in resp.feed.entries]
            if resp.entry is not None:
                return cls._wrap_entry(resp.entry, etag=etag or resp.etag)
            if resp.status == c.HTTP_NO_CONTENT:
                return []  # a 204 to a feed GET is an empty feed
            raise pvmex.AtomError(
                _("The response to %(m)s %(p)s (HTTP %(s)s) holds nothing "
                  "to wrap.") % {"m": resp.reqmethod, "p": resp.reqpath,
                                 "s": resp.status}, response=resp)
        if isinstance(response_or_entry, adp.Entry):
            return cls._wrap_entry(response_or_entry, etag=etag)
        raise TypeError(_("EntryWrapper.wrap takes an adapter Response or "
                          "Entry; got %s.") % type(response_or_entry).__name__)

    @classmethod
    def _wrap_with(cls, resp, adapter):
        """:meth:`wrap` ``resp``, giving every wrapper ``adapter`` when the
        response carries none (canned responses of a mocked adapter), so
        the result can still update() and refresh()."""
        wrapped = cls.wrap(resp)
        for wrapper in wrapped if isinstance(wrapped, list) else [wrapped]:
            if wrapper.adapter is None:
                wrapper._adapter = adapter
        return wrapped

    @classmethod
    def _one(cls, resp, adapter) -> "EntryWrapper":
        """:meth:`_wrap_with` of a response that must hold one entry (the
        answer to a POST, PUT or single GET): anything else -- an empty
        204, a feed -- is an AtomError, never taken for success."""
        wrapped = cls._wrap_with(resp, adapter)
        if not isinstance(wrapped, EntryWrapper):
            raise pvmex.AtomError(
                _("The response to %(m)s %(p)s (HTTP %(s)s) holds no single "
                  "entry; an entry was expected.") % {
                    "m": resp.reqmethod, "p": resp.reqpath,
                    "s": resp.status}, response=resp)
        return wrapped

    @classmethod
    def bld(cls, adapter) -> "EntryWrapper":
        """A new, empty object of this type, ready to fill in and create()."""
        element = etree.Element("{%s}%s" % (cls.schema_ns, cls.schema_type),
                                attrib={"schemaVersion": c.SCHEMA_VERSION},
                                nsmap={None: cls.schema_ns})
        if cls.has_metadata:
            meta = etree.SubElement(element, "{%s}Metadata" % cls.schema_ns)
            etree.SubElement(meta, "{%s}Atom" % cls.schema_ns)
        return cls(element=element, adapter=adapter)

    # -- identity ----------------------------------------------------------

    @property
    def adapter(self):
        """The Adapter this wrapper was read through (used by update etc.)."""
        if self._adapter is not None:
            return self._adapter
        return self.entry.adapter if self.entry is not None else None

    @property
    def etag(self) -> Optional[str]:
        return self._etag

    @property
    def uuid(self) -> Optional[str]:
        """The object's UUID: the entry's Atom id, else Metadata/Atom/AtomID."""
        if self.entry is not None:
            uuid = self.entry.uuid
            if uuid:
                return uuid
        return self._get_val_str("Metadata/Atom/AtomID")

    @property
    def href(self) -> Optional[str]:
        """The SELF link (absolute URL, including any ``group=`` query)."""
        return self.entry.href if self.entry is not None else None

    # -- REST operations -----------------------------------------------------

    def _need_adapter(self, what: str):
        if self.adapter is None:
            raise ValueError(_("Cannot %(what)s %(obj)r: it has no adapter. "
                               "Wrap it from a Response, or build it with "
                               "bld(adapter).") % {"what": what, "obj": self})
        return self.adapter

    def _need_href(self, what: str) -> str:
        if not self.href:
            raise ValueError(_("Cannot %(what)s %(obj)r: it was not read from "
                               "the server (no SELF link); use create() for "
                               "a new object.") % {"what": what, "obj": self})
        return self.href

    def update(self, timeout: int = -1) -> "EntryWrapper":
        """POST this object back with ``If-Match: etag``.

        Goes to the SELF href with its ``group=`` query kept, since the
        etag covers that representation.  Returns a new wrapper carrying
        the new etag.  A stale etag raises HttpError 412.
        """
        adapter = self._need_adapter("update")
        path = _href_path(self._need_href("update"))
        if not self.etag:
            # Without If-Match the server would overwrite whatever changed
            # since this copy was read: a silently lost update.
            raise ValueError(_("Cannot update %r: it has no etag, so the "
                               "server could not refuse a stale copy; "
                               "refresh(use_etag=False) it first.") % self)
        resp = adapter.update_by_path(self, self.etag, path, timeout=timeout)
        return type(self)._one(resp, adapter)

    def refresh(self, use_etag: bool = True) -> "EntryWrapper":
        """Re-read this object.

        With ``use_etag`` an unchanged object (HTTP 304) returns ``self``;
        otherwise a new wrapper.
        """
        adapter = self._need_adapter("refresh")
        href = self._need_href("refresh")
        resp = adapter.read_by_href(href, etag=self.etag if use_etag else None)
        if resp.status == c.HTTP_NOT_MODIFIED:
            return self
        return type(self)._one(resp, adapter)

    def create(self, parent_type=None, parent_uuid=None, parent=None
               ) -> "EntryWrapper":
        """PUT this new object, as ROOT or as a CHILD of a parent."""
        adapter = self._need_adapter("create")
        ptype, puuid = resolve_parent(parent_type, parent_uuid, parent)
        if ptype is None:
            resp = adapter.create(self, self.schema_type)
        else:
            resp = adapter.create(self, ptype, root_id=puuid,
                                  child_type=self.schema_type)
        return type(self)._one(resp, adapter)

    def delete(self) -> None:
        """DELETE this object."""
        adapter = self._need_adapter("delete")
        adapter.delete_by_href(self._need_href("delete"), etag=self.etag)

    # -- getters -------------------------------------------------------------

    @classmethod
    def get(cls, adapter, uuid: Optional[str] = None, parent_type=None,
            parent_uuid=None, parent=None, xag=None):
        """GET and wrap one object (``uuid`` given) or the feed."""
        ptype, puuid = resolve_parent(parent_type, parent_uuid, parent)
        if ptype is None:
            resp = adapter.read(cls.schema_type, root_id=uuid, xag=xag)
        else:
            resp = adapter.read(ptype, root_id=puuid,
                                child_type=cls.schema_type, child_id=uuid,
                                xag=xag)
        if uuid is not None:
            return cls._one(resp, adapter)
        return cls._wrap_with(resp, adapter)

    @classmethod
    def getter(cls, adapter, entry_uuid: Optional[str] = None,
               parent_class=None, parent_uuid=None, xag=None, parent=None):
        """A deferred GET: :class:`EntryWrapperGetter` for one object, or
        :class:`FeedGetter` when ``entry_uuid`` is None."""
        if entry_uuid is None:
            return FeedGetter(adapter, cls, parent_class=parent_class,
                              parent_uuid=parent_uuid, xag=xag, parent=parent)
        return EntryWrapperGetter(adapter, cls, entry_uuid,
                                  parent_class=parent_class,
                                  parent_uuid=parent_uuid, xag=xag,
                                  parent=parent)


def _check_entry_class(entry_class) -> None:
    if not (isinstance(entry_class, type)
            and issubclass(entry_class, EntryWrapper)
            and entry_class.schema_type):
        raise ValueError(_("entry_class must be an EntryWrapper subclass "
                           "registered for a schema type (for example LPAR "
                           "or VIOS); got %r.") % (entry_class,))


class EntryWrapperGetter:
    """A deferred, cached GET of one object.

    ``get()`` does the GET the first time and returns the cached wrapper
    after that; ``get(refresh=True)`` refreshes the cached wrapper.
    """

    def __init__(self, adapter, entry_class: Type[EntryWrapper],
                 entry_uuid: str, parent_class=None, parent_uuid=None,
                 xag=None, parent=None):
        _check_entry_class(entry_class)
        if not entry_uuid:
            raise ValueError(_("An EntryWrapperGetter needs the UUID of the "
                               "object to get."))
        self.adapter = adapter
        self.entry_class = entry_class
        self.entry_uuid = entry_uuid
        self.parent_type, self.parent_uuid = resolve_parent(
            parent_class, parent_uuid, parent)
        self.xag = xag
        self.cache: Optional[EntryWrapper] = None
        self._lock = threading.Lock()

    def __repr__(self):
        return "<EntryWrapperGetter %s %s>" % (self.entry_class.__name__,
                                               self.entry_uuid)

    @property
    def uuid(self) -> str:
        """The UUID of the object this getter fetches (the lock key)."""
        return self.entry_uuid

    def get(self, refresh: bool = False) -> EntryWrapper:
        with self._lock:
            if self.cache is None:
                self.cache = self.entry_class.get(
                    self.adapter, uuid=self.entry_uuid,
                    parent_type=self.parent_type,
                    parent_uuid=self.parent_uuid, xag=self.xag)
            elif refresh:
                self.cache = self.cache.refresh()
            return self.cache


class FeedGetter:
    """A deferred, cached GET of a whole feed.

    ``get()`` fetches once; ``refresh=True`` refreshes each cached entry
    (etag-checked, so unchanged ones cost a 304); ``refetch=True`` GETs the
    feed again.
    """

    def __init__(self, adapter, entry_class: Type[EntryWrapper],
                 parent_class=None, parent_uuid=None, xag=None, parent=None):
        _check_entry_class(entry_class)
        self.adapter = adapter
        self.entry_class = entry_class
        self.parent_type, self.parent_uuid = resolve_parent(
            parent_class, parent_uuid, parent)
        self.xag = xag
        self.cache: Optional[List[EntryWrapper]] = None
        self._lock = threading.Lock()

    def __repr__(self):
        return "<FeedGetter %s>" % self.entry_class.__name__

    def _fetch(self) -> List[EntryWrapper]:
        return self.entry_class.get(self.adapter, parent_type=self.parent_type,
                                    parent_uuid=self.parent_uuid, xag=self.xag)

    def get(self, refresh: bool = False, refetch: bool = False
            ) -> List[EntryWrapper]:
        with self._lock:
            if self.cache is None or refetch:
                self.cache = self._fetch()
            elif refresh:
                self.cache = [wrapper.refresh() for wrapper in self.cache]
            return self.cache


class UUIDFeedGetter(FeedGetter):
    """A feed built from single GETs of the given UUIDs.

    Useful when only some objects of a large feed are wanted.
    """

    def __init__(self, adapter, entry_class: Type[EntryWrapper],
                 uuid_list: Sequence[str], parent_class=None,
                 parent_uuid=None, xag=None, parent=None):
        super().__init__(adapter, entry_class, parent_class=parent_class,
                         parent_uuid=parent_uuid, xag=xag, parent=parent)
        if isinstance(uuid_list, str):
            raise ValueError(_("uuid_list must be a list of UUIDs, not a "
                               "single string."))
        self.uuid_list = list(uuid_list)

    def _fetch(self) -> List[EntryWrapper]:
        return [self.entry_class.get(self.adapter, uuid=uuid,
                                     parent_type=self.parent_type,
                                     parent_uuid=self.parent_uuid,
                                     xag=self.xag)
                for uuid in self.uuid_list]
