"""ToozLockProvider: per-UUID locks shared by agents on several hosts,
through a tooz coordinator (Redis, ZooKeeper, etcd, files)."""

import atexit
import functools
import math
import os
import queue
import socket
import threading
import time
import urllib.parse
import weakref
from concurrent import futures
from typing import Any, Optional

from oslo_log import log as logging

from pypvm_tx.exceptions import url_without_credentials
from pypvm_tx.i18n import _
from pypvm_tx.locks.providers import (
    InProcessLockProvider,
    LockError,
    LockTimeout,
    _ExternalLockProvider,
    lock_key,
)

LOG = logging.getLogger(__name__)


class _BackendCalls:
    """Runs backend calls on daemon threads, so that a caller can stop
    waiting for a backend that does not answer (tooz clients retry for
    about a minute before they give up).

    Threads are started as needed, up to :attr:`MAX_THREADS`, and live
    as long as the process; being daemons, one stuck on a dead backend
    never holds up the interpreter's exit.
    """

    MAX_THREADS = 16

    def __init__(self) -> None:
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._mutex = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, func) -> futures.Future:
        """Run ``func()`` on a worker thread; its future."""
        future: futures.Future = futures.Future()
        self._queue.put((func, future))
        with self._mutex:
            if self._idle == 0 and self._threads < self.MAX_THREADS:
                self._threads += 1
                threading.Thread(target=self._work, daemon=True,
                                 name="pypvm_tx-lock-backend").start()
        return future

    def _work(self) -> None:
        while True:
            with self._mutex:
                self._idle += 1
            func, future = self._queue.get()
            with self._mutex:
                self._idle -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func())
            except BaseException as exc:  # noqa: BLE001 - the caller's
                future.set_exception(exc)


