"""A local PowerVM REST emulator for tests, demos and benchmarks.

It is a real HTTP(S) server on a loopback address that speaks the
PowerVM REST protocol for ``ManagedSystem``, ``LogicalPartition`` and
``VirtualIOServer``, ROOT (``/rest/api/uom/LogicalPartition``) and CHILD
(``/rest/api/uom/ManagedSystem/<uuid>/LogicalPartition``): logon/logoff
with ``X-API-Session`` tokens (401 without a valid one), Atom feeds and
entries with ETags (a per-entry ``<etag:etag>`` inside feeds),
``If-None-Match`` -> 304, ``If-Match`` -> 412 with an ``HttpErrorResponse``
body, POST stores the object and bumps its etag, PUT creates, DELETE
deletes, and an empty feed is answered 204.  Everything lives in memory.

Server choice
-------------
The standard library's :class:`http.server.ThreadingHTTPServer` speaking
HTTP/1.1 with keep-alive: no dependency beyond Python, a real socket
server (so the client's connection pooling, timeouts and TLS are
exercised for real), and one thread per connection, which suits clients
that hold a handful of pooled keep-alive connections (a FeedTask holds
``max_workers`` of them).  Two details make it fast enough to benchmark a
client against: every response goes out in a single ``sendall`` (status
line, headers and body together) and ``TCP_NODELAY`` is set, so a
keep-alive client never waits ~40 ms on a delayed ACK; and rendered
objects are cached per etag, so a feed GET only concatenates bytes.

Extended attribute groups
-------------------------
Properties that carry a ``group`` attribute (a VIOS's
``VirtualSCSIMappings``: ViosSCSIMapping, ``VirtualFibreChannelMappings``:
ViosFCMapping, ``MediaRepositories``: ViosStorage) are only served when
the request's ``group=`` names their group or ``All``; with no ``group=``
at all everything is served (the server default).  The etag covers the
representation: it differs between group selections that render
differently, and a POST is checked against the etag of its own group
selection.  A POST leaves the properties of groups it did not ask for as
they were.

Controls
--------
From Python, on the :class:`Emulator` object: :meth:`~Emulator.seed`,
:meth:`~Emulator.change` (out-of-band change: bump an etag, optionally set
a property), :attr:`~Emulator.latency` (the least time between a REST
request and its answer: the emulator's own processing happens within it,
so a client sees the latency it asked for, not latency plus emulator
overhead), :meth:`~Emulator.inject_fault`
(status, dropped connection, slow response; at a rate, seeded,
optionally only for some methods / object types), :meth:`~Emulator.expire_sessions`,
:meth:`~Emulator.counters`.  Over HTTP, without a session token, under
``/emulator/`` (JSON in and out; :class:`EmulatorControl` is a client)::

    GET    /emulator/counters              counters (see Emulator.counters)
    POST   /emulator/counters/reset
    POST   /emulator/seed                  {"lpars": N, "vioses": M, "seed": S}
    GET    /emulator/entries?type=T        [{"uuid", "type", "name", "version", "etag"}]
    GET    /emulator/entries/<uuid>?path=P {"uuid", ..., "value": text of P}
    POST   /emulator/change                {"uuid", "path": P, "value": V}
    POST   /emulator/latency               {"seconds": 0.01}
    POST   /emulator/faults                {"kind", "status", "rate", "count",
                                            "methods", "types", "delay", "seed"}
    DELETE /emulator/faults
    POST   /emulator/expire-sessions       {"after": N}

Starting it
-----------
``with Emulator(lpars=10, vioses=2) as url: ...`` starts it in a thread
on ``127.0.0.1`` with an ephemeral port and stops it (closing every
connection and joining every thread) on exit; :meth:`Emulator.session`
gives a logged-on :class:`~pypvm_tx.adapter.Session`.  From a shell::

    python -m pypvm_tx.testing.emulator --port 12080 --lpars 10 --vioses 2

The default credentials are user ``hscroot``, password ``abc123`` (those
of a factory-fresh HMC); ``--user``/``--password`` change them.  It
refuses to bind to anything but a loopback address, and generates at most
:data:`MAX_LPARS` LPARs and :data:`MAX_VIOSES` VIOSes.  Bad arguments are
refused by the constructor; :meth:`Emulator.stop` returns at once, also
after a failed or interrupted :meth:`Emulator.start`.
"""

import argparse
import collections
import copy
import errno
import http.server
import ipaddress
import json
import logging as std_logging
import os
import random
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.request
import zlib
from typing import Dict, Iterable, List, Optional
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lxml import etree
from oslo_log import log as logging

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.testing import emulator_objects as objs

LOG = logging.getLogger(__name__)

DEFAULT_USER = "hscroot"
DEFAULT_PASSWORD = "abc123"
CONTROL_PREFIX = "/emulator/"

_UOM = "{%s}" % c.UOM_NS
_WEB = "{%s}" % c.WEB_NS
_PARTITION_TYPES = (c.LOGICAL_PARTITION, c.VIRTUAL_IO_SERVER)
_TYPES = (c.MANAGED_SYSTEM,) + _PARTITION_TYPES
_ALL_GROUPS = None  # "every group": no group= query, or group=All
_ATOM_OPEN = (b'<%s xmlns="http://www.w3.org/2005/Atom" '
              b'xmlns:ns2="http://a9.com/-/spec/opensearch/1.1/" '
              b'xmlns:ns3="http://www.w3.org/1999/xhtml">')
_AUTHOR = (b"    <author>\n        <name>IBM Power Systems Management "
           b"Console</name>\n    </author>\n")
_ETAG_ELEM = ('    <etag:etag xmlns:etag="%s" xmlns="%s">' % (
    c.ETAG_NS, c.UOM_NS)).encode()
_FAULT_KINDS = ("status", "drop", "drop_after", "slow")

#: Most LPARs the emulator generates.  A generated LPAR costs about
#: 0.1 MB in the emulator and about 0.47 MB in a demo run (client and
#: server in one process); 10,000 is ten times the largest real managed
#: system, keeps ``pypvm-tx demo`` under 5 GB and a feed GET (about
#: 11 KB per LPAR) well under the client's 256 MiB body limit.
MAX_LPARS = 10000
#: Most VIOSes the emulator generates (about 0.6 MB each in a demo).
MAX_VIOSES = 1000
#: Highest TCP port.
MAX_PORT = 65535
#: Exit status when stdout's reader went away (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 128 + 13


def _signed_crc(text: str) -> str:
    """An etag in the server's style: a signed 32-bit integer."""
    value = zlib.crc32(text.encode())
    return str(value - (1 << 32) if value >= (1 << 31) else value)


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
        ".%03dZ" % (int(now * 1000) % 1000)


