"""A FeedTask across worker processes on a TaskFlow jobboard (SPEC D3;
issue 11): a real redis-server (tests/redis_server.py) for the board,
SQLite persistence in a temporary folder, the emulator over HTTP, and
workers that are real ``pypvm-tx worker`` processes -- or, for the
failure semantics, a :class:`Worker` in a thread of this process."""

import random
import threading
import time

import pytest
from taskflow import engines
from taskflow import task as tf_task
from taskflow.patterns import linear_flow

from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.distributed.jobboard import open_jobboard
from pypvm_tx.distributed.worker import Worker
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD, DEFAULT_USER,
                                       Emulator)
from pypvm_tx.testing.workers import (WorkerProcesses, label_of, owned_jobs,
                                      set_label)
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR
from tests.redis_server import running

LPARS = 120


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with running(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def emulator():
    emu = Emulator(lpars=LPARS, vioses=0, seed=5)
    with emu:
        yield emu


@pytest.fixture(scope="module")
def stack(redis_server, emulator, tmp_path_factory):
    """Board URL, persistence URL and the emulator, shared by a module."""
    folder = tmp_path_factory.mktemp("runs")
    board = "%s/pypvm-test" % redis_server.url
    return board, "sqlite:///%s/runs.db" % folder, emulator


@pytest.fixture(scope="module")
def two_workers(stack, tmp_path_factory):
    board, db, emu = stack
    workers = WorkerProcesses(emu.url, board, db, 2, threads=5,
                              log_dir=str(tmp_path_factory.mktemp("logs")))
    with workers:
        yield workers


@pytest.fixture
def solo(stack, redis_server, request):
    """Like ``stack``, with a board namespace of this test's own: jobs
    posted there are seen by this test's workers only (not by
    ``two_workers``)."""
    board, db, emu = stack
    return ("%s/solo-%s" % (redis_server.url, request.node.name), db, emu)


@pytest.fixture
def fresh(stack):
    """The emulator re-seeded with LPARS LPARs, counters reset, no
    latency."""
    emu = stack[2]
    emu.latency = 0
    emu.seed(lpars=LPARS)
    emu.reset_counters()
    yield emu
    emu.latency = 0


class Count(tf_task.Task):
    """A post-execute task: how many entries it saw."""

    def execute(self, wrapper_task_rets):
        return len(wrapper_task_rets)


def _feed_task(emu, board, db, label, **kwargs):
    task = tx.FeedTask(label, ewrap.FeedGetter(emu.adapter(), LPAR),
                       jobboard=board, persistence=db, **kwargs)
    task.add_functor_subtask(set_label, label, provides="changed")
    return task


def _assert_every_lpar_once(emu, label):
    for uuid in emu.uuids():
        assert emu.get_value(uuid, "PartitionName") == label_of(uuid, label)
    updates = emu.updates()
    assert sorted(updates) == sorted(emu.uuids())
    assert set(updates.values()) == {1}, "an LPAR was POSTed twice"


def test_d3_1_two_worker_processes_update_every_lpar_once(
        stack, two_workers, fresh):
    board, db, emu = stack
    calls = []
    task = _feed_task(emu, board, db, "two", chunk_size=15, max_inflight=3,
                      progress=lambda o, done, total: calls.append(
                          (o.uuid, done, total)))
    task.add_post_execute(Count("count", provides="seen"))
    result = task.execute()
    assert len(task.outcomes) == LPARS
    assert list(task.outcomes) == [w.uuid for w in task.feed]  # feed order
    assert {str(o.status) for o in task.outcomes.values()} == {"updated"}
    assert result["seen"] == LPARS
    assert all(ret["changed"] is True and ret["wrapper"] is None
               for ret in result["wrapper_task_rets"].values())
    # progress: once per entry, done counting 1..N as chunks report.
    assert [done for _u, done, _t in calls] == list(range(1, LPARS + 1))
    assert sorted(u for u, _d, _t in calls) == sorted(emu.uuids())
    _assert_every_lpar_once(emu, "two")
    # A finished run returns its recorded result and touches nothing.
    emu.reset_counters()
    again = _feed_task(emu, board, db, "two", run_id=task.run_id)
    again.add_post_execute(Count("count", provides="seen"))
    assert again.execute()["seen"] == LPARS
    assert emu.updates() == {}


def test_d3_5_continuation_never_exceeds_max_inflight(
        stack, two_workers, fresh):
    board, db, emu = stack
    emu.seed(lpars=500)
    board_obj, _owned = open_jobboard(board, None, name="sampler")
    most, samples, stop = [0], [0], threading.Event()

    def sample():
        while not stop.wait(0.005):
            most[0] = max(most[0], board_obj.job_count)
            samples[0] += 1

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        task = tx.FeedTask("cont", ewrap.UUIDFeedGetter(
            emu.adapter(), LPAR, emu.uuids()), jobboard=board,
            persistence=db, chunk_size=25, max_inflight=4)
        task.add_functor_subtask(set_label, "cont")
        # Still a TaskFlow task: run inside a flow by an engine.
        engines.run(linear_flow.Flow("cont-flow").add(task))
    finally:
        stop.set()
        sampler.join()
        board_obj.close()
    assert {str(o.status) for o in task.outcomes.values()} == {"updated"}
    assert len(task.outcomes) == 500
    assert samples[0] > 20
    assert 2 <= most[0] <= 4, most[0]
    _assert_every_lpar_once(emu, "cont")


def test_d3_4_killed_worker_chunk_taken_over(solo, fresh, tmp_path):
    """SIGKILL a worker holding a chunk, at a random moment: the other
    claims the dead worker's chunk once its claim lapses (2 s here) and
    finishes it within 10 s of the kill, running only what is not
    recorded; every LPAR reaches its target with one POST."""
    board, db, emu = solo
    emu.latency = 0.02
    rng = random.Random()
    extra = ["--claim-expiry", "2", "--chunks-at-once", "1"]
    watcher, _owned = open_jobboard(board, None, name="watcher")
    workers = WorkerProcesses(emu.url, board, db, 2, threads=4, extra=extra,
                              log_dir=str(tmp_path)).start()
    task = _feed_task(emu, board, db, "kill", chunk_size=20,
                      max_inflight=3, continue_on_error=True)
    poster = threading.Thread(target=task.execute)
    poster.start()
    try:
        victim = workers.procs[0].pid
        want, held = rng.randrange(5, 60), []
        deadline = time.monotonic() + 30
        while not held or sum(emu.updates().values()) < want:
            assert time.monotonic() < deadline, "no progress"
            held = owned_jobs(watcher, victim)
            time.sleep(0.005)
        workers.kill(0)
        killed_at = time.monotonic()
        assert sum(emu.updates().values()) < LPARS
        while any(job.state != "COMPLETE" for job in held):
            assert time.monotonic() - killed_at < 10, "chunk not taken over"
            time.sleep(0.02)
        poster.join(60)
        assert not poster.is_alive()
    finally:
        workers.stop()
        watcher.close()
    statuses = {str(o.status) for o in task.outcomes.values()}
    assert statuses <= {"updated", "unchanged"}, task.outcomes
    assert len(task.outcomes) == LPARS
    _assert_every_lpar_once(emu, "kill")


# -- in-process workers: failure semantics as in one process ---------------------

FAIL_UUIDS = []


def fail_listed(lpar, uuids):
    """A Subtask function failing the entries listed."""
    if lpar.uuid in uuids:
        raise ValueError("refused %s" % lpar.uuid[:8])
    return set_label(lpar, "inproc")


@pytest.fixture
def thread_worker(solo, fresh):
    board, db, emu = solo
    worker = Worker(board, db, emu.adapter(pool_maxsize=5), max_workers=5,
                    claim_expiry=2)
    runner = threading.Thread(target=worker.run)
    runner.start()
    yield worker
    worker.stop()
    runner.join(30)
    worker.close()


def test_d3_1_failures_continue_on_error(solo, thread_worker):
    board, db, emu = solo
    bad = sorted(emu.uuids())[:3]
    task = tx.FeedTask("coe", ewrap.FeedGetter(emu.adapter(), LPAR),
                       jobboard=board, persistence=db, chunk_size=30,
                       continue_on_error=True)
    task.add_functor_subtask(fail_listed, bad)
    result = task.execute()
    failed = {u for u, o in task.outcomes.items() if str(o.status) == "failed"}
    assert failed == set(bad)
    for uuid in bad:
        exc = task.outcomes[uuid].exception
        assert isinstance(exc, pvmex.RecordedError)
        assert str(exc) == "ValueError: refused %s" % uuid[:8]
    assert set(result["wrapper_task_rets"]) == set(emu.uuids()) - set(bad)


def test_d3_1_t5_10_one_failure_raised_as_itself(solo, thread_worker):
    board, db, emu = solo
    bad = sorted(emu.uuids())[:1]
    task = tx.FeedTask("one", ewrap.FeedGetter(emu.adapter(), LPAR),
                       jobboard=board, persistence=db, chunk_size=50)
    task.add_functor_subtask(fail_listed, bad)
    with pytest.raises(pvmex.RecordedError, match="refused") as err:
        task.execute()
    assert len(err.value.outcomes) == LPARS
    # Every other entry ran (T5.10 rev 2).
    assert sum(emu.updates().values()) == LPARS - 1


def test_d3_1_t5_10_several_failures(solo, thread_worker):
    board, db, emu = solo
    bad = sorted(emu.uuids())[:2]
    task = tx.FeedTask("two-bad", ewrap.FeedGetter(emu.adapter(), LPAR),
                       jobboard=board, persistence=db, chunk_size=50)
    task.add_functor_subtask(fail_listed, bad)
    with pytest.raises(pvmex.MultipleExceptionsInFeedTask):
        task.execute()


def test_d3_2_sigterm_finishes_the_chunk_in_hand(solo, fresh, tmp_path):
    """SIGTERM mid-chunk: the worker finishes (and records) the chunk it
    holds, claims nothing more and exits 0; another worker does the rest."""
    board, db, emu = solo
    emu.latency = 0.02
    extra = ["--chunks-at-once", "1"]
    first = WorkerProcesses(emu.url, board, db, 1, threads=4, extra=extra,
                            log_dir=str(tmp_path)).start()
    task = _feed_task(emu, board, db, "term", chunk_size=40, max_inflight=2)
    poster = threading.Thread(target=task.execute)
    poster.start()
    try:
        deadline = time.monotonic() + 30
        while sum(emu.updates().values()) < 5:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.005)
        assert first.stop(timeout=20) == [0]
        at_exit = sum(emu.updates().values())
        assert at_exit % 40 == 0 and 0 < at_exit < LPARS, at_exit
        with WorkerProcesses(emu.url, board, db, 1, threads=4,
                             log_dir=str(tmp_path)):
            poster.join(60)
    finally:
        first.stop()
    assert not poster.is_alive()
    assert {str(o.status) for o in task.outcomes.values()} == {"updated"}
    _assert_every_lpar_once(emu, "term")


