"""Fixtures for unit-testing code that uses pypvm_tx.

Three kinds, all :class:`fixtures.Fixture` subclasses (use them with
``self.useFixture(...)`` in a testtools / oslotest test case, or through
the pytest fixtures of :mod:`pypvm_tx.testing.pytest_plugin`):

:class:`AdapterFx`
    A mocked :class:`~pypvm_tx.adapter.Adapter` (``mock.create_autospec``,
    so a call with a wrong signature fails) plus helpers that build the
    canned :class:`~pypvm_tx.adapter.Response` objects it should return
    from object XML or wrappers: single entries, feeds with per-entry
    etags, 204, 304 and HTTP errors.

:class:`TxRecorderFx`, :class:`WrapperTaskFx`, :class:`FeedTaskFx`
    (the last two shaped as the pypowervm fixtures of those names, with
    ``patchers``; see also :class:`SessionFx`, :class:`SleepFx`,
    :class:`LoggingFx` and the console :class:`Traits`.)  Run WrapperTasks, FeedTasks and ``@entry_transaction`` functions
    without any I/O and records what they did: ``lock``, ``get``,
    ``update``, ``refresh``, ``unlock``, each with the entry's UUID, so a
    test can assert e.g. ``['lock', 'get', 'update', 'unlock']``.  It can
    also make the next updates fail with an etag mismatch (412), to test
    a consumer's redrive path.

:class:`EmulatorFx`
    A running :mod:`~pypvm_tx.testing.emulator` on loopback plus a
    logged-on ``Adapter``, for functional tests over real HTTP.

Example (pytest)::

    def test_resize(tx_recorder, adapter_fx):
        lpar = adapter_fx.wrapper(make_lpar(name="vm1", desired_mem=2048))
        tx_recorder.add(lpar)
        my_code.resize(lpar.uuid, adapter_fx.adapter)
        assert tx_recorder.get_log() == ['lock', 'get', 'update', 'unlock']
"""

import collections
import copy
import uuid as uuidlib
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union
from unittest import mock

import fixtures
from lxml import etree

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.testing.patching import (  # noqa: F401 - re-exported
    LocalPVMTraits, LoggingFx, LoggingPatcher, Patcher, RemoteHMCTraits,
    RemotePVMTraits, SessionFx, SimplePatcher, SimplePatchingFx, SleepFx,
    Traits)
from pypvm_tx.testing.recorder import (  # noqa: F401 - re-exported
    FeedTaskFx, TxRecorderFx, WrapperTaskFx)
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import virtual_io_server as vios

#: Where canned hrefs point (never contacted).
DEFAULT_BASE_URL = "https://hmc.example:12443"

_ATOM = "{%s}" % c.ATOM_NS


# --------------------------------------------------------------------------
# Canned objects and responses
# --------------------------------------------------------------------------

def _set_uuid(wrapper: ewrap.EntryWrapper, uuid: str) -> None:
    atom = wrapper._find("Metadata/Atom")
    if atom is None:
        meta = wrapper._find("Metadata")
        if meta is None:
            meta = etree.SubElement(wrapper.element, "{%s}Metadata" % c.UOM_NS)
            ewrap.insert_in_order(wrapper.element, meta, wrapper.child_order)
        atom = etree.SubElement(meta, "{%s}Atom" % c.UOM_NS)
    elem = atom.find("{%s}AtomID" % c.UOM_NS)
    if elem is None:
        elem = etree.SubElement(atom, "{%s}AtomID" % c.UOM_NS)
    elem.text = uuid


def _fill_partition(part: lpar.BasePartition, uuid: str, name: str,
                    part_id: int, env: str, state: str, desired_mem: int,
                    proc_units: float, virtual_procs: int) -> None:
    _set_uuid(part, uuid)
    part._set_val("PartitionID", part_id)
    part.mem_config.desired = desired_mem
    part.mem_config.min = min(desired_mem, 1024)
    part.mem_config.max = max(desired_mem, 8192)
    part.name = name
    part.proc_config.has_dedicated = False
    part.proc_config.desired_units = proc_units
    part.proc_config.desired_virtual = virtual_procs
    part._set_val("PartitionState", state)
    part.env = env
    part._set_val("PartitionUUID", uuid)