class EmulatorError(Exception):
    """A request the emulator answers with an error status."""

    def __init__(self, status: int, message: str, reason_code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason_code = reason_code or message


# ---------------------------------------------------------------------------
# The object store
# ---------------------------------------------------------------------------

class _Obj:
    """One stored object: its element, version and render cache."""

    __slots__ = ("uuid", "schema_type", "parent", "element", "version",
                 "groups", "order", "_cache")

    def __init__(self, uuid, schema_type, parent, element, order):
        self.uuid = uuid
        self.schema_type = schema_type
        self.parent = parent
        self.order = order
        self.version = 1
        self._cache = {}
        self.set_element(element)

    def set_element(self, element):
        self.element = element
        self.groups = frozenset(ch.get("group") for ch in element
                                if ch.get("group"))
        self._cache = {}

    def bump(self):
        self.version += 1
        self._cache = {}

    def prime(self, shown: frozenset, rendered: bytes):
        """Cache ``rendered`` as the rendering for ``shown``."""
        self._cache[shown] = rendered

    def shown_groups(self, requested) -> frozenset:
        """Which of this object's groups a request's ``group=`` shows."""
        if requested is _ALL_GROUPS:
            return self.groups
        return self.groups & requested

    def etag(self, shown: frozenset) -> str:
        key = ("etag", shown)
        etag = self._cache.get(key)
        if etag is None:
            etag = self._cache[key] = _signed_crc("%s:%d:%s" % (
                self.uuid, self.version, ",".join(sorted(shown))))
        return etag

    def render(self, shown: frozenset) -> bytes:
        """The object element, without the groups not shown."""
        rendered = self._cache.get(shown)
        if rendered is None:
            element = self.element
            if shown != self.groups:
                element = copy.deepcopy(element)
                for child in list(element):
                    group = child.get("group")
                    if group and group not in shown:
                        element.remove(child)
            rendered = self._cache[shown] = etree.tostring(element)
        return rendered


def _localname(element) -> str:
    return etree.QName(element).localname


def _insert_in_order(parent, child, order: List[str]):
    """Insert ``child`` into ``parent`` where the schema order puts it."""
    tag = _localname(child)
    if tag not in order:
        parent.append(child)
        return
    later = set(order[order.index(tag) + 1:])
    for index, sibling in enumerate(parent):
        if isinstance(sibling.tag, str) and _localname(sibling) in later:
            parent.insert(index, child)
            return
    parent.append(child)


def _find_path(element, path: str):
    """The element at ``path`` ('A/B/C', uom namespace) or None."""
    found = element
    for part in path.strip("/").split("/"):
        found = found.find(_UOM + part)
        if found is None:
            return None
    return found


class _Store:
    """The emulated objects, in memory, guarded by one lock."""

    def __init__(self, base_url: str):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.objects: Dict[str, _Obj] = {}
        self.orders: Dict[str, List[str]] = {}
        self.ms_uuid = ""
        self.rng = random.Random(0)
        self.next_id = 1

    def seed(self, lpars: int, vioses: int, seed: int):
        rng = random.Random(seed)
        base = self.base_url
        ms_uuid = objs.new_uuid(rng, upper=False)
        objects = {}
        orders = {}

        def add(schema_type, text, parent):
            element = pvm_adapter.parse_xml(text, what="a generated object")
            uuid = element.findtext(_UOM + "Metadata/" + _UOM + "Atom/"
                                    + _UOM + "AtomID")
            orders.setdefault(schema_type,
                              [_localname(ch) for ch in element])
            objects[uuid.lower()] = _Obj(uuid, schema_type, parent, element,
                                         orders[schema_type])

        add(c.MANAGED_SYSTEM, objs.managed_system_xml(
            ms_uuid, "Server-8247-22L-SN2125D4A", base), None)
        vios_params = [objs.vios_params(rng, n + 1, n + 1)
                       for n in range(vioses)]
        lpar_params = [objs.lpar_params(rng, n + 1, vioses + n + 1)
                       for n in range(lpars)]
        for n, vparams in enumerate(vios_params):
            clients = lpar_params[n::max(1, vioses)][:4]
            add(c.VIRTUAL_IO_SERVER, objs.vios_xml(
                vparams, base, ms_uuid, clients, clients[:2]), ms_uuid)
        for lparams in lpar_params:
            add(c.LOGICAL_PARTITION, objs.lpar_xml(lparams, base, ms_uuid),
                ms_uuid)
        if not lpar_params:  # still learn the order for PUT-created LPARs
            sample = objs.lpar_xml(objs.lpar_params(random.Random(0), 0, 0),
                                   base, ms_uuid)
            orders[c.LOGICAL_PARTITION] = [
                _localname(ch) for ch in pvm_adapter.parse_xml(sample)]
        with self.lock:
            self.objects = objects
            self.orders = orders
            self.ms_uuid = ms_uuid
            self.rng = random.Random(seed + 1)
            self.next_id = lpars + vioses + 1

    def get(self, uuid: str, schema_type: Optional[str] = None,
            parent: Optional[str] = None) -> _Obj:
        obj = self.objects.get(uuid.lower())
        if (obj is None or (schema_type and obj.schema_type != schema_type)
                or (parent and (obj.parent or "").lower() != parent.lower())):
            raise EmulatorError(404, "%s %s was not found." % (
                schema_type or "Object", uuid), "Not Found")
        return obj

    def of_type(self, schema_type: str, parent: Optional[str] = None):
        return [o for o in self.objects.values()
                if o.schema_type == schema_type
                and (parent is None
                     or (o.parent or "").lower() == parent.lower())]

    def create(self, schema_type: str, element, parent: Optional[str]):
        uuid = objs.new_uuid(self.rng)
        meta = element.find(_UOM + "Metadata")
        if meta is None:
            meta = etree.Element(_UOM + "Metadata")
            element.insert(0, meta)
        atom = meta.find(_UOM + "Atom")
        if atom is None:
            atom = etree.SubElement(meta, _UOM + "Atom")
        atom_id = atom.find(_UOM + "AtomID")
        if atom_id is None:
            atom_id = etree.SubElement(atom, _UOM + "AtomID")
        atom_id.text = uuid
        if schema_type in _PARTITION_TYPES:
            for tag, value in (("PartitionUUID", uuid),
                               ("PartitionID", str(self.next_id))):
                prop = element.find(_UOM + tag)
                if prop is None:
                    prop = etree.Element(_UOM + tag, kb="ROO", kxe="false")
                    _insert_in_order(element, prop,
                                     self.orders.get(schema_type, []))
                prop.text = value
            self.next_id += 1
        obj = _Obj(uuid, schema_type, parent or self.ms_uuid, element,
                   self.orders.get(schema_type, []))
        self.objects[uuid.lower()] = obj
        return obj

    def replace(self, obj: _Obj, element, shown: frozenset,
                body: bytes = b""):
        """Store a POSTed element, keeping the groups it was not shown.

        When the element is stored as it came, its rendering for this
        request is the POSTed ``body`` itself (no re-serialisation).
        """
        as_sent = True
        hidden = obj.groups - shown
        if hidden:  # keep what the client was not shown
            for child in list(element):
                group = child.get("group") if isinstance(child.tag, str) \
                    else None
                if group in hidden:
                    element.remove(child)  # not the client's to change
            for child in obj.element:
                if child.get("group") in hidden:
                    _insert_in_order(element, copy.deepcopy(child), obj.order)
            as_sent = False
        atom_id = element.find(_UOM + "Metadata/" + _UOM + "Atom/" + _UOM
                               + "AtomID")
        if atom_id is not None and atom_id.text != obj.uuid:
            atom_id.text = obj.uuid
            as_sent = False
        obj.set_element(element)
        obj.bump()
        body = body.strip()
        if as_sent and body.startswith(b"<") and not body.startswith(b"<?"):
            obj.prime(obj.groups, body)  # every group it has was sent


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

class _Fault:
    """One injected fault (see :meth:`Emulator.inject_fault`)."""

    def __init__(self, kind, status, rate, count, methods, types, delay,
                 seed):
        if kind not in _FAULT_KINDS:
            raise ValueError("Unknown fault kind %r; use one of %s."
                             % (kind, ", ".join(_FAULT_KINDS)))
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1, got %r." % rate)
        self.kind = kind
        self.status = int(status)
        self.rate = float(rate)
        self.remaining = count
        self.methods = {m.upper() for m in methods} if methods else None
        self.types = set(types) if types else None
        self.delay = float(delay)
        self.rng = random.Random(seed)
        self.fired = 0

    def fires(self, method: str, schema_type: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods and method not in self.methods:
            return False
        if self.types and schema_type not in self.types:
            return False
        if self.rate < 1 and self.rng.random() >= self.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def describe(self):
        return {"kind": self.kind, "status": self.status, "rate": self.rate,
                "remaining": self.remaining, "fired": self.fired,
                "methods": sorted(self.methods or ()),
                "types": sorted(self.types or ()), "delay": self.delay}


# ---------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------

def _check_count(name: str, value, high: int) -> int:
    """``value`` as a whole number in 0..``high``, or an error naming
    ``name`` and the limit."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be a whole number (0 to %d), got %r."
                        % (name, high, value))
    if not 0 <= value <= high:
        raise ValueError("%s must be between 0 and %d, got %d."
                         % (name, high, value))
    return value


def _check_seed(seed) -> Optional[int]:
    if seed is not None and (isinstance(seed, bool)
                             or not isinstance(seed, int)):
        raise TypeError("seed must be a whole number, got %r." % (seed,))
    return seed


def _check_latency(latency) -> float:
    if isinstance(latency, bool) or not isinstance(latency, (int, float)):
        raise TypeError("latency must be a number of seconds, got %r."
                        % (latency,))
    if not latency >= 0:
        raise ValueError("latency must be at least 0 seconds, got %r."
                         % (latency,))
    return float(latency)


def _server_ssl_context(certfile: str, keyfile: Optional[str]):
    """A TLS server context, or a ValueError naming the file at fault."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for path in (certfile, keyfile):
        if path is not None and not os.path.isfile(path):
            raise ValueError("%s: no such file." % path)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        if keyfile is None:
            raise ValueError(
                "Cannot serve HTTPS with %s: it holds no usable private "
                "key (%s); give the key file too (keyfile / --keyfile)."
                % (certfile, exc)) from None
        raise ValueError("Cannot serve HTTPS with certificate %s and key "
                         "%s: %s." % (certfile, keyfile, exc)) from None
    return context


def _check_loopback(host: str):
    """Refuse any bind address that is not loopback; a name (``localhost``)
    is resolved, and every address it resolves to must be loopback."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            infos = []
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0])
                     for info in infos]
    if not addresses or not all(addr.is_loopback for addr in addresses):
        raise ValueError("The emulator only binds to loopback addresses "
                         "(127.0.0.0/8, ::1, localhost); refusing %r." % host)


class Emulator:
    """The PowerVM REST emulator (see the module documentation).

    :param host: loopback address to bind to.
    :param port: port; 0 (default) picks a free one.
    :param lpars: LPARs to create (CHILD of the one ManagedSystem).
    :param vioses: VIOSes to create (each mapped to some of the LPARs).
    :param seed: makes the generated objects (and UUIDs) reproducible.
    :param user: accepted user name.
    :param password: accepted password.
    :param latency: least seconds between a REST request and its answer
        (the emulator's own processing time is included, not added).
    :param certfile: PEM certificate (with ``keyfile``) to serve HTTPS.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 lpars: int = 0, vioses: int = 0, seed: int = 0,
                 user: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD,
                 latency: float = 0.0, certfile: Optional[str] = None,
                 keyfile: Optional[str] = None):
        # Every argument is checked here, so that nothing fails half-way
        # through start() (issue 7 scope 8).
        _check_loopback(host)
        port = _check_count("port", port, MAX_PORT)
        lpars = _check_count("lpars", lpars, MAX_LPARS)
        vioses = _check_count("vioses", vioses, MAX_VIOSES)
        seed = _check_seed(seed)
        if keyfile and not certfile:
            raise ValueError("keyfile %s was given without its certfile."
                             % keyfile)
        self.host = host
        self.user = user
        self._password = password
        self.latency = _check_latency(latency)
        self.protocol = "https" if certfile else "http"
        self._ssl_context = None
        if certfile:
            self._ssl_context = _server_ssl_context(certfile, keyfile)
        self._requested_port = port
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._tokens = set()
        self._expire_after: Optional[int] = None
        self._faults: List[_Fault] = []
        self._fault_seq = 0
        self._seed = seed
        self._counts = collections.Counter()
        self._connections_opened = 0
        self._logons = 0
        self._open_conns = set()
        self._meta_lock = threading.Lock()
        self._store = _Store("")
        self._initial = (lpars, vioses, seed)

    # -- lifecycle -----------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The emulator is not running.")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % (self.protocol, host, self.port)

    def start(self) -> str:
        """Start serving in a background thread; return the base URL.

        :raises OSError: the address cannot be bound (e.g. the port is in
            use); nothing is left running.
        """
        if self._server is not None:
            return self.url
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_cls = type("_BoundServer", (_Server,),
                          {"address_family": family})
        self._stopping.clear()
        self._server = server_cls((self.host, self._requested_port), self)
        try:
            self._store.base_url = self.url
            if not self._store.objects:
                self.seed(*self._initial)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="pvm-emulator:%d" % self.port, daemon=True)
            self._thread.start()
        except BaseException:  # also Ctrl-C while seeding: unbind
            self._close_unserved()
            raise
        LOG.debug("PowerVM REST emulator serving on %s", self.url)
        return self.url

    def _close_unserved(self):
        """Undo a start() that failed before its server loop ran."""
        server, self._server, self._thread = self._server, None, None
        self._store.base_url = ""
        if server is not None:
            server.server_close()

    def stop(self):
        """Stop serving: close every connection and join every thread.

        Returns at once when the emulator is not running (never started,
        already stopped, or its start failed).
        """
        server = self._server
        if server is None:
            return
        if self._thread is None:  # the server loop never ran
            self._close_unserved()
            return
        self._stopping.set()
        server.shutdown()
        with self._meta_lock:
            conns = list(self._open_conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()  # joins the connection threads
        self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        where = self.url if self._server else "stopped"
        return "<Emulator %s user=%s>" % (where, self.user)

    def session(self, **kwargs) -> pvm_adapter.Session:
        """A :class:`~pypvm_tx.adapter.Session` logged on to this emulator
        (keyword arguments are passed on, e.g. ``verify``)."""
        kwargs.setdefault("username", self.user)
        kwargs.setdefault("password", self._password)
        return pvm_adapter.Session(host=self.host, port=self.port,
                                   protocol=self.protocol, **kwargs)

    def adapter(self, **kwargs) -> pvm_adapter.Adapter:
        """An :class:`~pypvm_tx.adapter.Adapter` over :meth:`session`."""
        return pvm_adapter.Adapter(self.session(**kwargs))

    # -- objects -------------------------------------------------------------

    def seed(self, lpars: int = 0, vioses: int = 0,
             seed: Optional[int] = None):
        """Replace every object by one ManagedSystem, ``vioses`` VIOSes and
        ``lpars`` LPARs generated from ``seed``.

        :raises ValueError: more than :data:`MAX_LPARS` LPARs or
            :data:`MAX_VIOSES` VIOSes.
        """
        lpars = _check_count("lpars", lpars, MAX_LPARS)
        vioses = _check_count("vioses", vioses, MAX_VIOSES)
        seed = _check_seed(seed)
        if seed is None:
            seed = self._seed
        self._seed = seed
        if not self._store.base_url:
            self._initial = (lpars, vioses, seed)
            return
        self._store.seed(lpars, vioses, seed)

    @property
    def ms_uuid(self) -> str:
        """UUID of the ManagedSystem (parent of every partition)."""
        return self._store.ms_uuid

    def uuids(self, schema_type: str = c.LOGICAL_PARTITION) -> List[str]:
        """UUIDs of the objects of a type, in creation order."""
        with self._store.lock:
            return [o.uuid for o in self._store.of_type(schema_type)]

    def get_value(self, uuid: str, path: str) -> Optional[str]:
        """Text of the property at ``path`` (e.g. 'PartitionName' or
        'PartitionMemoryConfiguration/DesiredMemory') of an object."""
        with self._store.lock:
            found = _find_path(self._store.get(uuid).element, path)
            if found is None:
                raise KeyError("%s has no %s." % (uuid, path))
            return found.text

    def version(self, uuid: str) -> int:
        """How many times the object was written (1 when created)."""
        with self._store.lock:
            return self._store.get(uuid).version

    def etag(self, uuid: str, xag: Optional[Iterable[str]] = None) -> str:
        """The object's current etag for a ``group=`` selection (``None``:
        the default, every group)."""
        requested = _parse_groups(pvm_adapter.xag_query(xag))
        with self._store.lock:
            obj = self._store.get(uuid)
            return obj.etag(obj.shown_groups(requested))

    def object_xml(self, uuid: str) -> bytes:
        """The stored object element, every group included."""
        with self._store.lock:
            obj = self._store.get(uuid)
            return obj.render(obj.groups)

    def change(self, uuid: str, path: Optional[str] = None,
               value=None) -> str:
        """Change an object out of band: set the property at ``path`` to
        ``value`` (if given) and bump its etag.  Returns the new default
        etag.  This is what another agent's write looks like."""
        with self._store.lock:
            obj = self._store.get(uuid)
            if path is not None and value is not None:
                found = _find_path(obj.element, path)
                if found is None:
                    raise KeyError("%s has no %s." % (uuid, path))
                found.text = str(value)
            obj.bump()
            return obj.etag(obj.groups)

    def remove(self, uuid: str):
        """Delete an object out of band."""
        with self._store.lock:
            self._store.objects.pop(self._store.get(uuid).uuid.lower())

    # -- behaviour -----------------------------------------------------------

    def inject_fault(self, kind: str = "status", status: int = 503,
                     rate: float = 1.0, count: Optional[int] = None,
                     methods: Optional[Iterable[str]] = None,
                     types: Optional[Iterable[str]] = None,
                     delay: float = 1.0, seed: Optional[int] = None) -> Dict:
        """Make some REST requests fail.

        :param kind: ``'status'`` (answer ``status`` with an error body),
            ``'drop'`` (close the connection without answering, before
            acting on the request), ``'drop_after'`` (act on it, then close
            without answering: the reply is lost) or ``'slow'`` (wait
            ``delay`` seconds, then answer normally).
        :param rate: probability (0..1) that a matching request is hit.
        :param count: hit at most this many requests (None: no limit).
        :param methods: only these HTTP methods (e.g. ``['GET']``).
        :param types: only these object types (``'LogicalPartition'``,
            ``'VirtualIOServer'``, ``'ManagedSystem'``, ``'Logon'``).
        :param seed: seed of the rate's random draws (default: derived
            from the emulator's seed, so runs repeat).
        """
        with self._meta_lock:
            self._fault_seq += 1
            if seed is None:
                seed = self._seed * 1000 + self._fault_seq
            fault = _Fault(kind, status, rate, count, methods, types, delay,
                           seed)
            self._faults.append(fault)
            return fault.describe()

    def clear_faults(self):
        with self._meta_lock:
            self._faults = []

    def faults(self) -> List[Dict]:
        with self._meta_lock:
            return [f.describe() for f in self._faults]

    def expire_sessions(self, after: int = 0):
        """Invalidate every session token, now or after ``after`` more REST
        requests; the clients' next request is answered 401."""
        with self._meta_lock:
            if after > 0:
                self._expire_after = after
            else:
                self._tokens.clear()

    # -- counters ------------------------------------------------------------

    def counters(self) -> Dict:
        """Request counts and connections opened.

        ``requests`` lists ``{"method", "type", "status", "count"}``
        (``type`` is the object type, ``Logon`` for logon/logoff; ``status``
        is ``"dropped"`` for a dropped connection); ``by_method``,
        ``by_type`` and ``by_status`` sum them; ``connections_opened``
        counts accepted connections; ``logons`` successful logons.
        """
        with self._meta_lock:
            counts = dict(self._counts)
            opened = self._connections_opened
            logons = self._logons
        by_method = collections.Counter()
        by_type = collections.Counter()
        by_status = collections.Counter()
        for (method, schema_type, status), n in counts.items():
            by_method[method] += n
            by_type[schema_type] += n
            by_status[str(status)] += n
        return {
            "requests": [{"method": m, "type": t, "status": s, "count": n}
                         for (m, t, s), n in sorted(counts.items(),
                                                    key=str)],
            "by_method": dict(by_method), "by_type": dict(by_type),
            "by_status": dict(by_status),
            "total": sum(counts.values()),
            "connections_opened": opened, "logons": logons,
        }

    def count(self, method: Optional[str] = None,
              schema_type: Optional[str] = None, status=None) -> int:
        """How many REST requests matched all the given criteria."""
        with self._meta_lock:
            return sum(n for (m, t, s), n in self._counts.items()
                       if (method is None or m == method)
                       and (schema_type is None or t == schema_type)
                       and (status is None or s == status))

    @property
    def connections_opened(self) -> int:
        with self._meta_lock:
            return self._connections_opened

    def reset_counters(self):
        with self._meta_lock:
            self._counts.clear()
            self._connections_opened = 0
            self._logons = 0

    # -- used by the request handler ------------------------------------------

    def _record(self, method, schema_type, status):
        with self._meta_lock:
            self._counts[(method, schema_type, status)] += 1

    def _connection_opened(self, conn):
        with self._meta_lock:
            self._connections_opened += 1
            self._open_conns.add(conn)
            stopping = self._stopping.is_set()
        if stopping:  # accepted while stop() ran: end it like the others
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _connection_closed(self, conn):
        with self._meta_lock:
            self._open_conns.discard(conn)

    def _pick_fault(self, method, schema_type) -> Optional[_Fault]:
        with self._meta_lock:
            for fault in self._faults:
                if fault.fires(method, schema_type):
                    return fault
        return None

    def _count_down_expiry(self):
        with self._meta_lock:
            if self._expire_after is not None:
                self._expire_after -= 1
                if self._expire_after <= 0:
                    self._expire_after = None
                    self._tokens.clear()

    def _token_valid(self, token) -> bool:
        with self._meta_lock:
            return token in self._tokens

    def _logon(self, user, password) -> Optional[str]:
        if not (secrets.compare_digest(str(user), self.user)
                and secrets.compare_digest(str(password), self._password)):
            return None
        token = secrets.token_urlsafe(48)
        with self._meta_lock:
            self._tokens.add(token)
            self._logons += 1
        return token

    def _logoff(self, token):
        with self._meta_lock:
            self._tokens.discard(token)

    def _sleep(self, seconds):
        if seconds > 0:
            self._stopping.wait(seconds)


def _parse_groups(value: Optional[str]):
    """The group selection of a ``group=`` value (None: every group)."""
    if value is None:
        return _ALL_GROUPS
    names = frozenset(v.strip() for v in value.split(",") if v.strip())
    if c.XAG.ALL in names:
        return _ALL_GROUPS
    return names - {c.XAG.NONE}


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, emulator: Emulator):
        self.emulator = emulator
        super().__init__(address, _Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        context = self.emulator._ssl_context
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True,
                                       do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout)):
            LOG.debug("Connection from %s ended: %s", client_address, exc)
        else:
            LOG.exception("Emulator error serving %s", client_address)


