"""Resumable FeedTask (SPEC D2; issue 10 scope 4): outcomes recorded in
batches on TaskFlow persistence, a run resumed after an interruption
running only what is not recorded, a finished run touching nothing.
Against the in-memory console (no HTTP)."""

import subprocess
import sys
import textwrap
import threading
import time
from unittest import mock

import pytest
from taskflow import task as tf_task
from taskflow.persistence import backends as tf_backends

from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.distributed import persistence as dist
from pypvm_tx.testing.console import FakeConsole
from tests.unit.tx_fakes import name_of, set_name


class Renamer:
    """A functor that renames each LPAR to a target, counting its calls
    per UUID; ``interrupt_at`` raises KeyboardInterrupt on that call."""

    def __init__(self, interrupt_at=None, fail=()):
        self.calls = {}
        self.lock = threading.Lock()
        self.interrupt_at = interrupt_at
        self.fail = set(fail)

    def __call__(self, wrapper):
        with self.lock:
            self.calls[wrapper.uuid] = self.calls.get(wrapper.uuid, 0) + 1
            if self.interrupt_at is not None and \
                    sum(self.calls.values()) == self.interrupt_at:
                raise KeyboardInterrupt()
        if wrapper.uuid in self.fail:
            raise ValueError("no target for %s" % wrapper.uuid)
        target = "t-" + wrapper.uuid[:8]
        if name_of(wrapper) == target:
            return False
        set_name(wrapper, target)
        return True


class Count(tf_task.Task):
    """A post-execute task counting its runs; provides the entry count."""

    def __init__(self, name, runs, provides=None, interrupt=False):
        super().__init__(name, provides=provides)
        self.runs = runs
        self.interrupt = interrupt

    def execute(self, wrapper_task_rets):
        self.runs.append(self.name)
        if self.interrupt:
            raise KeyboardInterrupt()
        return len(wrapper_task_rets)


def feed_task(console, backend, functor, run_id="run-1", runs=None,
              **kwargs):
    kwargs.setdefault("max_workers", 2)
    task = tx.FeedTask("ft", console.feed_getter(), persistence=backend,
                       run_id=run_id, **kwargs)
    task.add_functor_subtask(functor, provides="changed")
    if runs is not None:
        task.add_post_execute(Count("count", runs, provides="entries"))
    return task


def record_of(backend, run_id="run-1", name="ft"):
    run = dist.TaskFlowRun(backend, run_id, name)
    try:
        return run.recorded(), run.finished(), run._saved
    finally:
        run.close()


@pytest.fixture
def backend():
    return tf_backends.fetch("memory://")


@pytest.fixture
def console():
    return FakeConsole(count=6)


# ------------------------------------------------------------------ D2.1 --

@pytest.mark.parametrize("kwargs, error", [
    ({"run_id": "r"}, ValueError),
    ({"persistence": "memory://"}, ValueError),
    ({"persistence": 42, "run_id": "r"}, TypeError),
    ({"persistence": "memory://", "run_id": 7}, TypeError),
    ({"persistence": "memory://", "run_id": "  "}, ValueError),
    ({"persistence": "", "run_id": "r"}, ValueError),
])
def test_d2_1_bad_persistence_or_run_id_refused(console, kwargs, error):
    with pytest.raises(error, match="FeedTask ft"):
        tx.FeedTask("ft", console.feed_getter(), **kwargs)


def test_d2_1_unknown_persistence_url_is_a_clear_error(console):
    task = tx.FeedTask("ft", console.feed_getter(),
                       persistence="nosuch://user:secret@host/db",
                       run_id="r")
    task.add_functor_subtask(Renamer())
    with pytest.raises(ValueError, match="No TaskFlow persistence") as info:
        task.execute()
    assert "secret" not in str(info.value)
    assert console.count("update") == 0


def test_d2_1_outcomes_recorded_with_status_error_retries(console, backend):
    bad = console.uuids[1]
    console.force_412(console.uuids[2], times=1)
    console.bump(console.uuids[3], name="t-" + console.uuids[3][:8])
    task = feed_task(console, backend, Renamer(fail=[bad]),
                     continue_on_error=True)
    task.execute()
    recorded, finished, _saved = record_of(backend)
    assert set(recorded) == set(console.uuids)
    assert recorded[bad].status == "failed"
    assert recorded[bad].error == "ValueError: no target for %s" % bad
    assert recorded[console.uuids[2]].retries == 1
    assert recorded[console.uuids[2]].status == "updated"
    assert recorded[console.uuids[3]].status == "unchanged"
    assert recorded[console.uuids[0]].provides == {"changed": True}
    assert finished is not None and finished.order == console.uuids


