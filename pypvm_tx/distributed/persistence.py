"""The record of a resumable FeedTask run, kept in TaskFlow persistence.

Layout in the backend: one logbook per ``run_id``; in it, per FeedTask
name, one flow detail whose atom details each hold a batch of entry
outcomes (``{uuid: [status, error text, retries, provides]}``) and whose
``meta`` says whether the run finished (then also the feed order and the
post-execute results); and one flow detail for the post-execute tasks,
run by a TaskFlow engine persisted there, so a finished post-execute
task is not run again.

Writing costs a database transaction (milliseconds on SQLite), so
outcomes are queued by the workers and written by one writer thread in
batches: every ``interval`` seconds or every ``batch`` outcomes,
whichever comes first, and once more when the run finishes or is
closed.  A process killed between two writes loses at most the last
``interval`` of outcomes; those entries run again on resume and, their
change being already there, find nothing to change.
"""

import contextlib
import json
import os
import threading
import uuid as uuidlib
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

from oslo_log import log as logging
from taskflow import engines as tf_engines
from taskflow import exceptions as tf_exc
from taskflow import states as tf_states
from taskflow.persistence import backends as tf_backends
from taskflow.persistence import base as tf_persistence
from taskflow.persistence import models as tf_models

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction.outcome import EntryOutcome
from pypvm_tx.transaction.run_record import (FinishedRun, RecordedOutcome,
                                             RunRecord)

LOG = logging.getLogger(__name__)

#: Derives the logbook and flow detail UUIDs from the run's names, so any
#: process finds the same run from the same ``run_id``.
_NAMESPACE = uuidlib.UUID("5d0c7c52-3f5e-4b8e-9d43-6a1c2f7e9b10")
_BATCH_PREFIX = "outcomes-"

#: Seconds between two writes of queued outcomes.
DEFAULT_INTERVAL = 0.5
#: Queued outcomes that trigger a write before the interval is up.
DEFAULT_BATCH = 5000


#: Backends opened from URLs, by (process id, URL): one per URL and
#: process, so a URL's engine is created and its schema upgraded once,
#: and a forked child opens its own.
_BACKENDS: Dict[Tuple[int, str], tf_persistence.Backend] = {}
_BACKENDS_LOCK = threading.Lock()


def fetch_backend(persistence) -> tf_persistence.Backend:
    """The backend for ``persistence``: a backend object as it is; for a
    URL, this process's backend for it, created (and its schema created
    or upgraded) on first use.

    :raises ValueError: the URL names no usable backend.
    """
    if isinstance(persistence, tf_persistence.Backend):
        return persistence
    key = (os.getpid(), persistence)
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get(key)
        if backend is None:
            backend = _BACKENDS[key] = _open_url(persistence)
    return backend


def _open_url(url: str) -> tf_persistence.Backend:
    conf: Dict[str, Any] = {"connection": url}
    parts = urlsplit(url)
    if parts.scheme in ("dir", "file"):
        conf["path"] = unquote(parts.netloc + parts.path)
    try:
        backend = tf_backends.fetch(conf)
    except Exception as exc:
        shown = pvmex.url_without_credentials(url)
        raise ValueError(_("No TaskFlow persistence backend for %(url)r: "
                           "%(exc)s") % {"url": shown, "exc": exc}) from exc
    if parts.scheme.startswith("sqlite") and parts.path not in ("", "/",
                                                                "/:memory:"):
        _write_ahead(backend)
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            conn.upgrade()
    except BaseException:
        backend.close()
        raise
    return backend


def _write_ahead(backend) -> None:
    """Open the SQLite file of ``backend`` in WAL mode, syncing at
    checkpoints (``synchronous=NORMAL``): a commit costs no fsync of its
    own, yet a killed process loses nothing committed (a power cut may
    lose the last commits: their entries then simply run again)."""
    import sqlalchemy  # with the SQLAlchemy backend, it is installed

    def pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(backend.engine, "connect", pragmas)