def make_lpar(name: str = "lpar", uuid: Optional[str] = None,
              part_id: int = 2, desired_mem: int = 2048,
              proc_units: float = 0.5, virtual_procs: int = 1,
              state: str = lpar.LPARState.RUNNING) -> lpar.LPAR:
    """A small, valid LPAR (no adapter; give it to AdapterFx helpers)."""
    part = lpar.LPAR.bld(None)
    _fill_partition(part, uuid or str(uuidlib.uuid4()).upper(), name,
                    part_id, lpar.LPARType.AIXLINUX, state, desired_mem,
                    proc_units, virtual_procs)
    return part


def make_vios(name: str = "vios", uuid: Optional[str] = None,
              part_id: int = 1, desired_mem: int = 4096,
              scsi_mappings: Sequence[vios.VSCSIMapping] = (),
              vfc_mappings: Sequence[vios.VFCMapping] = ()) -> vios.VIOS:
    """A small, valid VIOS with the given mappings (and their containers)."""
    part = vios.VIOS.bld(None)
    _fill_partition(part, uuid or str(uuidlib.uuid4()).upper(), name,
                    part_id, lpar.LPARType.VIOS, lpar.LPARState.RUNNING,
                    desired_mem, 1.0, 2)
    for vfc in vfc_mappings:
        part.vfc_mappings.append(vfc)
    for scsi in scsi_mappings:
        part.scsi_mappings.append(scsi)
    return part


def _object_element(obj) -> etree._Element:
    """The object element of a wrapper, element, or XML text."""
    if isinstance(obj, ewrap.Wrapper):
        return obj.element
    if isinstance(obj, etree._Element):
        return obj
    if isinstance(obj, (bytes, str)):
        return adp.parse_xml(obj, what="a canned object")
    raise TypeError("Expected an EntryWrapper, an lxml element or object "
                    "XML; got %s." % type(obj).__name__)


def _object_uuid(element: etree._Element) -> Optional[str]:
    return element.findtext("{ns}Metadata/{ns}Atom/{ns}AtomID".format(
        ns="{%s}" % c.UOM_NS))