def test_d2_1_outcomes_written_in_batches(console, backend):
    """Writes are batched: with a long interval, 6 outcomes make one
    batch, written by the run's end (not one write per entry)."""
    writes = []
    real = dist.TaskFlowRun._write

    def counting(self, items, meta=None):
        writes.append(len(items))
        return real(self, items, meta)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dist, "DEFAULT_INTERVAL", 30.0)
        patch.setattr(dist.TaskFlowRun, "_write", counting)
        feed_task(console, backend, Renamer()).execute()
    assert writes == [6]
    _recorded, _finished, saved = record_of(backend)
    assert [ad.name for ad in saved] == ["outcomes-00000001"]


def test_d2_1_batch_size_triggers_a_write(backend):
    """A full batch is written at once, long before the interval."""
    run = dist.TaskFlowRun(backend, "r", "ft", interval=30.0, batch=3)
    try:
        for index in range(4):
            run.record(tx.EntryOutcome("u%d" % index, "updated"), {})
        deadline = time.monotonic() + 5
        while len(record_of(backend, "r")[0]) < 3:
            assert time.monotonic() < deadline, "no write of a full batch"
            time.sleep(0.01)
        run.finish(["u%d" % i for i in range(4)], {})
    finally:
        run.close()
    recorded, finished, _saved = record_of(backend, "r")
    assert len(recorded) == 4 and finished is not None


def test_d2_1_unserialisable_provides_refused(console, backend):
    task = tx.FeedTask("ft", console.feed_getter(), max_workers=1,
                       persistence=backend, run_id="r")
    task.add_functor_subtask(lambda w: object(), provides="thing")
    with pytest.raises(TypeError, match="JSON"):
        task.execute()


def test_d2_1_unserialisable_post_execute_result_refused(console, backend):
    class Opaque(tf_task.Task):
        def execute(self, wrapper_task_rets):
            return object()

    task = feed_task(console, backend, Renamer())
    task.add_post_execute(Opaque("opaque", provides="thing"))
    with pytest.raises(TypeError, match="post-execute results"):
        task.execute()
    assert record_of(backend)[1] is None  # not finished


# ------------------------------------------------------------------ D2.2 --

def test_d2_2_interrupted_run_resumes_only_unrecorded(console, backend):
    """An interrupted run (KeyboardInterrupt on the 4th entry) records what
    finished before; the resumed run runs only the rest, reports every
    entry and runs the post-execute task once."""
    first, runs = Renamer(interrupt_at=4), []
    with pytest.raises(KeyboardInterrupt):
        feed_task(console, backend, first, runs=runs,
                  max_workers=1).execute()
    assert console.count("update") == 3 and runs == []
    recorded, finished, _saved = record_of(backend)
    assert len(recorded) == 3 and finished is None

    second, seen = Renamer(), []
    task = feed_task(console, backend, second, runs=runs,
                     progress=lambda o, done, total: seen.append(
                         (o.uuid, done, total)))
    result = task.execute()
    assert set(second.calls) == set(console.uuids) - set(recorded)
    assert console.count("update") == 6
    assert list(task.outcomes) == console.uuids
    assert all(o.status == "updated" for o in task.outcomes.values())
    assert sorted(result["wrapper_task_rets"]) == sorted(console.uuids)
    for uuid in recorded:  # restored from the record, wrapper from the GET
        rets = result["wrapper_task_rets"][uuid]
        assert rets["changed"] is True and rets["wrapper"].uuid == uuid
    assert result["entries"] == 6 and runs == ["count"]
    assert sorted(d for _u, d, _t in seen) == list(range(1, 7))


def test_d2_2_finished_run_touches_nothing(console, backend):
    runs = []
    first_task = feed_task(console, backend, Renamer(), runs=runs)
    first = first_task.execute()
    calls = len(console.calls)
    again = feed_task(console, backend, Renamer(), runs=runs)
    result = again.execute()
    assert len(console.calls) == calls  # no GET, no POST
    assert runs == ["count"]
    assert result["entries"] == first["entries"] == 6
    assert list(result["wrapper_task_rets"]) == list(
        first["wrapper_task_rets"])
    for uuid, rets in result["wrapper_task_rets"].items():
        assert rets == {"changed": True, "wrapper": None}
    assert {u: (o.status, o.retries) for u, o in again.outcomes.items()} \
        == {u: (o.status, o.retries) for u, o in first_task.outcomes.items()}


def test_d2_2_failed_entries_run_again_on_resume(console, backend):
    bad = console.uuids[4]
    with pytest.raises(ValueError, match="no target"):
        feed_task(console, backend, Renamer(fail=[bad])).execute()
    recorded, finished, _saved = record_of(backend)
    assert recorded[bad].status == "failed" and finished is None
    retry = Renamer()
    task = feed_task(console, backend, retry)
    task.execute()
    assert retry.calls == {bad: 1}
    assert task.outcomes[bad].status == "updated"
    assert record_of(backend)[1] is not None


