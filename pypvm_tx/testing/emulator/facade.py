"""The :class:`Emulator` object: starts and stops the server, and
offers the controls from Python (seed, out-of-band changes, latency,
faults, session expiry, counters)."""

import socket
import threading
from typing import Dict, Iterable, List, Optional

from oslo_log import log as logging

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx.testing.emulator import checks
from pypvm_tx.testing.emulator.common import (DEFAULT_PASSWORD, DEFAULT_USER,
                                              MAX_LPARS, MAX_PORT,
                                              MAX_VIOSES)
from pypvm_tx.testing.emulator.faults import FaultList
from pypvm_tx.testing.emulator.ledger import Sessions, Traffic, summarise
from pypvm_tx.testing.emulator.server import Server
from pypvm_tx.testing.emulator.store import Store, find_path, parse_groups

LOG = logging.getLogger(__name__)


class Emulator:
    """The PowerVM REST emulator (see the package documentation).

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
        checks.check_loopback(host)
        port = checks.check_count("port", port, MAX_PORT)
        lpars = checks.check_count("lpars", lpars, MAX_LPARS)
        vioses = checks.check_count("vioses", vioses, MAX_VIOSES)
        seed = checks.check_seed(seed)
        if keyfile and not certfile:
            raise ValueError("keyfile %s was given without its certfile."
                             % keyfile)
        self.host = host
        self.user = user
        self._password = password
        self.latency = checks.check_latency(latency)
        self.protocol = "https" if certfile else "http"
        self._ssl_context = None
        if certfile:
            self._ssl_context = checks.server_ssl_context(certfile, keyfile)
        self._requested_port = port
        self._server: Optional[Server] = None
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._sessions = Sessions(user, password)
        self._faults = FaultList()
        self._traffic = Traffic()
        self._seed = seed
        self._store = Store("")
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
        server_cls = type("_BoundServer", (Server,),
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
        self._traffic.shut_all()
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
        lpars = checks.check_count("lpars", lpars, MAX_LPARS)
        vioses = checks.check_count("vioses", vioses, MAX_VIOSES)
        seed = self._seed if seed is None else checks.check_seed(seed)
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
            found = find_path(self._store.get(uuid).element(), path)
            if found is None:
                raise KeyError("%s has no %s." % (uuid, path))
            return found.text

    def version(self, uuid: str) -> int:
        """How many times the object was written (1 when created)."""
        with self._store.lock:
            return self._store.get(uuid).version

    def etag(self, uuid: str, xag: Optional[Iterable[str]] = None) -> str:
        """The object's current etag for the ``group=`` selection that
        ``xag`` makes on a read (``None``: no extended groups; ``[]``:
        every group)."""
        requested = parse_groups(pvm_adapter.xag_query(xag))
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
                self._store.change(obj, path, value)
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
        return self._faults.add(kind, status, rate, count, methods, types,
                                delay, seed, default_seed=self._seed)

    def clear_faults(self):
        self._faults.clear()

    def faults(self) -> List[Dict]:
        return self._faults.describe()

    def expire_sessions(self, after: int = 0):
        """Invalidate every session token, now or after ``after`` more REST
        requests; the clients' next request is answered 401."""
        self._sessions.expire(after)

    # -- counters ------------------------------------------------------------

    def counters(self) -> Dict:
        """Request counts and connections opened.

        ``requests`` lists ``{"method", "type", "status", "count"}``
        (``type`` is the object type, ``Logon`` for logon/logoff; ``status``
        is ``"dropped"`` for a dropped connection); ``by_method``,
        ``by_type`` and ``by_status`` sum them; ``connections_opened``
        counts accepted connections; ``logons`` successful logons.
        """
        return summarise(self._traffic.counts(), self._traffic.opened,
                         self._sessions.logons)

    def count(self, method: Optional[str] = None,
              schema_type: Optional[str] = None, status=None) -> int:
        """How many REST requests matched all the given criteria."""
        return sum(n for (m, t, s), n in self._traffic.counts().items()
                   if (method is None or m == method)
                   and (schema_type is None or t == schema_type)
                   and (status is None or s == status))

    def updates(self) -> Dict[str, int]:
        """``{uuid: POSTs stored on that object}`` since the last reset
        (accepted POSTs only: a 412 or a fault stores nothing)."""
        return self._traffic.updates()

    @property
    def connections_opened(self) -> int:
        return self._traffic.opened

    def reset_counters(self):
        self._traffic.reset()
        self._sessions.reset_logons()

    def _sleep(self, seconds):
        """Wait (the latency, a slow fault); stop() cuts it short."""
        if seconds > 0:
            self._stopping.wait(seconds)