class AdapterFx(fixtures.Fixture):
    """A mocked Adapter with helpers for canned responses.

    ``adapter`` (also ``adpt``, as consumers' tests spell it) is
    ``mock.create_autospec(Adapter, instance=True)``, so a call with a
    wrong signature fails.  Give it results with :meth:`queue` (first in,
    first out, per method) or set ``adapter.<method>.return_value`` /
    ``side_effect`` directly.  Every Response built here has ``adapter``
    set, like the real Adapter's.

    :param base_url: scheme, host and port of the SELF links it writes.
    :param session: the adapter's ``session``; default a mock.
    :param traits: the :class:`Traits` put on the adapter and its
        session (default ``session.traits`` if given, else
        :data:`LocalPVMTraits`).
    """

    def __init__(self, session=None, traits: Optional[Traits] = None,
                 base_url: str = DEFAULT_BASE_URL):
        super().__init__()
        if isinstance(session, str):
            raise TypeError("AdapterFx's first argument is the session; "
                            "give the base URL as base_url=.")
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.traits = traits or getattr(session, "traits", None) \
            or LocalPVMTraits

    def _setUp(self):
        self.adapter = mock.create_autospec(adp.Adapter, instance=True)
        self.adpt = self.adapter
        if self.session is None:
            self.session = mock.Mock(name="session", timeout=1200)
        self.adapter.session = self.session
        self.set_traits(self.traits)
        self._queues: Dict[str, collections.deque] = {}

    def set_traits(self, traits: Traits) -> None:
        """Put ``traits`` on the mocked adapter and its session."""
        self.traits = traits
        self.adapter.traits = traits
        self.adapter.session.traits = traits

    # -- building responses -------------------------------------------------

    def href(self, schema_type: str, uuid: Optional[str] = None,
             parent_type: Optional[str] = None,
             parent_uuid: Optional[str] = None, xag=None) -> str:
        """The absolute href of an object (or feed), with ``group=``."""
        path = adp.build_path(c.SERVICE_UOM, parent_type or schema_type,
                              parent_uuid if parent_type else uuid,
                              schema_type if parent_type else None,
                              uuid if parent_type else None, xag=xag)
        return self.base_url + path

    def _entry_element(self, obj, etag, in_feed, parent_type, parent_uuid,
                       xag) -> etree._Element:
        element = _object_element(obj)
        schema_type = etree.QName(element).localname
        uuid = _object_uuid(element) or str(uuidlib.uuid4()).upper()
        entry = etree.Element(_ATOM + "entry",
                              nsmap={None: c.ATOM_NS})  # type: ignore[dict-item]  # lxml-stubs: None is the default namespace
        etree.SubElement(entry, _ATOM + "id").text = uuid
        etree.SubElement(entry, _ATOM + "title").text = schema_type
        etree.SubElement(entry, _ATOM + "link", rel=c.LINK_REL_SELF,
                         href=self.href(schema_type, uuid, parent_type,
                                        parent_uuid, xag))
        if in_feed and etag is not None:
            etree.SubElement(entry, "{%s}etag" % c.ETAG_NS,
                             nsmap={"etag": c.ETAG_NS}).text = str(etag)
        content = etree.SubElement(entry, _ATOM + "content",
                                   type=c.uom_content_type(schema_type))
        content.append(copy.deepcopy(element))
        return entry

    def entry_response(self, obj, etag: Optional[str] = "1",
                       status: int = 200, method: str = "GET",
                       parent_type: Optional[str] = None,
                       parent_uuid: Optional[str] = None,
                       xag=None) -> adp.Response:
        """A single-entry Response holding ``obj`` (a wrapper, an object
        element or its XML), with ``etag`` as its ETag header."""
        entry = self._entry_element(obj, etag, False, parent_type,
                                    parent_uuid, xag)
        link = entry.find(_ATOM + "link")
        assert link is not None  # _entry_element always adds the SELF link
        href = link.get("href", "")
        headers = {c.ETAG: str(etag)} if etag is not None else {}
        return adp.Response(method, href, status, "OK", headers,
                            body=etree.tostring(entry), adapter=self.adapter)

    def feed_response(self, objs: Iterable, etags: Optional[Sequence] = None,
                      feed_etag: str = "1000",
                      parent_type: Optional[str] = None,
                      parent_uuid: Optional[str] = None,
                      xag=None) -> adp.Response:
        """A feed Response of ``objs``, entry ``i`` with etag ``etags[i]``
        (default ``'1'`` each); no objects gives a 204."""
        objs = list(objs)
        if not objs:
            return self.empty_feed_response()
        etags = list(etags) if etags is not None else ["1"] * len(objs)
        if len(etags) != len(objs):
            raise ValueError("feed_response needs one etag per object: %d "
                             "objects, %d etags." % (len(objs), len(etags)))
        schema_type = etree.QName(_object_element(objs[0])).localname
        href = self.href(schema_type, None, parent_type, parent_uuid, xag)
        feed = etree.Element(_ATOM + "feed",
                             nsmap={None: c.ATOM_NS})  # type: ignore[dict-item]  # lxml-stubs: None is the default namespace
        etree.SubElement(feed, _ATOM + "id").text = str(uuidlib.uuid4())
        etree.SubElement(feed, _ATOM + "link", rel=c.LINK_REL_SELF, href=href)
        for obj, etag in zip(objs, etags):
            feed.append(self._entry_element(obj, etag, True, parent_type,
                                            parent_uuid, xag))
        return adp.Response("GET", href, 200, "OK", {c.ETAG: feed_etag},
                            body=etree.tostring(feed), adapter=self.adapter)

    def empty_feed_response(self, path: str = "/rest/api/uom/LogicalPartition"
                            ) -> adp.Response:
        """HTTP 204: an empty feed."""
        return adp.Response("GET", path, c.HTTP_NO_CONTENT, "No Content", {},
                            adapter=self.adapter)

    def not_modified_response(self, path: str = "/rest/api/uom/"
                              ) -> adp.Response:
        """HTTP 304: what refresh() gets for an unchanged object."""
        return adp.Response("GET", path, c.HTTP_NOT_MODIFIED, "Not Modified",
                            {}, adapter=self.adapter)

    def http_error(self, status: int = c.HTTP_PRECONDITION_FAILED,
                   method: str = "POST", path: str = "/rest/api/uom/",
                   message: str = "canned error") -> pvmex.HttpError:
        """The exception the real Adapter raises for ``status`` (use it as
        a queued result or a ``side_effect``)."""
        body = ('<HttpErrorResponse xmlns="%s"><HTTPStatus>%d</HTTPStatus>'
                '<Message>%s</Message></HttpErrorResponse>') % (
            c.UOM_NS, status, message)
        resp = adp.Response(method, path, status, "Error", {},
                            body=body.encode(), adapter=self.adapter)
        return pvmex.http_error_for(resp)

    def wrapper(self, obj, etag: str = "1", **kwargs) -> ewrap.EntryWrapper:
        """``obj`` as if read through the mocked adapter (a wrapper with an
        etag, a SELF href and ``adapter``)."""
        wrapped = ewrap.EntryWrapper.wrap(self.entry_response(obj, etag,
                                                              **kwargs))
        assert isinstance(wrapped, ewrap.EntryWrapper)  # one entry, one
        return wrapped

    def feed(self, objs: Iterable, etags: Optional[Sequence] = None,
             **kwargs) -> List[ewrap.EntryWrapper]:
        """``objs`` as a feed read through the mocked adapter."""
        wrapped = ewrap.EntryWrapper.wrap(self.feed_response(objs, etags,
                                                             **kwargs))
        assert isinstance(wrapped, list)  # a feed wraps as a list
        return wrapped

    # -- queuing results -------------------------------------------------

    def queue(self, method: str, *results) -> None:
        """Have ``adapter.<method>`` return (or raise, for exceptions)
        ``results`` in order, one per call; a call past the end fails the
        test with a message naming the method and its arguments."""
        func = getattr(self.adapter, method)
        if method not in self._queues:
            self._queues[method] = collections.deque()
            func.side_effect = self._dequeuer(method)
        self._queues[method].extend(results)

    def _dequeuer(self, method: str) -> Callable:
        def next_result(*args, **kwargs):
            pending = self._queues[method]
            if not pending:
                raise AssertionError(
                    "AdapterFx: no canned result left for adapter.%s(%s)." % (
                        method, ", ".join([repr(a) for a in args] + [
                            "%s=%r" % kv for kv in kwargs.items()])))
            result = pending.popleft()
            if isinstance(result, BaseException):
                raise result
            return result
        return next_result

    def pending(self, method: str) -> int:
        """How many queued results of ``method`` were not used."""
        return len(self._queues.get(method, ()))