class ToozLockProvider(_ExternalLockProvider):
    """Locks among agents on several hosts, through a tooz coordinator.

    ``url`` is any tooz backend URL, e.g. ``redis://redis.example:6379``
    or ``file:///var/lib/pypvm_tx/locks`` (install the ``distributed``
    extra: ``pip install 'pypvm_tx[distributed]'``).

    * Re-entrant like every provider, through the held record
      (:class:`hold`): the backend lock is taken when a thread first
      locks a UUID and released when its outermost hold ends.
    * One coordinator per provider, started on first use; its heartbeat
      keeps held locks alive past ``lock_timeout``.  :meth:`close` stops
      it, and so does the interpreter's exit.  A forked child starts its
      own coordinator: it never uses its parent's connection.
    * A backend that does not answer raises :class:`LockError` once
      ``acquire_timeout`` (or the ``timeout`` given to :meth:`acquire`,
      whichever is shorter) has passed, not after the client's own
      minute of retries; a lock still held by another agent then raises
      :class:`LockTimeout`.  Messages show the URL without credentials.
    * :meth:`still_held` tells whether a held lock is still this
      agent's (a backend that lost its data, or a heartbeat that could
      not reach it, lets the lock expire under its holder).

    :param url: the tooz backend URL.
    :param member_id: this agent's member id; default host name + pid.
    :param lock_timeout: seconds a lock outlives its holder's last
        heartbeat (whole seconds, rounded up); the heartbeat renews held
        locks every half of it.
    :param acquire_timeout: the longest an acquire may take, waiting for
        the lock or for the backend; None: only the caller's ``timeout``
        bounds it.
    :raises ValueError: ``url`` is not a non-empty string, or a timeout
        is not a positive number.
    :raises ImportError: tooz is not installed.
    """

    #: A lock whose heartbeat stops expires after ``lock_timeout``.
    can_lose_locks = True
    #: Seconds a release, an ownership check or :meth:`close` waits for
    #: the backend; also the Redis client's socket timeouts, unless the
    #: URL sets them.
    BACKEND_TIMEOUT = 5.0
    #: Extra seconds given to a backend lock wait to report "not
    #: obtained" itself before it counts as a backend that did not answer.
    GRACE = 0.5

    def __init__(self, url: str, member_id: Optional[str] = None,
                 lock_timeout: float = 30,
                 acquire_timeout: Optional[float] = None):
        if not isinstance(url, str) or not url:
            raise ValueError(_("ToozLockProvider needs the tooz backend URL "
                               "(e.g. 'redis://host:6379' or "
                               "'file:///path'); got %r.") % (url,))
        _check_seconds("lock_timeout", lock_timeout)
        if acquire_timeout is not None:
            _check_seconds("acquire_timeout", acquire_timeout)
        import tooz  # optional dependency
        from tooz import coordination

        super().__init__()
        self.url = url
        #: The URL as messages and logs show it (no credentials).
        self.safe_url = url_without_credentials(url)
        self._password = urllib.parse.urlsplit(url).password
        self._given_member_id = member_id
        self.lock_timeout = max(1, math.ceil(lock_timeout))
        self.acquire_timeout = acquire_timeout
        self._tooz = tooz
        self._coordination = coordination
        self._generation = 0
        self._fresh_state()
        _TOOZ_PROVIDERS.add(self)

    def _fresh_state(self) -> None:
        """No coordinator, no held lock: at creation and in a forked child
        (whatever the parent held, its threads and connection are not
        the child's)."""
        self._pid = os.getpid()
        self.member_id = self._given_member_id or "pypvm_tx-%s-%d" % (
            socket.gethostname(), self._pid)
        self._mutex = threading.Lock()
        self._coordinator: Any = None
        self._starting: Optional[futures.Future] = None
        self._calls = _BackendCalls()
        self._held: dict = {}  # lock name -> tooz lock, while held
        self._threads = InProcessLockProvider()
        self._generation += 1

    def __repr__(self):
        return "<ToozLockProvider %s>" % self.safe_url

    # -------------------------------------------------- the coordinator

    def _options(self) -> dict:
        """Coordinator options: the lock timeout and, for Redis, socket
        timeouts (unless the URL's query string sets them)."""
        options = {"lock_timeout": str(self.lock_timeout)}
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme in ("redis", "rediss"):
            query = urllib.parse.parse_qs(parts.query)
            for name in ("socket_timeout", "socket_connect_timeout"):
                if name not in query:
                    options[name] = str(self.BACKEND_TIMEOUT)
        return options

    def _start_coordinator(self, generation: int) -> Any:
        coordinator = self._coordination.get_coordinator(
            self.url, self.member_id.encode("utf-8"), **self._options())
        coordinator.start(start_heart=True)
        with self._mutex:
            if generation == self._generation:
                self._coordinator = coordinator
                return coordinator
        coordinator.stop()  # closed (or forked) while it started
        raise LockError(_("The lock provider %s was closed.")
                        % self.safe_url)

    def _started(self, deadline: Optional[float]) -> Any:
        """The coordinator, started if need be (one start at a time)."""
        with self._mutex:
            if self._coordinator is not None:
                return self._coordinator
            starting = self._starting
            if starting is None or (starting.done()
                                    and starting.exception() is not None):
                starting = self._starting = self._calls.submit(
                    functools.partial(self._start_coordinator,
                                      self._generation))
        return self._result(starting, deadline, _("start"))

    # -------------------------------------------------- bounded calls

    def _backend_error(self, exc: BaseException, what: str) -> LockError:
        text = str(exc)
        if self._password:
            text = text.replace(self._password, "***")
        return LockError(_("The lock backend %(url)s failed to %(what)s: "
                           "%(error)s") % {"url": self.safe_url,
                                           "what": what, "error": text})

    def _result(self, future: futures.Future, deadline: Optional[float],
                what: str) -> Any:
        """``future``'s result, or LockError when the backend failed or
        ``deadline`` (monotonic; None: none) passed first."""
        left = None if deadline is None else max(
            deadline - time.monotonic(), 0)
        try:
            return future.result(left)
        except self._tooz.NotImplemented:
            raise
        except self._tooz.ToozError as exc:
            raise self._backend_error(exc, what) from exc
        except futures.TimeoutError:
            if future.done():  # the call's own TimeoutError (a socket's)
                raise
            raise LockError(_("The lock backend %(url)s did not answer "
                              "(%(what)s) in time.") % {
                "url": self.safe_url, "what": what}) from None

    def _call(self, func, deadline: Optional[float], what: str,
              abandoned=None) -> Any:
        """``func()`` on the backend, bounded by ``deadline``.

        :param abandoned: called with the future if the caller stops
            waiting while it still runs.
        """
        future = self._calls.submit(func)
        try:
            return self._result(future, deadline, what)
        except LockError:
            if not future.done() and not future.cancel() and abandoned:
                future.add_done_callback(abandoned)
            raise

    # -------------------------------------------------- locks

    def _acquire(self, name, uuid, timeout):
        if self.acquire_timeout is not None and (
                timeout is None or self.acquire_timeout < timeout):
            timeout = self.acquire_timeout
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        thread_lock = self._threads._acquire(name, uuid, timeout)
        try:
            lock = self._started(deadline).get_lock(name.encode("utf-8"))
            left = None if deadline is None else max(
                deadline - time.monotonic(), 0)
            got = self._call(
                functools.partial(lock.acquire, blocking=True, timeout=left),
                None if deadline is None else deadline + self.GRACE,
                _("acquire the lock on entry %s") % uuid,
                abandoned=functools.partial(self._release_late, lock))
            if not got:
                raise LockTimeout(uuid, timeout)
        except BaseException:
            self._threads._release(thread_lock)
            raise
        self._held[name] = lock
        return thread_lock, name, lock

    @staticmethod
    def _release_late(lock, future: futures.Future) -> None:
        """An acquire its caller gave up on: release what it got."""
        if not future.cancelled() and future.exception() is None \
                and future.result():
            try:
                lock.release()
            except Exception:  # the lock expires by itself
                LOG.debug("Releasing an abandoned lock failed",
                          exc_info=True)

    def _release(self, handle):
        thread_lock, name, lock = handle
        try:
            if self._held.get(name) is lock:
                del self._held[name]
            self._call(lock.release,
                       time.monotonic() + self.BACKEND_TIMEOUT,
                       _("release a lock"))
        except LockError as exc:
            # The lock expires after lock_timeout without a heartbeat.
            LOG.warning(_("%s; it expires by itself."), exc)
        finally:
            self._threads._release(thread_lock)

    def release_lost(self, handle):
        thread_lock, name, lock = handle
        if self._held.get(name) is lock:
            del self._held[name]
        self._threads._release(thread_lock)

    def still_held(self, uuid: str) -> bool:
        """Whether this provider's lock on ``uuid`` is still this agent's.

        False (logged at WARNING with the UUID) when the lock is not held
        here, another member owns it now, or the backend cannot tell (it
        cannot be reached within :attr:`BACKEND_TIMEOUT`).
        """
        key = lock_key(uuid)
        lock = self._held.get(self.lock_name(key))
        owner = False
        reason = _("it is not held here")
        if lock is not None:
            try:
                owner = self._call(lock.is_still_owner,
                                   time.monotonic() + self.BACKEND_TIMEOUT,
                                   _("check a lock's owner"))
                reason = _("the backend no longer has it as this agent's")
            except self._tooz.NotImplemented:
                return True  # a backend that cannot lose a held lock
            except LockError as exc:
                reason = str(exc)
        if not owner:
            LOG.warning(_("The lock on entry %(uuid)s was lost (%(reason)s)."),
                        {"uuid": key, "reason": reason})
        return bool(owner)

    def close(self) -> None:
        """Stop the coordinator, releasing any lock still held.

        The provider may be used again: the next lock starts a new
        coordinator.
        """
        with self._mutex:
            coordinator, self._coordinator = self._coordinator, None
            self._starting = None
            self._held.clear()
            self._generation += 1
        if coordinator is not None:
            try:
                self._call(coordinator.stop,
                           time.monotonic() + self.BACKEND_TIMEOUT,
                           _("stop"))
            except LockError as exc:
                LOG.warning("%s", exc)


def _check_seconds(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not value > 0:
        raise ValueError(_("%(name)s must be a positive number of seconds; "
                           "got %(value)r.") % {"name": name, "value": value})


#: Every live ToozLockProvider, for the exit and fork hooks below.
_TOOZ_PROVIDERS: "weakref.WeakSet[ToozLockProvider]" = weakref.WeakSet()


@atexit.register
def _close_tooz_providers() -> None:
    for provider in list(_TOOZ_PROVIDERS):
        try:
            provider.close()
        except Exception:  # pragma: no cover - exiting anyway
            LOG.debug("Closing %r at exit failed", provider, exc_info=True)


def _forget_tooz_coordinators() -> None:
    """In a forked child: drop the parent's coordinators unstopped (stopping
    one would release the parent's locks) and start afresh on first use."""
    for provider in list(_TOOZ_PROVIDERS):
        provider._fresh_state()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_tooz_coordinators)
