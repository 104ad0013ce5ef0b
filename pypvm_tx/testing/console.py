"""An in-memory PowerVM console for unit tests: LPARs with etags behind
the part of the Adapter interface that wrappers, getters and transactions
use (``read``, ``read_by_href``, ``update_by_path``).

Unlike :class:`~pypvm_tx.testing.fixtures.AdapterFx`, whose answers are
queued by the test, it keeps state: every update bumps the entry's etag,
a stale ``If-Match`` gets a real 412, a current ``If-None-Match`` a 304.
A test can script what a busy console does: out-of-band changes
(:meth:`FakeConsole.bump`), forced conflicts (:meth:`~FakeConsole.force_412`),
lost replies (:meth:`~FakeConsole.lose_reply`) and failing refreshes.
Every call is recorded in ``calls``.

Example::

    console = FakeConsole(count=3)
    task = FeedTask("grow", console.feed_getter())
    task.add_functor_subtask(grow_memory)
    console.force_412(console.uuids[0], times=2)
    task.execute()
    assert console.count("update") == 5
"""

import re
import threading
import uuid as uuidlib

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR

BASE = "https://hmc.example:12443"
ROOT = "/rest/api/uom/LogicalPartition"
_UUID_IN_PATH = re.compile(r"/LogicalPartition/([^/?]+)")



def lpar_xml(uuid, name="vm", mem=2048):
    return ('<LogicalPartition:LogicalPartition xmlns:LogicalPartition="{ns}"'
            ' xmlns="{ns}" schemaVersion="V1_0"><Metadata><Atom><AtomID>'
            '{uuid}</AtomID></Atom></Metadata>'
            '<PartitionMemoryConfiguration schemaVersion="V1_0"><Metadata>'
            '<Atom/></Metadata><DesiredMemory>{mem}</DesiredMemory>'
            '</PartitionMemoryConfiguration>'
            '<PartitionName>{name}</PartitionName>'
            '</LogicalPartition:LogicalPartition>').format(
        ns=c.UOM_NS, uuid=uuid, name=name, mem=mem)


def entry_xml(uuid, etag, name, mem, in_feed=False):
    etag_elem = ('<etag:etag xmlns:etag="%s">%s</etag:etag>' % (c.ETAG_NS, etag)
                 if in_feed else "")
    xmlns = "" if in_feed else ' xmlns="%s"' % c.ATOM_NS
    return ('<entry{xmlns}><id>{uuid}</id><title>LogicalPartition</title>'
            '<link rel="SELF" href="{href}"/>{etag}'
            '<content type="{ctype}">{content}</content></entry>').format(
        xmlns=xmlns, uuid=uuid, href=BASE + ROOT + "/" + uuid, etag=etag_elem,
        content=lpar_xml(uuid, name, mem),
        ctype=c.uom_content_type("LogicalPartition"))



def _name_of(wrapper):
    return wrapper._get_val_str("PartitionName")


def _mem_of(wrapper):
    return wrapper._get_val_int("PartitionMemoryConfiguration/DesiredMemory")