class _Reply:
    """A response to send: status, headers and body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, body: bytes = b"",
                 headers: Optional[Dict[str, str]] = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


_MAX_HEADERS = 100
_MAX_LINE = 65536


class _Headers(dict):
    """Request headers: lower-case names, case-insensitive ``get``."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pypvm-tx-emulator"
    sys_version = ""
    disable_nagle_algorithm = True
    rbufsize = 256 * 1024  # a request with its body in one read
    timeout = 300  # idle keep-alive connections are closed after this

    # -- connection ------------------------------------------------------------

    def setup(self):
        super().setup()
        self.emulator: Emulator = self.server.emulator
        self.emulator._connection_opened(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.emulator._connection_closed(self.connection)

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                LOG.debug("TLS handshake with %s failed: %s",
                          self.client_address, exc)
                return
        super().handle()

    def log_message(self, fmt, *args):
        LOG.debug("emulator %s: " + fmt, self.client_address[0], *args)

    def log_request(self, code="-", size="-"):
        if LOG.isEnabledFor(std_logging.DEBUG):
            super().log_request(code, size)

    def parse_request(self):
        """Parse the request line and headers (HTTP/1.x only).

        Replaces the standard library's version, whose e-mail header
        parser costs more than the rest of an emulated request.
        """
        self.command = None
        # Not the standard library's default of HTTP/0.9, which answers an
        # error without a status line: a client always gets "HTTP/1.1 400".
        self.request_version = self.protocol_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline,
                               "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(400, "Bad request line (%r)" % self.requestline)
            return False
        self.command, self.path, self.request_version = words
        headers = _Headers()
        for _line in range(_MAX_HEADERS):
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(431, "Header line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = str(line, "iso-8859-1").partition(":")
            if not sep:
                self.send_error(400, "Bad header line (%r)" % line)
                return False
            headers[name.strip().lower()] = value.strip()
        else:
            self.send_error(431, "Too many headers")
            return False
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = (connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"))
        return True

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_DELETE(self):
        self._serve("DELETE")

    # -- request ---------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self, method):
        emu = self.emulator
        body = self._read_body()
        path, _sep, query = self.path.partition("?")
        if path.startswith(CONTROL_PREFIX):
            self._send(_control(emu, method, path, query, body))
            return
        schema_type = _type_of(path)
        received = time.monotonic()
        fault = emu._pick_fault(method, schema_type)
        reply = None
        if fault is None or fault.kind != "drop":
            if fault is not None and fault.kind == "slow":
                emu._sleep(fault.delay)
            if fault is not None and fault.kind == "status":
                reply = _error_reply(fault.status, method, self.path,
                                     "Injected fault: HTTP %d." % fault.status)
            else:
                reply = self._dispatch(method, path, query, body)
            if fault is not None and fault.kind == "drop_after":
                reply = None
        # The latency is the least time between a request and its answer:
        # the emulator's own processing is part of it, not added to it.
        emu._sleep(emu.latency - (time.monotonic() - received))
        # Counted before answering, so a client that got its answer always
        # finds its request in the counters.
        emu._record(method, schema_type,
                    reply.status if reply is not None else "dropped")
        if path.startswith(c.API_BASE_PATH + c.SERVICE_UOM):
            emu._count_down_expiry()
        if reply is not None:
            self._send(reply)
            return
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method, path, query, body) -> _Reply:
        try:
            if path == c.LOGON_PATH:
                return self._logon(method, body)
            if not path.startswith(c.API_BASE_PATH + c.SERVICE_UOM + "/"):
                raise EmulatorError(404, "No such resource: %s." % path,
                                    "Not Found")
            token = self.headers.get(c.SESSION_HEADER)
            if not token or not self.emulator._token_valid(token):
                raise EmulatorError(401, "The request has no valid "
                                    "X-API-Session token; log on first.",
                                    "Unauthorized")
            return _Uom(self, method, path, query, body).handle()
        except EmulatorError as err:
            return _error_reply(err.status, method, self.path, err.message,
                                err.reason_code)

    def _logon(self, method, body) -> _Reply:
        emu = self.emulator
        if method == "DELETE":
            token = self.headers.get(c.SESSION_HEADER)
            if not token or not emu._token_valid(token):
                raise EmulatorError(401, "Not logged on.", "Unauthorized")
            emu._logoff(token)
            return _Reply(204)
        if method != "PUT":
            raise EmulatorError(405, "Use PUT to log on and DELETE to log "
                                "off.", "Method Not Allowed")
        try:
            root = pvm_adapter.parse_xml(body, what="the LogonRequest")
        except (pvmex.AtomError, TypeError) as exc:
            raise EmulatorError(400, "The LogonRequest is not valid XML: "
                                "%s" % exc, "Bad Request") from None
        if root.tag != _WEB + "LogonRequest":
            raise EmulatorError(400, "Expected a LogonRequest in namespace "
                                "%s." % c.WEB_NS, "Bad Request")
        token = emu._logon(root.findtext(_WEB + "UserID") or "",
                           root.findtext(_WEB + "Password") or "")
        if token is None:
            raise EmulatorError(401, "Logon failed: wrong user ID or "
                                "password.", "Unauthorized")
        payload = (
            '<LogonResponse xmlns="%s" xmlns:ns2="%s" schemaVersion="V1_0">'
            '\n    <Metadata>\n        <Atom/>\n    </Metadata>\n'
            '    <X-API-Session kb="ROR" kxe="false">%s</X-API-Session>\n'
            '</LogonResponse>' % (c.WEB_NS, objs.K2_NS, token)).encode()
        return _Reply(200, payload,
                      {c.CONTENT_TYPE: c.LOGON_RESPONSE_TYPE})

    # -- response --------------------------------------------------------------

    def _send(self, reply: _Reply):
        """Status line, headers and body in one write."""
        reason = self.responses.get(reply.status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (reply.status, reason),
                 "Server: pypvm-tx-emulator"]
        for name, value in reply.headers.items():
            lines.append("%s: %s" % (name, value))
        if reply.status not in (204, 304):
            lines.append("Content-Length: %d" % len(reply.body))
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = reply.body if reply.status not in (204, 304) else b""
        self.wfile.write(head + body)
        self.log_request(reply.status)


def _type_of(path: str) -> str:
    """The object type a path addresses (for counters and faults)."""
    if path == c.LOGON_PATH:
        return "Logon"
    parts = [p for p in path[len(c.API_BASE_PATH):].split("/") if p]
    types = [p for p in parts[1:] if p in _TYPES]
    return types[-1] if types else (parts[1] if len(parts) > 1 else "")


def _error_reply(status: int, method: str, uri: str, message: str,
                 reason_code: str = "") -> _Reply:
    """An ``HttpErrorResponse`` entry, as the real server sends."""
    reason_code = reason_code or message
    body = (
        _ATOM_OPEN % b"entry" + b"\n"
        + ("    <id>%s</id>\n    <title>HttpErrorResponse</title>\n"
           "    <published>%s</published>\n" % (
               objs.new_uuid(random.Random(), upper=False),
               _now_iso())).encode()
        + _AUTHOR
        + ('    <content type="%s; type=HttpErrorResponse">\n'
           '        <HttpErrorResponse:HttpErrorResponse '
           'xmlns:HttpErrorResponse="%s" xmlns="%s" xmlns:ns2="%s" '
           'schemaVersion="V1_2_0">\n'
           '    <Metadata>\n        <Atom/>\n    </Metadata>\n'
           '    <HTTPStatus kb="ROR" kxe="false">%d</HTTPStatus>\n'
           '    <RequestURI kb="ROR" kxe="false">%s</RequestURI>\n'
           '    <ReasonCode kb="ROR" kxe="false">%s</ReasonCode>\n'
           '    <Message kb="ROO" kxe="false">%s</Message>\n'
           '</HttpErrorResponse:HttpErrorResponse>\n'
           '    </content>\n</entry>' % (
               c.WEB_TYPE, c.WEB_NS, c.WEB_NS, objs.K2_NS, status,
               escape(uri.partition("?")[0]), escape(reason_code),
               escape(message))).encode())
    return _Reply(status, body, {c.CONTENT_TYPE: c.ATOM_TYPE})


class _Uom:
    """One request on ``/rest/api/uom/...``."""

    def __init__(self, handler: _Handler, method, path, query, body):
        self.handler = handler
        self.emulator = handler.emulator
        self.store = handler.emulator._store
        self.method = method
        self.path = path.rstrip("/")
        self.query = query
        self.body = body
        params = parse_qs(query, keep_blank_values=True)
        group = params.get("group")
        self.requested = _parse_groups(",".join(group) if group else None)
        host = handler.headers.get("Host")
        self.base = ("%s://%s" % (self.emulator.protocol, host) if host
                     else self.emulator.url)

    def handle(self) -> _Reply:
        parts = self.path[len(c.API_BASE_PATH + c.SERVICE_UOM):].split("/")
        parts = [p for p in parts if p]
        if not parts or parts[0] not in _TYPES:
            raise EmulatorError(404, "Unknown object type in %s; the "
                                "emulator serves %s." % (
                                    self.path, ", ".join(_TYPES)),
                                "Not Found")
        root_type = parts[0]
        if len(parts) <= 2:  # ROOT feed or entry
            return self._resource(root_type, None, parts[1:])
        if root_type != c.MANAGED_SYSTEM or parts[2] not in _PARTITION_TYPES \
                or len(parts) > 4:
            raise EmulatorError(404, "No such resource: %s." % self.path,
                                "Not Found")
        self.store.get(parts[1], c.MANAGED_SYSTEM)
        return self._resource(parts[2], parts[1], parts[3:])

    def _resource(self, schema_type, parent, rest) -> _Reply:
        with self.store.lock:
            if not rest:
                if self.method == "GET":
                    return self._get_feed(schema_type, parent)
                if self.method == "PUT":
                    return self._create(schema_type, parent)
            else:
                obj = self.store.get(rest[0], schema_type, parent)
                if self.method == "GET":
                    return self._get_entry(obj)
                if self.method == "POST":
                    return self._update(obj)
                if self.method == "DELETE":
                    return self._delete(obj)
        raise EmulatorError(405, "%s is not allowed on %s." % (
            self.method, self.path), "Method Not Allowed")

    # -- rendering ------------------------------------------------------------

    def _self_href(self, feed_path: str, uuid: str) -> bytes:
        href = "%s%s/%s" % (self.base, feed_path, uuid)
        if self.query:
            href += "?" + self.query
        return escape(href, {'"': "&quot;"}).encode()

    def _entry(self, obj: _Obj, feed_path: str, standalone: bool) -> bytes:
        shown = obj.shown_groups(self.requested)
        return b"".join((
            _ATOM_OPEN % b"entry" if standalone else b"<entry>", b"\n",
            b"    <id>", obj.uuid.encode(), b"</id>\n    <title>",
            obj.schema_type.encode(), b"</title>\n    <published>",
            _now_iso().encode(), b'</published>\n    <link rel="SELF" href="',
            self._self_href(feed_path, obj.uuid), b'"/>\n', _AUTHOR,
            _ETAG_ELEM, obj.etag(shown).encode(), b"</etag:etag>\n",
            b'    <content type="', c.uom_content_type(
                obj.schema_type).encode(), b'">\n',
            obj.render(shown), b"\n    </content>\n</entry>"))

    def _feed_path(self, obj: _Obj) -> str:
        """The feed path an entry of this request belongs to."""
        return self.path.rsplit("/", 1)[0] if \
            self.path.lower().endswith(obj.uuid.lower()) else self.path

    def _entry_reply(self, obj: _Obj, status: int = 200) -> _Reply:
        shown = obj.shown_groups(self.requested)
        return _Reply(status, self._entry(obj, self._feed_path(obj), True),
                      {c.CONTENT_TYPE: c.ATOM_TYPE,
                       c.ETAG: obj.etag(shown)})

    # -- operations -----------------------------------------------------------

    def _get_feed(self, schema_type, parent) -> _Reply:
        members = self.store.of_type(schema_type, parent)
        if not members:
            return _Reply(204)
        etags = [o.etag(o.shown_groups(self.requested)) for o in members]
        feed_etag = _signed_crc(self.path + "|" + ",".join(etags))
        if self._not_modified(feed_etag):
            return _Reply(304, headers={c.ETAG: feed_etag})
        href = self.base + self.path + ("?" + self.query if self.query
                                        else "")
        head = ("\n    <id>%s</id>\n    <updated>%s</updated>\n"
                '    <link rel="SELF" href="%s"/>\n'
                "    <generator>IBM Power Systems Management Console"
                "</generator>\n" % (
                    _signed_crc(self.path).lstrip("-"), _now_iso(),
                    escape(href, {'"': "&quot;"}))).encode()
        parts = [_ATOM_OPEN % b"feed", head]
        for obj in members:
            parts.append(self._entry(obj, self.path, False))
            parts.append(b"\n")
        parts.append(b"</feed>")
        return _Reply(200, b"".join(parts),
                      {c.CONTENT_TYPE: c.ATOM_TYPE, c.ETAG: feed_etag})

    def _not_modified(self, etag: str) -> bool:
        wanted = self.handler.headers.get(c.IF_NONE_MATCH)
        return bool(wanted) and wanted.strip('"') == etag

    def _get_entry(self, obj: _Obj) -> _Reply:
        etag = obj.etag(obj.shown_groups(self.requested))
        if self._not_modified(etag):
            return _Reply(304, headers={c.ETAG: etag})
        return self._entry_reply(obj)

    def _check_if_match(self, obj: _Obj):
        wanted = self.handler.headers.get(c.IF_MATCH)
        if not wanted:
            return
        current = obj.etag(obj.shown_groups(self.requested))
        if wanted.strip('"') != current:
            raise EmulatorError(
                412, "Etag mismatch: the request's If-Match %s is not the "
                "current etag %s of %s %s; GET it again and redo the "
                "change." % (wanted, current, obj.schema_type, obj.uuid),
                "Precondition Failed")

    def _parse_object(self, schema_type):
        ctype = self.handler.headers.get(c.CONTENT_TYPE, "")
        if "type=" in ctype and \
                ctype.rsplit("type=", 1)[1].strip() != schema_type:
            raise EmulatorError(400, "Content-Type %s does not match the "
                                "%s path." % (ctype, schema_type),
                                "Bad Request")
        try:
            element = pvm_adapter.parse_xml(self.body, what="the request "
                                            "body")
        except (pvmex.AtomError, TypeError) as exc:
            raise EmulatorError(400, "The body is not a valid %s element: "
                                "%s" % (schema_type, exc),
                                "Bad Request") from None
        if element.tag != _UOM + schema_type:
            raise EmulatorError(400, "Expected a %s element in namespace %s, "
                                "got %s." % (schema_type, c.UOM_NS,
                                             element.tag), "Bad Request")
        return element

    def _update(self, obj: _Obj) -> _Reply:
        self._check_if_match(obj)
        element = self._parse_object(obj.schema_type)
        self.store.replace(obj, element, obj.shown_groups(self.requested),
                           self.body)
        return self._entry_reply(obj)

    def _create(self, schema_type, parent) -> _Reply:
        if schema_type not in _PARTITION_TYPES:
            raise EmulatorError(405, "Creating a %s is not supported."
                                % schema_type, "Method Not Allowed")
        element = self._parse_object(schema_type)
        obj = self.store.create(schema_type, element, parent)
        self.path = self.path + "/" + obj.uuid
        return self._entry_reply(obj)

    def _delete(self, obj: _Obj) -> _Reply:
        self._check_if_match(obj)
        self.store.objects.pop(obj.uuid.lower(), None)
        return _Reply(204)


# ---------------------------------------------------------------------------
# The control path
# ---------------------------------------------------------------------------

def _json_reply(status: int, payload) -> _Reply:
    return _Reply(status, json.dumps(payload).encode(),
                  {c.CONTENT_TYPE: "application/json"})


def _control(emu: Emulator, method, path, query, body) -> _Reply:
    """Handle ``/emulator/...`` (see the module documentation)."""
    try:
        args = json.loads(body) if body else {}
        if not isinstance(args, dict):
            raise ValueError("the body must be a JSON object")
        return _json_reply(200, _control_action(emu, method,
                                                path[len(CONTROL_PREFIX):],
                                                parse_qs(query), args))
    except KeyError as exc:
        return _json_reply(404, {"error": "not found: %s" % exc})
    except EmulatorError as exc:
        return _json_reply(exc.status, {"error": exc.message})
    except (ValueError, TypeError) as exc:
        return _json_reply(400, {"error": str(exc)})


def _entry_summary(emu: Emulator, obj: _Obj) -> Dict:
    name = obj.element.findtext(_UOM + "PartitionName") or \
        obj.element.findtext(_UOM + "SystemName")
    return {"uuid": obj.uuid, "type": obj.schema_type, "name": name,
            "version": obj.version, "etag": obj.etag(obj.groups)}


def _control_action(emu: Emulator, method, action, params, args):
    if (method, action) == ("GET", "counters"):
        return emu.counters()
    if (method, action) == ("POST", "counters/reset"):
        emu.reset_counters()
        return {}
    if (method, action) == ("POST", "seed"):
        emu.seed(int(args.get("lpars", 0)), int(args.get("vioses", 0)),
                 args.get("seed"))
        return {"ms_uuid": emu.ms_uuid}
    if (method, action) == ("GET", "entries"):
        types = params.get("type") or list(_TYPES)
        with emu._store.lock:
            return [_entry_summary(emu, o) for t in types
                    for o in emu._store.of_type(t)]
    if method == "GET" and action.startswith("entries/"):
        uuid = action.split("/", 1)[1]
        with emu._store.lock:
            summary = _entry_summary(emu, emu._store.get(uuid))
        if params.get("path"):
            summary["value"] = emu.get_value(uuid, params["path"][0])
        return summary
    if (method, action) == ("POST", "change"):
        return {"etag": emu.change(args["uuid"], args.get("path"),
                                   args.get("value"))}
    if (method, action) == ("POST", "latency"):
        emu.latency = float(args.get("seconds", 0))
        return {"latency": emu.latency}
    if (method, action) == ("POST", "faults"):
        return emu.inject_fault(**args)
    if (method, action) == ("GET", "faults"):
        return emu.faults()
    if (method, action) == ("DELETE", "faults"):
        emu.clear_faults()
        return {}
    if (method, action) == ("POST", "expire-sessions"):
        emu.expire_sessions(int(args.get("after", 0)))
        return {}
    raise EmulatorError(404, "No control action %s %s." % (method, action))


class EmulatorControl:
    """Drive a running emulator's ``/emulator/`` control path over HTTP
    (for an emulator in another process)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, action, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base_url + CONTROL_PREFIX + action,
                                     data=data, method=method,
                                     headers={"Content-Type":
                                              "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read() or b"null")

    def counters(self) -> Dict:
        return self._call("GET", "counters")

    def reset_counters(self):
        return self._call("POST", "counters/reset", {})

    def seed(self, lpars=0, vioses=0, seed=None):
        return self._call("POST", "seed", {"lpars": lpars, "vioses": vioses,
                                           "seed": seed})

    def entries(self, schema_type=c.LOGICAL_PARTITION) -> List[Dict]:
        return self._call("GET", "entries?type=" + schema_type)

    def get_value(self, uuid, path) -> Optional[str]:
        return self._call("GET", "entries/%s?path=%s" % (uuid, path))["value"]

    def change(self, uuid, path=None, value=None) -> str:
        return self._call("POST", "change", {"uuid": uuid, "path": path,
                                             "value": value})["etag"]

    def set_latency(self, seconds: float):
        return self._call("POST", "latency", {"seconds": seconds})

    def inject_fault(self, **kwargs):
        return self._call("POST", "faults", kwargs)

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def expire_sessions(self, after: int = 0):
        return self._call("POST", "expire-sessions", {"after": after})


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class BoundedArg:
    """An argparse ``type``: a number of ``kind`` between ``low`` and
    ``high`` (inclusive; None means unbounded above), refused with a
    message naming the range (``pypvm-tx`` uses it too)."""

    def __init__(self, kind, low, high=None):
        self.kind, self.low, self.high = kind, low, high
        self.__name__ = kind.__name__  # argparse names the type in errors

    def __call__(self, text: str):
        value = self.kind(text)
        if not value >= self.low or (self.high is not None
                                     and value > self.high):
            if self.high is None:
                raise argparse.ArgumentTypeError(
                    _("must be at least %(low)s, got %(got)s") % {
                        "low": self.low, "got": text})
            raise argparse.ArgumentTypeError(
                _("must be between %(low)s and %(high)s, got %(got)s") % {
                    "low": self.low, "high": self.high, "got": text})
        return value


def _existing_file(text: str) -> str:
    """An argparse ``type``: the path of a file that exists."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(_("no such file: %s") % text)
    return text


def build_parser(prog: str = "python -m pypvm_tx.testing.emulator"
                 ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve the PowerVM REST emulator in the foreground "
                    "(loopback only, in memory).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=BoundedArg(int, 0, MAX_PORT),
                        default=c.DEFAULT_HTTP_PORT,
                        help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--lpars", type=BoundedArg(int, 0, MAX_LPARS),
                        default=10,
                        help="LPARs to create, at most %d (default "
                             "%%(default)s)" % MAX_LPARS)
    parser.add_argument("--vioses", type=BoundedArg(int, 0, MAX_VIOSES),
                        default=2,
                        help="VIOSes to create, at most %d (default "
                             "%%(default)s)" % MAX_VIOSES)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the generated objects")
    parser.add_argument("--user", default=DEFAULT_USER,
                        help="accepted user (default %(default)s)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD,
                        help="accepted password (default %(default)s)")
    parser.add_argument("--latency", type=BoundedArg(float, 0), default=0.0,
                        help="least seconds between a REST request and its "
                             "answer")
    parser.add_argument("--certfile", type=_existing_file,
                        help="PEM certificate: serve HTTPS")
    parser.add_argument("--keyfile", type=_existing_file,
                        help="PEM private key of --certfile")
    return parser


def main(argv=None, prog: Optional[str] = None) -> int:
    """Serve in the foreground until SIGTERM or Ctrl-C.

    Bad arguments exit 2, an address that cannot be bound 1, each with
    one line on stderr (after the usage, for argument errors).
    """
    parser = build_parser(*(prog,) if prog else ())
    args = parser.parse_args(argv)
    if args.keyfile and not args.certfile:
        parser.error("--keyfile needs --certfile")
    try:
        emulator = Emulator(host=args.host, port=args.port, lpars=args.lpars,
                            vioses=args.vioses, seed=args.seed,
                            user=args.user, password=args.password,
                            latency=args.latency, certfile=args.certfile,
                            keyfile=args.keyfile)
    except (ValueError, TypeError) as exc:
        print("%s: error: %s" % (parser.prog, exc), file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: done.set())
    try:
        url = emulator.start()
    except OSError as exc:
        print("%s: error: cannot listen on %s port %d: %s" % (
            parser.prog, args.host, args.port, _os_reason(exc)),
            file=sys.stderr)
        return 1
    try:
        # The first line is machine-readable: scripts read the URL from it.
        print(url, flush=True)
        print("PowerVM REST emulator: %d LPARs, %d VIOSes, user %s; "
              "control path %s%s; Ctrl-C stops." % (
                  args.lpars, args.vioses, args.user, url, CONTROL_PREFIX),
              flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def exit_quietly_on_broken_pipe(func, *args, **kwargs) -> int:
    """``func(*args, **kwargs)``, its output flushed; when the reader of
    stdout went away (``... | head``), no traceback: stdout is pointed
    at /dev/null and the exit status is 128 + SIGPIPE, as for a process
    the signal ended."""
    try:
        code = func(*args, **kwargs)
        sys.stdout.flush()  # a broken pipe shows here, not at exit
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _os_reason(exc: OSError) -> str:
    """What went wrong, in words (``address already in use``)."""
    if exc.errno == errno.EADDRINUSE:
        return "the address is already in use"
    return exc.strerror or str(exc)


if __name__ == "__main__":
    sys.exit(exit_quietly_on_broken_pipe(main))
