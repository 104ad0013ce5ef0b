"""Deferred GETs: what to read, described now and fetched later.

An :class:`EntryWrapperGetter` (one object), :class:`FeedGetter` (a whole
feed) or :class:`UUIDFeedGetter` (some objects of a feed, by UUID) names
*what* to GET without doing it yet, so a transaction can defer the GET
until it holds the object's lock.  Each caches what it fetched; build one
with :meth:`EntryWrapper.getter
<pypvm_tx.wrappers.entry_wrapper.EntryWrapper.getter>`.
"""

import threading
from typing import List, Optional, Sequence, Type

# entry_wrapper imports this module at its end (to re-export the getters),
# so both names below are defined by the time this line runs.
from pypvm_tx import adapter as adp
from pypvm_tx.adapter.paths import Xag
from pypvm_tx.i18n import _
from pypvm_tx.wrappers.entry_wrapper import EntryWrapper, ParentType, resolve_parent


def _check_entry_class(entry_class) -> None:
    if not (isinstance(entry_class, type)
            and issubclass(entry_class, EntryWrapper)
            and entry_class.schema_type):
        raise ValueError(_("entry_class must be an EntryWrapper subclass "
                           "registered for a schema type (for example LPAR "
                           "or VIOS); got %r.") % (entry_class,))


def _read(getter, uuid: Optional[str]) -> adp.Response:
    """The getter's GET of one object (``uuid``) or of the feed (None).

    Spelled as pypowervm's getters spell it --
    ``read(root_type, root_id, child_type=..., child_id=..., xag=...)``,
    every keyword present -- so a consumer's test asserting that call on
    a mocked adapter holds after the import change.
    """
    cls = getter.entry_class
    if getter.parent_type is None:
        root_type, root_id, child_type, child_id = (
            cls.schema_type, uuid, None, None)
    else:
        root_type, root_id, child_type, child_id = (
            getter.parent_type, getter.parent_uuid, cls.schema_type, uuid)
    return getter.adapter.read(root_type, root_id, child_type=child_type,
                               child_id=child_id, xag=getter.xag)


class EntryWrapperGetter:
    """A deferred, cached GET of one object.

    ``get()`` does the GET the first time and returns the cached wrapper
    after that; ``get(refresh=True)`` refreshes the cached wrapper.
    """

    def __init__(self, adapter: adp.Adapter, entry_class: Type[EntryWrapper],
                 entry_uuid: str, parent_class: ParentType = None,
                 parent_uuid: Optional[str] = None, xag: Xag = None,
                 parent: Optional[EntryWrapper] = None):
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
                self.cache = self.entry_class._one(
                    _read(self, self.entry_uuid), self.adapter)
            elif refresh:
                self.cache = self.cache.refresh()
            return self.cache


class FeedGetter:
    """A deferred, cached GET of a whole feed.

    ``get()`` fetches once; ``refresh=True`` refreshes each cached entry
    (etag-checked, so unchanged ones cost a 304); ``refetch=True`` GETs the
    feed again.
    """

    def __init__(self, adapter: adp.Adapter, entry_class: Type[EntryWrapper],
                 parent_class: ParentType = None,
                 parent_uuid: Optional[str] = None, xag: Xag = None,
                 parent: Optional[EntryWrapper] = None):
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
        return self.entry_class._wrap_with(_read(self, None), self.adapter)

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

    def __init__(self, adapter: adp.Adapter, entry_class: Type[EntryWrapper],
                 uuid_list: Sequence[str], parent_class: ParentType = None,
                 parent_uuid: Optional[str] = None, xag: Xag = None,
                 parent: Optional[EntryWrapper] = None):
        super().__init__(adapter, entry_class, parent_class=parent_class,
                         parent_uuid=parent_uuid, xag=xag, parent=parent)
        if isinstance(uuid_list, str):
            raise ValueError(_("uuid_list must be a list of UUIDs, not a "
                               "single string."))
        self.uuid_list = list(uuid_list)

    def _fetch(self) -> List[EntryWrapper]:
        return [self.entry_class._one(_read(self, uuid), self.adapter)
                for uuid in self.uuid_list]