def _error_text(exc: Optional[BaseException]) -> Optional[str]:
    if exc is None:
        return None
    if isinstance(exc, pvmex.RecordedError):
        # Already '<type>: <message>' (an outcome read back and recorded
        # again, as a distributed FeedTask does with its chunks').
        return str(exc)
    return "%s: %s" % (type(exc).__name__, exc)


def _checked_json(what: str, value: Any) -> Any:
    """``value`` if it is JSON-serialisable (what every backend stores)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(_(
            "%(what)s cannot be recorded: a resumable FeedTask stores it as "
            "JSON (%(exc)s).") % {"what": what, "exc": exc}) from exc
    return value


class TaskFlowRun(RunRecord):
    """The record of run ``run_id`` of FeedTask ``name`` in ``backend``.

    :param interval: seconds between two batched writes (default
        :data:`DEFAULT_INTERVAL`).
    :param batch: queued outcomes that trigger a write at once (default
        :data:`DEFAULT_BATCH`).
    """

    def __init__(self, backend: tf_persistence.Backend, run_id: str,
                 name: str,
                 interval: Optional[float] = None,
                 batch: Optional[int] = None):
        self._backend = backend
        self._run_id = run_id
        self._name = name
        self._interval = DEFAULT_INTERVAL if interval is None else interval
        self._batch = DEFAULT_BATCH if batch is None else batch
        self._book_uuid = str(uuidlib.uuid5(_NAMESPACE, "run:" + run_id))
        self._fd_uuid = str(uuidlib.uuid5(
            _NAMESPACE, "run:%s/feed:%s" % (run_id, name)))
        self._post_uuid = str(uuidlib.uuid5(
            _NAMESPACE, "run:%s/post:%s" % (run_id, name)))
        self._conn = backend.get_connection()
        self._db_lock = threading.Lock()  # one backend call at a time
        self._cond = threading.Condition()
        self._queue: List[list] = []
        self._writer: Optional[threading.Thread] = None
        self._stopping = False
        self._error: Optional[BaseException] = None
        self._saved = self._load()
        self._created = self._saved is not None
        self._meta: Dict[str, Any] = dict(
            self._saved.meta or {}) if self._saved is not None else {}
        self._seq = sum(1 for ad in self._saved or ()
                        if ad.name.startswith(_BATCH_PREFIX))

    def _load(self) -> Optional[tf_models.FlowDetail]:
        try:
            return self._conn.get_flow_details(self._fd_uuid)
        except tf_exc.NotFound:
            return None

    # -- reading -------------------------------------------------------------

    def recorded(self) -> Dict[str, RecordedOutcome]:
        """Every outcome recorded when this record was opened."""
        batches = sorted((ad for ad in self._saved or ()
                          if ad.name.startswith(_BATCH_PREFIX)),
                         key=lambda ad: ad.name)
        found: Dict[str, RecordedOutcome] = {}
        for batch in batches:
            for uuid, (status, error, retries, provides) in (
                    batch.results or {}).items():
                found[uuid] = RecordedOutcome(status, error, retries,
                                              provides or {})
        return found

    def finished(self) -> Optional[FinishedRun]:
        if not self._meta.get("finished"):
            return None
        return FinishedRun(list(self._meta.get("order", [])),
                           self.recorded(),
                           dict(self._meta.get("post_results", {})))

    # -- writing -------------------------------------------------------------

    def record(self, outcome: EntryOutcome,
               provides: Dict[str, Any]) -> None:
        """Queue ``outcome``; the writer thread saves it shortly.

        :raises TypeError: ``provides`` is not JSON-serialisable.
        """
        if provides:
            _checked_json(_("The values the Subtasks of entry %s provided")
                          % outcome.uuid, provides)
        item = [outcome.uuid, str(outcome.status),
                _error_text(outcome.exception), outcome.retries,
                provides or {}]
        with self._cond:
            self._queue.append(item)
            if self._writer is None and not self._stopping:
                self._writer = threading.Thread(
                    target=self._write_loop, daemon=True,
                    name="pypvm-tx-run-%s" % self._name)
                self._writer.start()
            if len(self._queue) >= self._batch:
                self._cond.notify()

    def _write_loop(self) -> None:
        """Write queued outcomes every interval (or full batch) until
        stopped; whoever stops the writer writes what is left."""
        while True:
            with self._cond:
                if not self._stopping and len(self._queue) < self._batch:
                    self._cond.wait(self._interval)
                if self._stopping:
                    return
                items, self._queue = self._queue, []
            if items:
                try:
                    self._write(items)
                except Exception as exc:
                    LOG.exception(_("Recording %(count)d outcomes of run "
                                    "%(run)s failed; they run again on "
                                    "resume."), {"count": len(items),
                                                 "run": self._run_id})
                    self._error = exc

    def _write(self, items: List[list],
               meta: Optional[Dict[str, Any]] = None) -> None:
        """Save ``items`` as one batch (and ``meta``), one transaction;
        nothing when there is nothing new and the record exists."""
        with self._db_lock:
            if not items and meta is None and self._created:
                return
            if meta is not None:
                self._meta = meta
            fd = tf_models.FlowDetail(self._name, uuid=self._fd_uuid)
            fd.meta = dict(self._meta)
            if items:
                self._seq += 1
                atom = tf_models.TaskDetail(
                    "%s%08d" % (_BATCH_PREFIX, self._seq),
                    uuid=str(uuidlib.uuid4()))
                atom.results = {item[0]: item[1:] for item in items}
                atom.state = tf_states.SUCCESS
                fd.add(atom)
            self._save(fd)

    def _save(self, fd: tf_models.FlowDetail) -> None:
        """Save ``fd``: into its logbook, created first if need be (lock
        held)."""
        if self._created:
            self._conn.update_flow_details(fd)
            return
        book = tf_models.LogBook(self._run_id, uuid=self._book_uuid)
        book.add(fd)
        self._conn.save_logbook(book)
        self._created = True

    def _stop_writer(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
            writer = self._writer
        if writer is not None:
            writer.join()

    def _take_queue(self) -> List[list]:
        with self._cond:
            items, self._queue = self._queue, []
        return items

    def _raise_writer_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def flush(self) -> None:
        """Write every queued outcome now.

        :raises: what the writer thread or this write failed with.
        """
        self._write(self._take_queue())
        self._raise_writer_error()

    def finish(self, order: List[str], post_results: Dict[str, Any]) -> None:
        """Write every queued outcome and mark the run finished.

        :raises TypeError: a post-execute result is not JSON-serialisable.
        """
        _checked_json(_("The post-execute results"), post_results)
        self._stop_writer()
        self._raise_writer_error()
        self._write(self._take_queue(),
                    {"finished": True, "order": list(order),
                     "post_results": post_results})

    def close(self) -> None:
        """Write what is still queued (errors logged, not raised)."""
        try:
            self._stop_writer()
            items = self._take_queue()
            if items:
                self._write(items)
        except Exception:
            LOG.exception(_("Run %s: the last outcomes could not be "
                            "recorded; they run again on resume."),
                          self._run_id)

    # -- post-execute ----------------------------------------------------------

    def engine(self, flow: Any, store: Dict[str, Any]) -> Any:
        """An engine for ``flow`` persisted in this run's logbook.

        The outcomes queued so far are written first, so a run cut off in
        its post-execute tasks does not run entries again.
        """
        self._write(self._take_queue())
        with self._db_lock:
            book = self._conn.get_logbook(self._book_uuid)
            detail = book.find(self._post_uuid)
            if detail is None:
                detail = tf_models.FlowDetail("%s_post_execs" % self._name,
                                              uuid=self._post_uuid)
                book.add(detail)
                self._conn.save_logbook(book)
        engine = tf_engines.load(flow, flow_detail=detail, book=book,
                                 backend=self._backend)
        engine.storage.inject(store, transient=True)
        return engine

def open_run(persistence, run_id: str, name: str) -> TaskFlowRun:
    """Open the record of run ``run_id`` of FeedTask ``name``.

    :param persistence: a TaskFlow persistence backend, or its URL
        (``sqlite:///path.db`` or another SQLAlchemy URL, ``memory://``,
        ``dir:///path``); a URL's backend is kept for the process.
    """
    return TaskFlowRun(fetch_backend(persistence), run_id, name)
