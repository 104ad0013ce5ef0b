"""A distributed FeedTask on a Redis jobboard against one in one process.

Prints figures; it is not a test.  Workload (issue 11): the emulator in
its own process with N LPARs (default 2,000) and 50 ms latency on every
request; one FeedTask renames every LPAR (one functor Subtask, so every
entry is changed once).

* in-process: ``FeedTask`` with 40 threads (one feed GET, then one POST
  per entry);
* distributed: the same FeedTask given ``jobboard=`` (a real
  ``redis-server`` on 127.0.0.1) and ``persistence=`` (SQLite), run by
  1, 2 and 4 ``pypvm-tx worker`` processes of 10 threads each (each
  entry: a GET under its lock, then the POST).  The poster either GETs
  the feed (a ``FeedGetter``, as in-process) or is given the UUIDs (a
  ``UUIDFeedGetter``).

Each run is checked: every entry ``'updated'``, exactly one POST stored
per LPAR (the emulator's counters).  Printed: wall time, entries per
second, speed-up over one worker, the ratio to the in-process run, and
the per-chunk overhead: (wall of 1 worker x its threads - the REST time
of its entries) / chunks, where the REST time is N x (GET + POST round
trip) measured alone.

Then continuation: a feed of ``--continuation-entries`` (default 10,000)
with ``max_inflight=8``, the board sampled every 20 ms: the most jobs
seen on it (must be <= 8).

Then (``--kill-trials``, default 10) the kill test: 4 worker processes,
one of them SIGKILLed at a random moment mid-run (``--kill-entries``
LPARs each trial): every LPAR must end at its target with exactly one
POST (the emulator's counters), every outcome ``'updated'`` or
``'unchanged'``, and the chunks the dead worker held (their owners read
on the board just before the kill) finished by another worker; the
seconds from the kill to the last of them finishing are printed (target
< 10 s, with claims expiring after 5 s).

Usage::

    python benchmarks/bench_distributed.py [--entries 2000]
        [--latency 0.05] [--chunk-size 100] [--workers 1 2 4]
        [--continuation-entries 10000] [--skip-baseline]
        [--kill-trials 10] [--kill-entries 400]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from pypvm_tx import adapter as pvm_adapter  # noqa: E402
from pypvm_tx import transaction as tx  # noqa: E402
from pypvm_tx.distributed.jobboard import open_jobboard  # noqa: E402
from pypvm_tx.distributed.persistence import fetch_backend  # noqa: E402
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD, DEFAULT_USER,  # noqa: E402
                                       EmulatorControl)
from pypvm_tx.testing.workers import (WorkerProcesses, label_of,  # noqa: E402
                                      owned_jobs, set_label)
from pypvm_tx.wrappers import entry_wrapper as ewrap  # noqa: E402
from pypvm_tx.wrappers.logical_partition import LPAR  # noqa: E402
from tests.redis_server import RedisServer, redis_binary  # noqa: E402
from bench_http import start_emulator  # noqa: E402


def make_adapter(url, threads):
    port = int(url.rsplit(":", 1)[1])
    session = pvm_adapter.Session(
        "127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD, protocol="http",
        port=port, pool_maxsize=max(20, threads))
    return pvm_adapter.Adapter(session)


def check(task, control, n, label):
    statuses = [str(o.status) for o in task.outcomes.values()]
    if len(statuses) != n or set(statuses) != {"updated"}:
        raise SystemExit("%s: not every entry was updated: %s" % (
            label, {s: statuses.count(s) for s in set(statuses)}))
    updates = control.updates()
    if len(updates) != n or set(updates.values()) != {1}:
        raise SystemExit("%s: POSTs per LPAR not all 1: %s" % (
            label, sorted(set(updates.values()))))


def in_process(adapter, control, n, threads, label):
    control.reset_counters()
    task = tx.FeedTask(label, ewrap.FeedGetter(adapter, LPAR),
                       max_workers=threads)
    task.add_functor_subtask(set_label, label)
    start = time.perf_counter()
    task.execute()
    wall = time.perf_counter() - start
    check(task, control, n, label)
    return wall


def distributed(adapter, control, n, board, db, label, args, uuids=None,
                max_inflight=None, sampler=None):
    control.reset_counters()
    getter = (ewrap.UUIDFeedGetter(adapter, LPAR, uuids) if uuids
              else ewrap.FeedGetter(adapter, LPAR))
    task = tx.FeedTask(label, getter, jobboard=board, persistence=db,
                       chunk_size=args.chunk_size,
                       max_inflight=max_inflight or args.max_inflight)
    task.add_functor_subtask(set_label, label)
    start = time.perf_counter()
    if sampler is not None:
        sampler.start()
    try:
        task.execute()
    finally:
        if sampler is not None:
            sampler.stop()
    wall = time.perf_counter() - start
    check(task, control, n, label)
    return wall


class BoardSampler:
    """Samples the number of jobs on the board every 20 ms."""

    def __init__(self, board):
        self.board = board
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.02):
            self.most = max(self.most, self.board.job_count)
            self.samples += 1

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()


def kill_trial(adapter, control, board_url, db, args, work):
    """One kill trial (see the module documentation); a summary line."""
    rng = random.Random()
    n = args.kill_entries
    control.set_latency(args.latency)
    control.seed(lpars=n, vioses=0)
    control.reset_counters()
    uuids = [e["uuid"] for e in control.entries()]
    label = "kill%d" % rng.randrange(1 << 20)
    board, _owned = open_jobboard(board_url, None)
    with WorkerProcesses(control_url(control), board_url, db, 4,
                         threads=args.threads, log_dir=work) as workers:
        task = tx.FeedTask(label, ewrap.UUIDFeedGetter(adapter, LPAR, uuids),
                           jobboard=board_url, persistence=db,
                           chunk_size=max(10, n // 20), max_inflight=8,
                           continue_on_error=True)
        task.add_functor_subtask(set_label, label)
        poster = threading.Thread(target=task.execute)
        poster.start()
        want = rng.randrange(n // 10, n // 2)
        while sum(control.updates().values()) < want:
            time.sleep(0.01)
        victim = rng.randrange(4)
        held = owned_jobs(board, workers.procs[victim].pid)
        workers.kill(victim)
        killed = time.monotonic()
        taken_over = None
        while poster.is_alive():
            if taken_over is None and all(
                    job.state == "COMPLETE" for job in held):
                taken_over = time.monotonic() - killed
            time.sleep(0.02)
        poster.join()
    board.close()
    statuses = {str(o.status) for o in task.outcomes.values()}
    updates = control.updates()
    problems = []
    if len(task.outcomes) != n or not statuses <= {"updated", "unchanged"}:
        problems.append("outcomes %s" % sorted(statuses))
    if sorted(updates) != sorted(uuids) or set(updates.values()) != {1}:
        problems.append("POSTs per LPAR %s" % sorted(set(updates.values())))
    wrong = [u for u in uuids
             if control.get_value(u, "PartitionName") != label_of(u, label)]
    if wrong:
        problems.append("%d LPARs not at target" % len(wrong))
    if taken_over is None or taken_over >= 10:
        problems.append("dead worker's chunks took %s s" % taken_over)
    return ("killed worker %d after %d of %d POSTs holding %d chunks; its "
            "chunks finished %.1f s after the kill; %s" % (
                victim, want, n, len(held), taken_over or -1,
                "OK" if not problems else "FAILED: " + "; ".join(problems)))


def control_url(control):
    return control.base_url


def process_cpu(pid):
    """CPU seconds used so far by process ``pid`` (Linux /proc)."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def round_trips(adapter, samples=20):
    """Median GET and POST of one LPAR, alone on the idle emulator."""
    lpar = LPAR.get(adapter, uuid=LPAR.get(adapter)[0].uuid)
    gets, posts = [], []
    for _ in range(samples):
        start = time.perf_counter()
        lpar = LPAR.get(adapter, uuid=lpar.uuid)
        gets.append(time.perf_counter() - start)
        lpar.name = "rt"
        start = time.perf_counter()
        lpar = lpar.update()
        posts.append(time.perf_counter() - start)
    return statistics.median(gets), statistics.median(posts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--max-inflight", type=int, default=8)
    parser.add_argument("--threads", type=int, default=10,
                        help="threads per worker process")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4],
                        help="worker process counts to time (none: skip)")
    parser.add_argument("--baseline-threads", type=int, default=40)
    parser.add_argument("--continuation-entries", type=int, default=10000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--kill-trials", type=int, default=10)
    parser.add_argument("--kill-entries", type=int, default=400)
    args = parser.parse_args(argv)
    n = args.entries
    work = tempfile.mkdtemp(prefix="bench-distributed-")
    redis = RedisServer(redis_binary(), work, "bench-pw")
    redis.start()
    board_url = "redis://:bench-pw@127.0.0.1:%d/bench" % redis.port
    db = "sqlite:///%s/runs.db" % work
    fetch_backend(db)  # the schema, before the workers
    emu, url = start_emulator(n)
    try:
        control = EmulatorControl(url)
        adapter = make_adapter(url, args.baseline_threads)
        uuids = [e["uuid"] for e in control.entries()]
        control.set_latency(args.latency)
        get_rt, post_rt = round_trips(adapter)
        print("%d LPARs, %.0f ms latency; emulator pid %d; alone: GET %.1f "
              "ms, POST %.1f ms; chunk_size=%d, max_inflight=%d" % (
                  n, args.latency * 1000, emu.pid, get_rt * 1000,
                  post_rt * 1000, args.chunk_size, args.max_inflight))
        baseline = None
        if not args.skip_baseline:
            emu0, self0 = process_cpu(emu.pid), time.process_time()
            baseline = in_process(adapter, control, n, args.baseline_threads,
                                  "inproc")
            print("in-process FeedTask, %d threads: %.2f s (%.0f entries/s)"
                  "; CPU s: emulator %.1f, this process %.1f" % (
                      args.baseline_threads, baseline, n / baseline,
                      process_cpu(emu.pid) - emu0,
                      time.process_time() - self0))
        walls = {}
        for count in args.workers:
            with WorkerProcesses(url, board_url, db, count,
                                 threads=args.threads,
                                 log_dir=work) as workers:
                pids = [emu.pid] + [p.pid for p in workers.procs]
                for mode, given in (("feed GET", None), ("UUIDs", uuids)):
                    label = "w%d%s" % (count, "u" if given else "f")
                    cpu0 = [process_cpu(pid) for pid in pids]
                    poster0 = time.process_time()
                    wall = distributed(adapter, control, n, board_url, db,
                                       label, args, uuids=given)
                    cpu = [process_cpu(pid) - before
                           for pid, before in zip(pids, cpu0)]
                    cpu_line = ("; CPU s: emulator %.1f, workers %s, this "
                                "process %.1f" % (
                                    cpu[0], "+".join("%.1f" % c
                                                     for c in cpu[1:]),
                                    time.process_time() - poster0))
                    walls[count, mode] = wall
                    line = ("%d worker process(es) x %d threads, poster "
                            "takes %-8s: %.2f s (%.0f entries/s)" % (
                                count, args.threads, mode, wall, n / wall))
                    one = walls.get((1, mode))
                    if one is not None and count != 1:
                        line += ", %.2fx one worker" % (one / wall)
                    if baseline:
                        line += ", %.2fx in-process" % (baseline / wall)
                    print(line + cpu_line)
        first = args.workers[0] if args.workers else None
        chunks = -(-n // args.chunk_size)
        rest = n * (get_rt + post_rt) / args.threads
        for mode in ("feed GET", "UUIDs") if first == 1 else ():
            wall = walls[first, mode]
            print("per-chunk overhead (%s, %d worker): (%.2f s - %.2f s of "
                  "REST calls) / %d chunks = %.0f ms" % (
                      mode, first, wall, rest, chunks,
                      (wall - rest) * 1000 / chunks))
        if args.continuation_entries:
            control.set_latency(0.0)
            control.seed(lpars=args.continuation_entries, vioses=0)
            big = [e["uuid"] for e in control.entries()]
            board, _owned = open_jobboard(board_url, None)
            sampler = BoardSampler(board)
            with WorkerProcesses(url, board_url, db, max(args.workers or [4]),
                                 threads=args.threads, log_dir=work):
                wall = distributed(adapter, control, len(big), board_url,
                                   db, "cont", args, uuids=big,
                                   max_inflight=8, sampler=sampler)
            board.close()
            print("continuation: %d entries, max_inflight=8: %.1f s, at most "
                  "%d jobs on the board (%d samples)" % (
                      len(big), wall, sampler.most, sampler.samples))
        for trial in range(args.kill_trials):
            print("kill trial %d: %s" % (trial + 1, kill_trial(
                adapter, control, board_url, db, args, work)))
        adapter.session.logoff()
    finally:
        emu.terminate()
        emu.wait(30)
        redis.kill()
    print("worker logs in", work)


if __name__ == "__main__":
    main()