# --------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------

class EmulatorFx(fixtures.Fixture):
    """A running PowerVM REST emulator and a logged-on Adapter.

    Attributes once set up: ``emulator`` (the
    :class:`~pypvm_tx.testing.emulator.Emulator`, for out-of-band changes,
    faults and counters), ``url``, ``session``, ``adapter`` and
    ``ms_uuid``.  Stopped (sessions logged off, every thread joined) on
    clean-up.  Keyword arguments go to ``Emulator`` (``lpars``,
    ``vioses``, ``seed``, ``latency``, ...).
    """

    def __init__(self, lpars: int = 4, vioses: int = 1,
                 session_kwargs: Optional[Dict] = None, **emulator_kwargs):
        super().__init__()
        self._emulator_kwargs = dict(emulator_kwargs, lpars=lpars,
                                     vioses=vioses)
        self._session_kwargs = session_kwargs or {}

    def _setUp(self):
        from pypvm_tx.testing import emulator as emu

        self.emulator = emu.Emulator(**self._emulator_kwargs)
        self.url = self.emulator.start()
        self.addCleanup(self.emulator.stop)
        self.session = self.emulator.session(**self._session_kwargs)
        self.addCleanup(self.session.logoff)
        self.adapter = adp.Adapter(self.session)
        self.ms_uuid = self.emulator.ms_uuid

    def uuids(self, schema_type: Union[str, type] = c.LOGICAL_PARTITION
              ) -> List[str]:
        """UUIDs of the emulator's objects of a type (class or string)."""
        if isinstance(schema_type, type):
            schema_type = getattr(schema_type, "schema_type")
        return self.emulator.uuids(schema_type)