def test_d3_2_worker_command_refuses_a_bad_board(emulator, monkeypatch,
                                                 capsys):
    from pypvm_tx import cli

    monkeypatch.setenv("PW_VAR", DEFAULT_PASSWORD)
    status = cli.main(["worker", "--jobboard", "zookeeper://x",
                       "--persistence", "memory://", "--url", emulator.url,
                       "--user", DEFAULT_USER, "--password-env", "PW_VAR"])
    assert status == 1
    assert "redis://" in capsys.readouterr().err


def test_demo_with_worker_processes_loses_no_update():
    """pypvm-tx demo --worker-processes 2: the same FeedTasks run by two
    worker processes on a local Redis; every entry changed once, every
    out-of-band rename kept, exit 0."""
    import json
    import os
    import subprocess
    import sys

    from tests.redis_server import redis_binary

    redis_binary()  # skip (or fail under CI) without redis-server
    proc = subprocess.run(
        [sys.executable, "-m", "pypvm_tx", "demo", "--worker-processes", "2",
         "--lpars", "40", "--vioses", "2", "--latency-ms", "2", "--json"],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["entries"] == result["updated"] == 42
    ver = result["verification"]
    assert ver["changed_exactly_once"] == 42 and ver["problems"] == []
    assert ver["out_of_band_changes"] > 0
    assert ver["out_of_band_survived"] == ver["out_of_band_changes"]
    assert result["post_execute"] == {
        "LogicalPartition": {"entries_reported": 40},
        "VirtualIOServer": {"entries_reported": 2}}


def test_demo_worker_processes_without_redis_says_so(monkeypatch, capsys):
    from pypvm_tx import cli

    monkeypatch.setenv("PATH", "/nonexistent")
    status = cli.main(["demo", "--worker-processes", "1", "--lpars", "2",
                       "--vioses", "0"])
    assert status == 2
    assert "redis-server" in capsys.readouterr().err


def test_d3_4_chunk_finished_without_outcomes_is_named_failed(
        solo, thread_worker, monkeypatch):
    """A chunk the worker could not run (here: its Subtasks fail to load)
    is consumed without outcomes; its entries end 'failed' with a
    WorkerLost message, never without an outcome."""
    from pypvm_tx.distributed import chunks

    def broken(spec):
        raise ImportError("no module named mycompany")

    monkeypatch.setattr(chunks.references, "load_subtask", broken)
    board, db, emu = solo
    task = tx.FeedTask("lost", ewrap.FeedGetter(emu.adapter(), LPAR),
                       jobboard=board, persistence=db, chunk_size=60,
                       continue_on_error=True)
    task.add_functor_subtask(set_label, "lost")
    task.execute()
    assert len(task.outcomes) == LPARS
    for outcome in task.outcomes.values():
        assert str(outcome.status) == "failed"
        assert "WorkerLost" in str(outcome.exception)
    assert emu.updates() == {}


def test_d3_1_fail_fast_stops_posting_after_a_failure(solo, thread_worker):
    """fail_fast: once a chunk reports a failure no further chunk is
    posted; the entries never posted end 'skipped' (T5.10 rev 2)."""
    board, db, emu = solo
    uuids = emu.uuids()
    task = tx.FeedTask("ff", ewrap.UUIDFeedGetter(emu.adapter(), LPAR, uuids),
                       jobboard=board, persistence=db, chunk_size=10,
                       max_inflight=1, fail_fast=True)
    task.add_functor_subtask(fail_listed, uuids[:1])
    with pytest.raises(pvmex.RecordedError, match="refused"):
        task.execute()
    statuses = [str(o.status) for o in task.outcomes.values()]
    assert statuses[:10] == ["failed"] + ["updated"] * 9
    assert statuses[10:] == ["skipped"] * (LPARS - 10)
    assert sum(emu.updates().values()) == 9


def test_d3_4_claims_last_while_extended_and_lapse_after(redis_server):
    """A claim made through ExpiringClaims outlives its expiry while the
    heartbeat runs, and lapses once it stops (a dead worker's case)."""
    from pypvm_tx.distributed.jobboard import ExpiringClaims

    board, _owned = open_jobboard(
        "%s/claims-test" % redis_server.url, None, name="claims")
    claims = ExpiringClaims(board, expiry=0.6)
    try:
        job = board.post("probe")
        claims.claim(job, "me")
        assert claims.held() == 1
        time.sleep(1.5)  # 2.5 expiries: alive only through the heartbeat
        assert board.find_owner(job) == "me"
        assert job.state == "CLAIMED"
        claims.close_claims()
        time.sleep(0.9)
        assert job.state == "UNCLAIMED"
        claims.claim(job, "other")  # claimable again
        claims.consume(job, "other")
        assert claims.held() == 0 and board.job_count == 0
    finally:
        claims.close_claims()
        board.close()
