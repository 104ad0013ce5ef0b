"""TaskFlow jobboards: opened from a URL, and claims that expire.

A distributed FeedTask posts its chunks as jobs on a TaskFlow jobboard
and workers claim them through TaskFlow conductors.  Two things are
added here:

* :func:`open_jobboard` opens a board from a URL such as
  ``redis://:password@host:6379/namespace``;
* :class:`ExpiringClaims` wraps a board so that every claim expires
  unless it is extended.  TaskFlow's conductors claim without an expiry
  and the Redis board's claim then lasts forever: a worker killed with
  SIGKILL would hold its chunk for good.  With the wrapper, a heartbeat
  thread extends each held claim every third of the expiry; when the
  worker dies, the claim lapses within the expiry and another conductor
  claims the job.
"""

import threading
from typing import Any, Dict, Optional, Tuple
from urllib.parse import unquote, urlsplit

from oslo_log import log as logging
from taskflow.jobs import backends as tf_jobs
from taskflow.jobs import base as tf_jobs_base

from pypvm_tx.exceptions import url_without_credentials
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)

#: Seconds a claim lasts unless extended.
DEFAULT_CLAIM_EXPIRY = 5.0


def _redis_conf(url: str) -> Dict[str, Any]:
    parts = urlsplit(url)
    try:
        port = parts.port or 6379
    except ValueError as exc:
        raise ValueError(_("Bad port in jobboard URL %(url)s: %(exc)s") % {
            "url": url_without_credentials(url), "exc": exc}) from exc
    conf: Dict[str, Any] = {"board": "redis",
                            "host": parts.hostname or "127.0.0.1",
                            "port": port,
                            "socket_timeout": 10.0,
                            "socket_connect_timeout": 5.0}
    if parts.password:
        conf["password"] = unquote(parts.password)
    if parts.username:
        conf["username"] = unquote(parts.username)
    namespace = parts.path.strip("/")
    if namespace:
        conf["namespace"] = namespace
    return conf


def open_jobboard(board: Any, persistence: Any,
                  name: str = "pypvm-tx") -> Tuple[Any, bool]:
    """The connected jobboard for ``board`` and whether the caller owns it.

    :param board: a TaskFlow jobboard (used as it is, connected if need
        be) or a URL: ``redis://[:password@]host[:port][/namespace]``.
    :param persistence: the TaskFlow persistence backend the board loads
        job logbooks from.
    :raises ValueError: the URL is not a ``redis://`` URL.
    :raises taskflow.exceptions.JobFailure: the board cannot be reached.
    """
    if isinstance(board, tf_jobs_base.JobBoard):
        if not board.connected:
            board.connect()
        return board, False
    if not isinstance(board, str) or urlsplit(board).scheme != "redis":
        raise ValueError(_(
            "A jobboard must be a TaskFlow jobboard or a URL like "
            "redis://:password@host:6379/namespace; got %r.")
            % (url_without_credentials(board) if isinstance(board, str)
               else board,))
    opened = tf_jobs.fetch(name, _redis_conf(board), persistence=persistence)
    opened.connect()
    return opened, True


class ExpiringClaims:
    """A jobboard whose claims expire unless this process keeps them.

    Every attribute is the wrapped board's, except :meth:`claim` (which
    claims with ``expiry`` seconds and keeps extending the claim from one
    heartbeat thread) and :meth:`consume`, :meth:`abandon` and
    :meth:`trash` (which stop extending it).  Give it to a TaskFlow
    conductor in place of the board.

    :param board: a connected TaskFlow jobboard whose ``claim`` takes an
        ``expiry`` and whose jobs have ``extend_expiry`` (Redis).
    :param expiry: seconds a claim lasts without a heartbeat.
    """

    def __init__(self, board: Any, expiry: float = DEFAULT_CLAIM_EXPIRY):
        if not expiry > 0:
            raise ValueError(_("The claim expiry must be a positive number "
                               "of seconds; got %r.") % (expiry,))
        self._board = board
        self._expiry = float(expiry)
        self._held: Dict[str, Any] = {}
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._board, name)

    @property
    def expiry(self) -> float:
        """Seconds a claim lasts without a heartbeat."""
        return self._expiry

    def held(self) -> int:
        """How many claims this process holds now."""
        with self._cond:
            return len(self._held)

    def claim(self, job: Any, who: str, expiry: Optional[float] = None
              ) -> None:
        """Claim ``job`` for ``expiry`` seconds (default this wrapper's),
        extended by the heartbeat until it is consumed or given up."""
        self._board.claim(job, who, expiry=expiry or self._expiry)
        with self._cond:
            self._held[job.uuid] = job
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._beat, daemon=True,
                    name="pypvm-tx-claims")
                self._thread.start()

    def _release(self, job: Any) -> None:
        with self._cond:
            self._held.pop(job.uuid, None)

    def consume(self, job: Any, who: str) -> None:
        self._release(job)
        self._board.consume(job, who)

    def abandon(self, job: Any, who: str) -> None:
        self._release(job)
        self._board.abandon(job, who)

    def trash(self, job: Any, who: str) -> None:
        self._release(job)
        self._board.trash(job, who)

    def _beat(self) -> None:
        """Extend every held claim each third of the expiry until closed."""
        while True:
            with self._cond:
                self._cond.wait(self._expiry / 3.0)
                if self._closed:
                    return
                jobs = list(self._held.values())
            for job in jobs:
                self._extend(job)

    def _extend(self, job: Any) -> None:
        try:
            if not job.extend_expiry(self._expiry):
                LOG.warning(_("The claim on job %s has lapsed: another "
                              "worker may run its chunk too (the etag keeps "
                              "entries safe)."), job.uuid)
        except Exception:
            LOG.warning(_("Extending the claim on job %s failed; retrying "
                          "at the next heartbeat."), job.uuid, exc_info=True)

    def close_claims(self) -> None:
        """Stop the heartbeat; claims still held then lapse by expiry."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
