"""The transaction recorder fixtures: run WrapperTasks, FeedTasks and
``@entry_transaction`` functions without I/O and record their steps (see
:mod:`pypvm_tx.testing.fixtures`, which re-exports them)."""

import collections
import copy
import threading
from typing import Callable, Dict, Iterable, List, Optional

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks
from pypvm_tx.testing.patching import (Patcher, SimplePatcher,
                                       SimplePatchingFx, start_all)
from pypvm_tx.wrappers import entry_wrapper as ewrap


# --------------------------------------------------------------------------
# Recording the transaction sequence
# --------------------------------------------------------------------------

class TxRecorderFx(SimplePatchingFx):
    """Run transactions without I/O and record their steps.

    While active:

    * every per-entry lock taken and released (through any
      :class:`~pypvm_tx.locks.LockProvider`) records ``lock`` / ``unlock``;
    * ``EntryWrapperGetter.get`` and ``FeedGetter.get`` record ``get`` and
      return the wrappers given to this fixture (never GET);
    * ``EntryWrapper.update`` records ``update`` and returns the wrapper
      (or raises an etag mismatch scheduled with :meth:`mismatch`, or
      calls ``update_func(wrapper, timeout)`` if given);
    * ``EntryWrapper.refresh`` records ``refresh`` and returns the
      server's copy (or ``refresh_func(wrapper, use_etag)``).

    The fixture plays the server: it holds a copy of each wrapper as
    added, and of each wrapper as last updated.  ``refresh()`` returns a
    new wrapper built from that copy, so a redrive after a simulated
    conflict starts from the server's state, not from the changes the
    failed attempt made -- an idempotent subtask ("already at the
    target, nothing to do") behaves as against a real server.  A
    simulated conflict also changes the held etag (another writer's
    update); ``refresh(use_etag=True)`` of a wrapper whose etag is still
    the held one returns that wrapper itself, like an HTTP 304.

    Entries are ``(step, uuid)`` in :attr:`calls`; :meth:`get_log` gives
    the step names, for one UUID or all.  A feed's ``get`` has uuid None.

    :param wrappers: the wrappers that getters return, matched by UUID;
        a FeedGetter returns all of them, in order.  More can be added
        with :meth:`add`.
    """

    def __init__(self, wrappers: Optional[Iterable[ewrap.EntryWrapper]] = None,
                 update_func: Optional[Callable] = None,
                 refresh_func: Optional[Callable] = None):
        super().__init__()
        self._initial = list(wrappers or ())
        self.update_func = update_func
        self.refresh_func = refresh_func
        # patchers: the replaced methods by name (see Patcher); change or
        # remove them before the fixture starts.
        self.add_patchers(*self._default_patchers())

    #: Which calls pass the instance to a patcher's mock, by patcher name.
    _MOCK_GETS_SELF: Dict[str, bool] = {}
    #: The patcher names of the entry getter's and the feed getter's get.
    _ENTRY_GET, _FEED_GET = "get", "feed_get"

    def _default_patchers(self) -> List[Patcher]:
        acquire = locks.LockProvider.acquire
        release = locks.LockProvider.release
        ew_path = "pypvm_tx.wrappers.entry_wrapper."
        specs = (
            ("lock", "pypvm_tx.locks.LockProvider.acquire",
             lambda provider, uuid, timeout=None: self._on_acquire(
                 acquire, provider, uuid, timeout)),
            ("unlock", "pypvm_tx.locks.LockProvider.release",
             lambda provider, handle: self._on_release(
                 release, provider, handle)),
            (self._ENTRY_GET, ew_path + "EntryWrapperGetter.get",
             self._on_entry_get),
            # (UUIDFeedGetter inherits this get: patching it too would
            # leave the patch behind on clean-up.)
            (self._FEED_GET, ew_path + "FeedGetter.get", self._on_feed_get),
            ("update", ew_path + "EntryWrapper.update", self._on_update),
            ("refresh", ew_path + "EntryWrapper.refresh", self._on_refresh))
        return [Patcher(self, name, target, func,
                        passes_self=self._MOCK_GETS_SELF.get(name, True))
                for name, target, func in specs]

    def _setUp(self):
        self.calls: List[tuple] = []
        self._lock = threading.Lock()
        self._wrappers: Dict[str, ewrap.EntryWrapper] = {}
        self._server: Dict[str, _ServerCopy] = {}
        self._mismatches: Dict[Optional[str], int] = collections.Counter()
        for wrapper in self._initial:
            self.add(wrapper)
        start_all(self.patchers)

    # -- what the patched methods do ---------------------------------------

    def _on_acquire(self, acquire, provider, uuid, timeout):
        handle = acquire(provider, uuid, timeout=timeout)
        self._record("lock", uuid)
        return (uuid, handle)

    def _on_release(self, release, provider, handle):
        uuid, inner = handle
        self._record("unlock", uuid)
        release(provider, inner)

    def _on_entry_get(self, getter, refresh=False):
        self._record("get", getter.entry_uuid)
        if getter.cache is None:
            getter.cache = self._lookup(getter.entry_uuid)
        elif refresh:
            getter.cache = getter.cache.refresh()
        return getter.cache

    def _on_feed_get(self, getter, refresh=False, refetch=False):
        self._record("get", None)
        if getter.cache is None or refetch:
            if isinstance(getter, ewrap.UUIDFeedGetter):
                getter.cache = [self._lookup(uuid)
                                for uuid in getter.uuid_list]
            else:
                getter.cache = list(self._wrappers.values())
        elif refresh:
            getter.cache = [w.refresh() for w in getter.cache]
        return getter.cache

    def _on_update(self, wrapper, timeout=-1):
        self._record("update", wrapper.uuid)
        self._maybe_mismatch(wrapper)
        result = wrapper
        if self.update_func is not None:
            result = self.update_func(wrapper, timeout)
        self._hold(result if isinstance(result, ewrap.EntryWrapper)
                   else wrapper)
        return result

    def _on_refresh(self, wrapper, use_etag=True):
        self._record("refresh", wrapper.uuid)
        if self.refresh_func is not None:
            return self.refresh_func(wrapper, use_etag)
        return self._refreshed(wrapper, use_etag)

    def _refreshed(self, wrapper, use_etag):
        return self._server_copy(wrapper, use_etag)

    # -- set-up helpers ------------------------------------------------------

    def add(self, *wrappers: ewrap.EntryWrapper) -> "TxRecorderFx":
        """Make getters return these wrappers (by UUID)."""
        for wrapper in wrappers:
            if not isinstance(wrapper, ewrap.EntryWrapper):
                raise TypeError("TxRecorderFx.add takes EntryWrappers; got "
                                "%s." % type(wrapper).__name__)
            self._wrappers[str(wrapper.uuid).lower()] = wrapper
            self._hold(wrapper)
        return self

    def mismatch(self, times: int = 1, uuid: Optional[str] = None) -> None:
        """Make the next ``times`` updates (of ``uuid``, or of any entry)
        raise HttpError 412, as a concurrent change would."""
        key = uuid.lower() if uuid else None
        with self._lock:
            self._mismatches[key] += times

    def _maybe_mismatch(self, wrapper):
        key = str(wrapper.uuid).lower()
        with self._lock:
            for which in (key, None):
                if self._mismatches.get(which):
                    self._mismatches[which] -= 1
                    break
            else:
                return
        self._conflict(wrapper)
        resp = adp.Response("POST", wrapper.href or "/", 412,
                            "Precondition Failed", {}, body=(
                                '<HttpErrorResponse xmlns="%s"><Message>etag '
                                'mismatch (TxRecorderFx)</Message>'
                                '</HttpErrorResponse>' % c.UOM_NS).encode())
        raise pvmex.http_error_for(resp)

    # -- the server's copies ---------------------------------------------

    def _hold(self, wrapper: ewrap.EntryWrapper) -> None:
        """Make ``wrapper``'s current state the server's copy."""
        held = _ServerCopy(wrapper, copy.deepcopy(wrapper.element),
                           wrapper.etag)
        with self._lock:
            self._server[str(wrapper.uuid).lower()] = held

    def _conflict(self, wrapper: ewrap.EntryWrapper) -> None:
        """A simulated concurrent writer: the held etag changes."""
        with self._lock:
            held = self._server.get(str(wrapper.uuid).lower())
            if held is not None:
                held.etag = _next_etag(held.etag)

    def _server_copy(self, wrapper: ewrap.EntryWrapper,
                     use_etag: bool) -> ewrap.EntryWrapper:
        """What a GET of ``wrapper`` would give: a new wrapper of the held
        copy (``wrapper`` itself for an unchanged etag with ``use_etag``,
        or when the fixture holds no copy of it)."""
        with self._lock:
            held = self._server.get(str(wrapper.uuid).lower())
        if held is None or (use_etag and wrapper.etag == held.etag):
            return wrapper
        return type(held.source)(
            entry=held.source.entry, etag=held.etag,
            element=copy.deepcopy(held.element),
            adapter=held.source.adapter)

    def _lookup(self, uuid) -> ewrap.EntryWrapper:
        try:
            return self._wrappers[str(uuid).lower()]
        except KeyError:
            raise AssertionError(
                "TxRecorderFx has no wrapper for UUID %s; pass it in "
                "wrappers= or add() it." % uuid) from None

    # -- the record ------------------------------------------------------

    def _record(self, step: str, uuid) -> None:
        with self._lock:
            self.calls.append((step, uuid))

    def get_log(self, uuid: Optional[str] = None) -> List[str]:
        """The recorded steps, all or those of one entry (a feed ``get``
        counts for every entry)."""
        with self._lock:
            calls = list(self.calls)
        if uuid is None:
            return [step for step, _uuid in calls]
        key = str(uuid).lower()
        return [step for step, who in calls
                if who is None or str(who).lower() == key]

    def log(self, step: str) -> None:
        """Record a step of the test's own (e.g. from a subtask), in
        order with the fixture's; it counts for every entry."""
        self._record(step, None)

    def reset_log(self) -> None:
        with self._lock:
            self.calls = []


