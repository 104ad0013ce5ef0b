"""The whole-exchange time bound of the urllib3 transport.

A per-``recv`` timeout cannot stop a server that trickles a byte at a
time, so every request is also armed on one :class:`Watchdog` whose
thread shuts the request's socket down when the whole exchange (interim
responses, headers, body, trailers) overruns its timeout.

The transport arms a :class:`Guard` in the sending thread
(:func:`arm`); the pooled connection urllib3 picks for the request, one
of :data:`GUARDED_CONNECTIONS`, attaches itself to that guard, so the
watchdog knows which socket to cut.
"""

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any, List, NamedTuple, Optional

import urllib3.connection


class Guard:
    """One armed request: the connection to cut if its time runs out."""

    __slots__ = ("when", "conn", "expired", "active", "_lock")

    def __init__(self, when: float):
        self.when = when
        self.conn = None
        self.expired = False
        self.active = True
        self._lock = threading.Lock()

    def attach(self, conn: Any) -> None:
        """Called (by the connection) once it is chosen for this request."""
        with self._lock:
            self.conn = conn
            expired = self.expired
        if expired:
            _shut(conn)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            conn = self.conn
        if conn is not None:
            _shut(conn)


def _shut(conn) -> None:
    """Make every blocked or later read on ``conn``'s socket end now."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class _Armed(NamedTuple):
    """A guard on the watchdog's heap, earliest ``when`` first (``seq``
    breaks ties, so guards themselves are never compared)."""

    when: float
    seq: int
    guard: Guard


class Watchdog:
    """One daemon thread that cuts exchanges that outlive their timeout.

    Arming and disarming cost a heap push and a flag; the thread wakes
    only for the earliest deadline.  Disarmed guards are dropped lazily
    (and in bulk once they are most of the heap).
    """

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._heap: List[_Armed] = []
        self._seq = itertools.count()
        self._stale = 0
        self._thread = None

    def arm(self, seconds: float) -> Guard:
        guard = Guard(time.monotonic() + seconds)
        with self._cond:
            heapq.heappush(self._heap,
                           _Armed(guard.when, next(self._seq), guard))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pypvm_tx-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0].guard is guard:
                self._cond.notify()
        return guard

    def disarm(self, guard: Guard) -> None:
        with self._cond:
            guard.active = False
            self._stale += 1
            if self._stale > 64 and self._stale * 2 > len(self._heap):
                self._heap = [item for item in self._heap
                              if item.guard.active]
                heapq.heapify(self._heap)
                self._stale = 0

    def _run(self) -> None:
        while True:
            with self._cond:
                guard = self._next_due()
            guard.expire()

    def _next_due(self) -> Guard:
        """Wait for the earliest active guard to fall due; pop it."""
        while True:
            while self._heap and not self._heap[0].guard.active:
                heapq.heappop(self._heap)
                self._stale -= 1
            if not self._heap:
                self._cond.wait()
                continue
            delay = self._heap[0].when - time.monotonic()
            if delay > 0:
                self._cond.wait(delay)
                continue
            guard = heapq.heappop(self._heap).guard
            guard.active = False
            return guard


_WATCHDOG = Watchdog()


def _new_watchdog_after_fork() -> None:
    """A forked child has none of its parent's threads: it gets a fresh
    watchdog (whose thread starts on first use) instead of one whose
    thread exists only in the parent."""
    global _WATCHDOG
    _WATCHDOG = Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_watchdog_after_fork)
#: The guard of the request this thread is sending, until its connection
#: is chosen.
_current = threading.local()


def arm(seconds: Optional[float]) -> Optional[Guard]:
    """Arm this thread's next exchange to be cut after ``seconds`` (None:
    no bound); the connection urllib3 picks for it attaches itself."""
    guard = _WATCHDOG.arm(seconds) if seconds is not None else None
    _current.guard = guard
    return guard


def stop_attaching() -> None:
    """The exchange's connection is chosen: later connections this thread
    opens are not the guard's concern."""
    _current.guard = None


def disarm(guard: Optional[Guard]) -> None:
    """The exchange is over: drop its guard."""
    _current.guard = None
    if guard is not None:
        _WATCHDOG.disarm(guard)


def _attach_current(conn) -> None:
    guard = getattr(_current, "guard", None)
    if guard is not None:
        guard.attach(conn)


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    """A pooled connection that tells the running request's guard that it
    is the one to cut."""

    def request(self, *args, **kwargs):
        _attach_current(self)
        return super().request(*args, **kwargs)


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    """The same for HTTPS (the TLS handshake happens in ``connect``)."""

    def connect(self):
        _attach_current(self)
        return super().connect()

    def request(self, *args, **kwargs):
        _attach_current(self)
        return super().request(*args, **kwargs)


#: The connection class of a urllib3 pool, by the pool's scheme.
GUARDED_CONNECTIONS = {"http": _GuardedHTTPConnection,
                       "https": _GuardedHTTPSConnection}
