"""The object model's Atom entries: :class:`EntryWrapper`.

An :class:`EntryWrapper` wraps one Atom entry's object element (an LPAR,
a VIOS, ...) together with the etag it was read with, and knows how to
write itself back (``update``), re-read itself (``refresh``), create and
delete itself.

The rest of the object model lives beside it and is re-exported here,
so code written against this one module keeps working: the element base
(:class:`~pypvm_tx.wrappers.base.Wrapper`,
:class:`~pypvm_tx.wrappers.base.ElementWrapper`,
:class:`~pypvm_tx.wrappers.base.WrapperElemList`,
:func:`~pypvm_tx.wrappers.base.insert_in_order`) in
:mod:`pypvm_tx.wrappers.base`, and the deferred GETs
(:class:`~pypvm_tx.wrappers.getters.EntryWrapperGetter`,
:class:`~pypvm_tx.wrappers.getters.FeedGetter`,
:class:`~pypvm_tx.wrappers.getters.UUIDFeedGetter`) in
:mod:`pypvm_tx.wrappers.getters`.

This module sits on the adapter layer only; it never imports the
transaction layer.
"""

import re
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar, Union

from lxml import etree

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter.paths import Xag
from pypvm_tx.i18n import _

# Wrapper, ElementWrapper, WrapperElemList and insert_in_order are
# re-exported: code written against the one-module layout imports them here.
from pypvm_tx.wrappers.base import (  # noqa: F401
    ElementWrapper,
    Wrapper,
    WrapperElemList,
    insert_in_order,
    new_element,
)

#: Entry wrapper classes by schema type, filled by ``EntryWrapper.pvm_type``.
_ENTRY_CLASSES: Dict[str, Type["EntryWrapper"]] = {}

#: A CHILD object's parent type: a wrapper class or a schema type string
#: such as ``'ManagedSystem'`` (None: a ROOT object).
ParentType = Union[None, str, Type[Wrapper]]


def _schema_type_of(obj) -> Optional[str]:
    """``obj.schema_type`` when it is a non-empty string, else None."""
    schema_type = getattr(obj, "schema_type", None)
    return schema_type if isinstance(schema_type, str) and schema_type \
        else None


def _parent_type_name(parent_class) -> Optional[str]:
    """Accept a wrapper class (this library's or any class with a
    ``schema_type``, such as pypowervm's) or a schema type string; return
    the string."""
    if parent_class is None or isinstance(parent_class, str):
        return parent_class
    if isinstance(parent_class, type) and _schema_type_of(parent_class):
        return _schema_type_of(parent_class)
    raise ValueError(_("A parent type must be a wrapper class with a schema "
                       "type or a schema type string such as "
                       "'ManagedSystem'; got %r.") % (parent_class,))


def resolve_parent(parent_class: ParentType = None,
                   parent_uuid: Optional[str] = None,
                   parent: Optional["EntryWrapper"] = None
                   ) -> Tuple[Optional[str], Optional[str]]:
    """Normalise the three ways of naming a CHILD object's parent.

    Returns ``(parent_schema_type, parent_uuid)``, both None for a ROOT
    object.  ``parent`` (a wrapper) stands for both values; otherwise the
    class (or schema type string) and the UUID must come together.
    Wrappers are recognised by their ``schema_type`` and ``uuid``, so
    pypowervm's serve too.
    """
    if parent is not None:
        if parent_class is not None or parent_uuid is not None:
            raise ValueError(_("Give either parent or parent_class with "
                               "parent_uuid, not both."))
        # Any wrapper with a schema type and a UUID: this library's, or
        # pypowervm's while a consumer moves over in stages.
        parent_uuid = getattr(parent, "uuid", None)
        if not (_schema_type_of(parent) and parent_uuid):
            raise ValueError(_("parent must be a wrapper with a schema type "
                               "and a UUID (for example a System); got "
                               "%s.") % type(parent).__name__)
        return _schema_type_of(parent), parent_uuid
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


_W = TypeVar("_W", bound="EntryWrapper")


def _take_id(read_kwargs: Dict[str, Any], uuid: Optional[str], id_key: str,
             refused: Tuple[str, ...]) -> Optional[str]:
    """The object's UUID for get(): ``uuid`` or ``read_kwargs[id_key]``
    (removed from it), not both; ``refused`` keys are set by get() itself
    (from the class and the parent), so a caller may not pass them."""
    given = sorted(key for key in refused if key in read_kwargs)
    if given:
        raise ValueError(_("get() sets %(keys)s itself: name a CHILD "
                           "object's parent with parent, or with parent_type "
                           "and parent_uuid.") % {"keys": ", ".join(given)})
    if id_key in read_kwargs:
        if uuid is not None:
            raise ValueError(_("Give the object's UUID as uuid or as "
                               "%s, not both.") % id_key)
        return read_kwargs.pop(id_key)
    return uuid

#: The least default timeout of an update() POST, in seconds.
UPDATE_TIMEOUT = 3600


def _update_timeout(adapter) -> Optional[float]:
    """update()'s default timeout: an hour, or the session's own timeout
    when that is longer; a session without a timeout (None) gives None."""
    session = getattr(adapter, "session", None)
    session_timeout = getattr(session, "timeout", UPDATE_TIMEOUT)
    if session_timeout is None:
        return None
    if isinstance(session_timeout, bool) or not isinstance(
            session_timeout, (int, float)):
        return UPDATE_TIMEOUT  # e.g. a test double's session
    return max(UPDATE_TIMEOUT, session_timeout)


