"""What the emulator keeps about its clients: session tokens, logons,
request counts and connections."""

import collections
import secrets
import socket
import threading
from typing import Counter, Dict, Optional, Set


def _shut(conn) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Sessions:
    """Valid session tokens, logons, and the expiry countdown."""

    def __init__(self, user: str, password: str):
        self.user = user
        self._password = password
        self._lock = threading.Lock()
        self._tokens: Set[str] = set()
        self._expire_after: Optional[int] = None
        self.logons = 0

    def logon(self, user, password) -> Optional[str]:
        """A new token for the right credentials, else None."""
        if not (secrets.compare_digest(str(user), self.user)
                and secrets.compare_digest(str(password), self._password)):
            return None
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens.add(token)
            self.logons += 1
        return token

    def logoff(self, token: str):
        with self._lock:
            self._tokens.discard(token)

    def valid(self, token) -> bool:
        with self._lock:
            return token in self._tokens

    def reset_logons(self):
        with self._lock:
            self.logons = 0

    def expire(self, after: int = 0):
        """Invalidate every token, now or after ``after`` more requests."""
        with self._lock:
            if after > 0:
                self._expire_after = after
            else:
                self._tokens.clear()

    def count_down(self):
        """One more REST request towards a pending expiry."""
        with self._lock:
            if self._expire_after is not None:
                self._expire_after -= 1
                if self._expire_after <= 0:
                    self._expire_after = None
                    self._tokens.clear()


class Traffic:
    """Request counts by (method, type, status), updates stored per
    object, and the connections."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = collections.Counter()
        self._updates: Counter[str] = collections.Counter()
        self.opened = 0
        self._open = set()

    def record(self, method: str, schema_type: str, status):
        with self._lock:
            self._counts[(method, schema_type, status)] += 1

    def record_update(self, uuid: str):
        """One POST stored on object ``uuid``."""
        with self._lock:
            self._updates[uuid] += 1

    def counts(self) -> Dict:
        with self._lock:
            return dict(self._counts)

    def updates(self) -> Dict[str, int]:
        with self._lock:
            return dict(self._updates)

    def reset(self):
        with self._lock:
            self._counts.clear()
            self._updates.clear()
            self.opened = 0

    def connection_opened(self, conn, stopping: threading.Event):
        with self._lock:
            self.opened += 1
            self._open.add(conn)
            stopped = stopping.is_set()
        if stopped:  # accepted while stop() ran: end it like the others
            _shut(conn)

    def connection_closed(self, conn):
        with self._lock:
            self._open.discard(conn)

    def shut_all(self):
        """Shut every open connection down (their threads then end)."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            _shut(conn)


def summarise(counts: Dict, opened: int, logons: int) -> Dict:
    """The figures of :meth:`Emulator.counters` from raw counts."""
    by_method: Counter[str] = collections.Counter()
    by_type: Counter[str] = collections.Counter()
    by_status: Counter[str] = collections.Counter()
    for (method, schema_type, status), n in counts.items():
        by_method[method] += n
        by_type[schema_type] += n
        by_status[str(status)] += n
    return {
        "requests": [{"method": m, "type": t, "status": s, "count": n}
                     for (m, t, s), n in sorted(counts.items(), key=str)],
        "by_method": dict(by_method), "by_type": dict(by_type),
        "by_status": dict(by_status),
        "total": sum(counts.values()),
        "connections_opened": opened, "logons": logons,
    }