class FakeConsole:
    """LPARs in memory: ``{uuid: [etag, name, mem]}``; thread-safe."""

    def __init__(self, count=0):
        self.objects = {}
        self.calls = []
        self.forced_412 = {}
        self.lost_replies = {}
        self.failing_refreshes = set()
        self.lock = threading.Lock()
        for index in range(count):
            self.add("%08d-0000-4000-8000-%012d" % (index, index),
                     name="vm%d" % index)

    # -- test controls -------------------------------------------------

    def add(self, uuid=None, name="vm", mem=2048):
        uuid = uuid or str(uuidlib.uuid4())
        self.objects[uuid] = [1, name, mem]
        return uuid

    @property
    def uuids(self):
        return list(self.objects)

    def bump(self, uuid, name=None):
        """An out-of-band change: new etag (and name, if given)."""
        with self.lock:
            obj = self.objects[uuid]
            obj[0] += 1
            if name is not None:
                obj[1] = name

    def force_412(self, uuid, times):
        """Answer the next ``times`` updates of ``uuid`` with 412."""
        self.forced_412[uuid] = times

    def lose_reply(self, uuid, landed, other_change=None, request_sent=True,
                   exc_type=pvmex.ConnectionError):
        """Make the next update of ``uuid`` fail as a lost reply would:
        ``exc_type`` with ``request_sent``, after applying the change
        (``landed``) or not; ``other_change`` (a name) is applied by
        someone else meanwhile."""
        self.lost_replies[uuid] = (landed, other_change, request_sent,
                                   exc_type)

    def fail_refresh(self, uuid):
        """Make every refresh of ``uuid`` fail with a ConnectionError."""
        self.failing_refreshes.add(uuid)

    def count(self, method, uuid=None):
        return sum(1 for m, u in self.calls
                   if m == method and (uuid is None or u == uuid))

    # -- wrappers --------------------------------------------------------

    def wrapper(self, uuid):
        return ewrap.EntryWrapper.wrap(self._entry_response("GET", uuid))

    def feed(self):
        return ewrap.EntryWrapper.wrap(self._feed_response())

    def getter(self, uuid):
        return ewrap.EntryWrapperGetter(self, LPAR, uuid)

    def feed_getter(self):
        return ewrap.FeedGetter(self, LPAR)

    # -- the Adapter interface -------------------------------------------

    def _entry_response(self, method, uuid):
        etag, name, mem = self.objects[uuid]
        body = entry_xml(uuid, etag, name, mem).encode()
        return adp.Response(method, ROOT + "/" + uuid, 200, "OK",
                            {"ETag": str(etag)}, body=body, adapter=self)

    def _feed_response(self):
        entries = "".join(entry_xml(u, e, n, m, in_feed=True)
                          for u, (e, n, m) in self.objects.items())
        body = ('<feed xmlns="%s"><id>f</id><link rel="SELF" href="%s"/>%s'
                '</feed>') % (c.ATOM_NS, BASE + ROOT, entries)
        return adp.Response("GET", ROOT, 200, "OK", {"ETag": "feed"},
                            body=body.encode(), adapter=self)

    def read(self, root_type, root_id=None, child_type=None, child_id=None,
             **kwargs):
        with self.lock:
            self.calls.append(("read", root_id))
            if root_id is None:
                return self._feed_response()
            return self._entry_response("GET", root_id)

    def read_by_href(self, href, etag=None, timeout=-1):
        uuid = _UUID_IN_PATH.search(href).group(1)
        with self.lock:
            self.calls.append(("refresh", uuid))
            if uuid in self.failing_refreshes:
                raise pvmex.ConnectionError("refresh of %s failed" % uuid)
            if etag is not None and str(self.objects[uuid][0]) == etag:
                return adp.Response("GET", href, 304, "Not Modified", {},
                                    adapter=self)
            return self._entry_response("GET", uuid)

    def update_by_path(self, data, etag, path, timeout=-1):
        uuid = _UUID_IN_PATH.search(path).group(1)
        with self.lock:
            self.calls.append(("update", uuid))
            obj = self.objects[uuid]
            forced = self.forced_412.get(uuid, 0)
            if forced:
                self.forced_412[uuid] = forced - 1
                obj[0] += 1
            if forced or str(obj[0]) != etag:
                resp = adp.Response("POST", path, 412, "Precondition Failed",
                                    {}, adapter=self)
                raise pvmex.http_error_for(resp)
            lost = self.lost_replies.pop(uuid, None)
            if lost is not None:
                self._lose_reply(obj, data, *lost)
            obj[0] += 1
            obj[1] = _name_of(data)
            obj[2] = _mem_of(data)
            return self._entry_response("POST", uuid)

    def _lose_reply(self, obj, data, landed, other_change, request_sent,
                    exc_type):
        if landed:
            obj[:] = [obj[0] + 1, _name_of(data), _mem_of(data)]
        if other_change is not None:
            obj[:2] = [obj[0] + 1, other_change]
        exc = exc_type("connection reset while reading the reply")
        exc.request_sent = request_sent
        raise exc