class EntryWrapper(Wrapper):
    """One REST object (an Atom entry's content) with the etag it was read at.

    Build one with :meth:`wrap` from a :class:`~pypvm_tx.adapter.Response`
    or :class:`~pypvm_tx.adapter.Entry`, or with :meth:`get`.
    """

    has_metadata = True

    def __init__(self, entry: Optional[adp.Entry] = None,
                 etag: Optional[str] = None,
                 element: Optional[etree._Element] = None,
                 adapter: Optional[adp.Adapter] = None):
        if entry is None and element is None:
            raise ValueError(_("An EntryWrapper needs an Atom entry or an "
                               "object element."))
        self.entry = entry
        # For a wrapped entry the object element is looked up on first use.
        self._element = element  # type: ignore[assignment]
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
    def wrap(cls, response_or_entry: Union[adp.Response, adp.Entry],
             etag: Optional[str] = None
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
    def bld(cls: Type[_W], adapter: Optional[adp.Adapter]) -> _W:
        """A new, empty object of this type, ready to fill in and create()."""
        element = new_element(cls.schema_type, cls.schema_ns,
                              metadata=cls.has_metadata)
        return cls(element=element, adapter=adapter)

    # -- identity ----------------------------------------------------------

    @property
    def adapter(self) -> Optional[adp.Adapter]:
        """The Adapter this wrapper was read through (used by update etc.)."""
        if self._adapter is not None:
            return self._adapter
        return self.entry.adapter if self.entry is not None else None

    @property
    def etag(self) -> Optional[str]:
        return self._etag

    @property
    def uuid(self) -> Optional[str]:
        """The object's UUID: the entry's Atom id, else
        ``Metadata/Atom/AtomID``."""
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

    def update(self, timeout: Optional[float] = -1) -> "EntryWrapper":
        """POST this object back with ``If-Match: etag``.

        Goes to the SELF href with its ``group=`` query kept, since the
        etag covers that representation.  Returns a new wrapper carrying
        the new etag.  A stale etag raises HttpError 412.

        :param timeout: seconds the POST may take; ``-1`` (the default)
            means an hour, or the session's timeout if that is longer,
            since the server may take long to apply a change (a VIOS
            mapping, a resize).
        """
        adapter = self._need_adapter("update")
        if timeout == -1:
            timeout = _update_timeout(adapter)
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

    def create(self, parent_type: ParentType = None,
               parent_uuid: Optional[str] = None,
               parent: Optional["EntryWrapper"] = None) -> "EntryWrapper":
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
    def get(cls, adapter: adp.Adapter, uuid: Optional[str] = None,
            parent_type: ParentType = None, parent_uuid: Optional[str] = None,
            parent: Optional["EntryWrapper"] = None, **read_kwargs: Any
            ) -> Any:
        """GET and wrap one object (``uuid`` given) or the feed.

        ``read_kwargs`` go to :meth:`Adapter.read
        <pypvm_tx.adapter.Adapter.read>` as given (``xag``, ``timeout``,
        ``suffix_type``...); the object's UUID may come as ``root_id`` (a
        ROOT object) or ``child_id`` (a CHILD) there instead of ``uuid``.
        ``xag``: None (default) reads no extended attribute groups, ``[]``
        every group (the server's default), else the groups named.
        """
        if cls.schema_type is None:
            raise ValueError(_("%s has no schema type to GET; use a wrapper "
                               "class such as LPAR or VIOS.") % cls.__name__)
        ptype, puuid = resolve_parent(parent_type, parent_uuid, parent)
        if ptype is None:
            uuid = _take_id(read_kwargs, uuid, "root_id", ("child_type",
                                                           "child_id"))
            resp = adapter.read(cls.schema_type, root_id=uuid, **read_kwargs)
        else:
            uuid = _take_id(read_kwargs, uuid, "child_id", ("root_id",
                                                            "child_type"))
            resp = adapter.read(ptype, root_id=puuid,
                                child_type=cls.schema_type, child_id=uuid,
                                **read_kwargs)
        if uuid is not None:
            return cls._one(resp, adapter)
        return cls._wrap_with(resp, adapter)

    @classmethod
    def getter(cls, adapter: adp.Adapter, entry_uuid: Optional[str] = None,
               parent_class: ParentType = None,
               parent_uuid: Optional[str] = None, xag: Xag = None,
               parent: Optional["EntryWrapper"] = None) -> Any:
        """A deferred GET: :class:`EntryWrapperGetter` for one object, or
        :class:`FeedGetter` when ``entry_uuid`` is None."""
        if entry_uuid is None:
            return FeedGetter(adapter, cls, parent_class=parent_class,
                              parent_uuid=parent_uuid, xag=xag, parent=parent)
        return EntryWrapperGetter(adapter, cls, entry_uuid,
                                  parent_class=parent_class,
                                  parent_uuid=parent_uuid, xag=xag,
                                  parent=parent)


# Re-exported for code written against the one-module layout.  Imported
# last: the getters build on EntryWrapper above, and the package imports
# this module before them.
from pypvm_tx.wrappers.getters import EntryWrapperGetter, FeedGetter, UUIDFeedGetter  # noqa: E402,F401