class _ServerCopy:
    """The state the fixture's server holds for one entry: the object
    element, its etag, and the wrapper it came from (for its entry's
    UUID and SELF link, and its adapter)."""

    __slots__ = ("source", "element", "etag")

    def __init__(self, source: ewrap.EntryWrapper, element, etag):
        self.source = source
        self.element = element
        self.etag = etag


def _next_etag(etag: Optional[str]) -> str:
    """Another etag, as a concurrent write would give (the server's are
    signed integers)."""
    try:
        return str(int(etag or "") + 1)
    except ValueError:
        return "%s+1" % (etag or "")


class WrapperTaskFx(TxRecorderFx):
    """:class:`TxRecorderFx` for one wrapper, shaped like the fixture of
    the same name that consumers' existing suites use.

    * Any getter's ``get()`` answers ``wrapper`` (whatever its UUID), and
      ``refresh()`` returns ``wrapper`` itself: no server copy.
    * ``patchers``: ``get``, ``feed_get``, ``refresh``, ``update``,
      ``lock``, ``unlock`` and ``sleep`` (``time.sleep``); the ``get``,
      ``refresh`` and ``update`` mocks are called without the instance
      (``patchers['update'].mock`` sees ``(timeout=...)``).
    """

    _MOCK_GETS_SELF = {"get": False, "refresh": False, "update": False}

    def __init__(self, wrapper: ewrap.EntryWrapper, **kwargs):
        super().__init__([wrapper], **kwargs)
        self.wrapper = wrapper
        self.add_patchers(SimplePatcher(self, "sleep", "time.sleep"))

    def _lookup(self, uuid) -> ewrap.EntryWrapper:
        return self._wrappers.get(str(uuid).lower(), self.wrapper)

    def _refreshed(self, wrapper, use_etag):
        return self.wrapper


class FeedTaskFx(TxRecorderFx):
    """:class:`TxRecorderFx` for a feed, shaped like the fixture of the
    same name that consumers' existing suites use.

    * ``FeedGetter.get()`` answers ``feed``; an entry getter answers the
      feed's wrapper of its UUID; ``refresh()`` returns the wrapper it
      is called on: no server copy.
    * ``patchers``: ``get`` (the feed getter's), ``entry_get``,
      ``refresh``, ``update``, ``lock``, ``unlock`` and ``sleep``
      (``time.sleep``); the ``refresh`` and ``update`` mocks are called
      with the wrapper first (``assert_called_with(mock.ANY,
      timeout=...)``).
    """

    _ENTRY_GET, _FEED_GET = "entry_get", "get"
    _MOCK_GETS_SELF = {"get": False, "entry_get": False}

    def __init__(self, feed: Iterable[ewrap.EntryWrapper], **kwargs):
        feed = list(feed)
        super().__init__(feed, **kwargs)
        self.feed = feed
        self.add_patchers(SimplePatcher(self, "sleep", "time.sleep"))

    def _refreshed(self, wrapper, use_etag):
        return wrapper