def test_d2_2_finished_run_with_failures_returns_their_text(console,
                                                            backend):
    bad = console.uuids[0]
    feed_task(console, backend, Renamer(fail=[bad]),
              continue_on_error=True).execute()
    task = feed_task(console, backend, Renamer(), continue_on_error=True)
    result = task.execute()
    assert bad not in result["wrapper_task_rets"]
    error = task.outcomes[bad].exception
    assert isinstance(error, pvmex.RecordedError)
    assert str(error) == "ValueError: no target for %s" % bad
    assert task.outcomes[bad].status == "failed"


def test_d2_2_post_execute_task_that_finished_is_not_rerun(console,
                                                           backend):
    """Interrupted in its second post-execute task, the resumed run skips
    the entries and the first post-execute task, and reruns the second.
    Every outcome is written before the post-execute tasks start (seen
    from the first one, with no timed write due)."""
    runs, seen = [], []

    class SeeRecord(Count):
        def execute(self, wrapper_task_rets):
            seen.append(len(record_of(backend)[0]))
            return super().execute(wrapper_task_rets)

    task = feed_task(console, backend, Renamer())
    task.add_post_execute(SeeRecord("one", runs, provides="one"),
                          Count("two", runs, provides="two", interrupt=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dist, "DEFAULT_INTERVAL", 30.0)
        with pytest.raises(KeyboardInterrupt):
            task.execute()
    assert seen == [6]
    second = Renamer()
    again = feed_task(console, backend, second)
    again.add_post_execute(Count("one", runs, provides="one"),
                           Count("two", runs, provides="two"))
    result = again.execute()
    assert second.calls == {}
    assert runs == ["one", "two", "two"]
    assert result["one"] == result["two"] == 6
    assert console.count("update") == 6


def test_d2_2_other_run_id_is_a_new_run(console, backend):
    feed_task(console, backend, Renamer()).execute()
    other = Renamer()
    feed_task(console, backend, other, run_id="run-2").execute()
    assert set(other.calls) == set(console.uuids)  # run again: no change
    assert console.count("update") == 6


@pytest.mark.parametrize("scheme", ["sqlite", "dir", "memory"])
def test_d2_2_resume_from_a_url_in_tmp_path(console, tmp_path, scheme):
    url = {"sqlite": "sqlite:///%s" % (tmp_path / "runs.db"),
           "dir": "dir://%s" % (tmp_path / "runs"),
           "memory": "memory://?%s" % tmp_path.name}[scheme]
    runs = []
    with pytest.raises(KeyboardInterrupt):
        feed_task(console, url, Renamer(interrupt_at=3), runs=runs,
                  max_workers=1).execute()
    resumed = Renamer()
    feed_task(console, url, resumed, runs=runs).execute()
    assert len(resumed.calls) == 4 and console.count("update") == 6
    calls = len(console.calls)
    result = feed_task(console, url, Renamer(), runs=runs).execute()
    assert len(console.calls) == calls and runs == ["count"]
    assert result["entries"] == 6


def test_d2_1_a_url_opens_one_backend_per_process(tmp_path):
    url = "sqlite:///%s" % (tmp_path / "one.db")
    first = dist.fetch_backend(url)
    assert dist.fetch_backend(url) is first
    assert dist.fetch_backend(first) is first
    with mock.patch("os.getpid", return_value=-1):  # as in a forked child
        assert dist.fetch_backend(url) is not first


def test_d2_1_sqlite_file_in_wal_mode(console, tmp_path):
    """A SQLite URL's file is written in WAL mode: commits without an fsync
    of their own, nothing committed lost when the process is killed."""
    import sqlite3
    path = tmp_path / "wal.db"
    feed_task(console, "sqlite:///%s" % path, Renamer()).execute()
    with sqlite3.connect(str(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_d2_layering_transaction_does_not_import_distributed():
    code = ("import sys, pypvm_tx.transaction; "
            "print('pypvm_tx.distributed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "False"


def test_d2_docs_example_runs_as_written(tmp_path):
    """The "Resuming a run" example of docs/guide.rst, run as written."""
    import pathlib
    text = (pathlib.Path(__file__).parents[2] / "docs" / "guide.rst"
            ).read_text()
    section = text.split("Resuming a run\n", 1)[1]
    code = section.split(".. code-block:: python\n", 1)[1].split(
        "\nHow it behaves", 1)[0]
    exec(compile(textwrap.dedent(code), "guide.rst", "exec"),
         {"tmp_path": tmp_path})
