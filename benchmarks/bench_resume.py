"""Resumable FeedTask: the kill test at many kill points, and what
recording a run costs.

Prints figures; it is not a test.

(a) kill test (issue 10 scope 5): the emulator (in this process, 200
    LPARs, 20 ms latency) and, per trial, a FeedTask in a child process
    SIGKILLed at a random moment -- in its start or feed GET, anywhere in
    the fan-out, or after its last POST -- then resumed in a new process
    to the end and run once more (finished).  A trial passes when no
    child ran an entry its run's record held as done when it started,
    every LPAR holds its target, the out-of-band changes made after the kill
    are kept, every LPAR was POSTed exactly once, the result covers every
    entry, the post-execute task ran once (again only if the kill cut it
    off) and the finished run made no GET and no POST
    (pypvm_tx.testing.kill_resume).  Target: every trial passes (20/20).
(b) overhead on W2 (bench_http.py's shape: the emulator in its own
    process, 10 ms latency, N = 500 LPARs, max_workers = 10, one rename
    per entry): wall time of the FeedTask without persistence and with
    ``persistence='sqlite:///<file>'`` (a new run each time, the URL
    opened by the FeedTask), alternating (which goes first alternates
    too), median of ``--repeat`` runs each.  Target: overhead at most
    10%.

Usage::

    python benchmarks/bench_resume.py [--trials 20] [--kills 1]
        [--entries 500] [--workers 10] [--latency 0.01] [--repeat 5]
        [--skip-kill] [--skip-overhead]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_http import run_feed_task, start_emulator  # noqa: E402

from pypvm_tx import adapter as pvm_adapter  # noqa: E402
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD,  # noqa: E402
                                       DEFAULT_USER, Emulator,
                                       EmulatorControl)
from pypvm_tx.testing.kill_resume import KillResume  # noqa: E402


def kill_test(trials, kills, seed, workdir):
    """(a): ``trials`` trials of ``kills`` random kills each."""
    rng = random.Random(seed)
    emu = Emulator(lpars=200, vioses=0, seed=11)
    passed, totals = 0, dict(early=0, mid=0, late=0, finished=0, cut=0)
    with emu:
        emu.latency = 0.02
        runner = KillResume(emu.url, workdir, lpars=200, workers=10,
                            rng=rng, first_in_fanout=False)
        for index in range(trials):
            start = time.perf_counter()
            trial = runner.trial(index, kills)
            passed += trial.passed
            totals["early"] += trial.early_kills
            totals["mid"] += trial.mid_run_kills
            totals["late"] += trial.late_kills
            totals["finished"] += trial.finished_early
            totals["cut"] += trial.post_exec_cut
            print("    trial %2d: %s in %.1f s; kills: %d before any POST, "
                  "%d mid fan-out, %d after the last POST%s%s" % (
                      index + 1, "pass" if trial.passed else "FAIL",
                      time.perf_counter() - start, trial.early_kills,
                      trial.mid_run_kills, trial.late_kills,
                      "; finished before the kill" if trial.finished_early
                      else "",
                      "" if trial.passed else ": %s" % trial.problems))
    print("    passed %d/%d (seed %d); kill points: %d before any POST, %d "
          "mid fan-out, %d after the last POST (%d cut the post-execute "
          "task off), %d runs finished before their kill" % (
              passed, trials, seed, totals["early"], totals["mid"],
              totals["late"], totals["cut"], totals["finished"]))


def overhead(entries, workers, latency, repeat, workdir):
    """(b): W2 walls without and with SQLite persistence."""
    proc, url = start_emulator(entries)
    try:
        control = EmulatorControl(url)
        session = pvm_adapter.Session(
            "127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD, protocol="http",
            port=int(url.rsplit(":", 1)[1]), pool_maxsize=max(20, workers))
        adapter = pvm_adapter.Adapter(session)
        db = "sqlite:///" + os.path.join(workdir, "overhead.db")
        # Warm-up: connections, and the SQLAlchemy import (once a process).
        run_feed_task(adapter, workers, "warm")
        run_feed_task(adapter, workers, "warmp", persistence=db,
                      run_id="warm")
        control.set_latency(latency)
        plain, recorded, cpu = [], [], {0: [], 1: []}
        for rep in range(repeat):
            # Alternate which goes first, so drift hurts neither.
            for which in ((0, 1) if rep % 2 == 0 else (1, 0)):
                cpu0 = time.process_time()
                if which == 0:
                    plain.append(run_feed_task(adapter, workers,
                                               "p%d" % rep))
                else:
                    recorded.append(run_feed_task(
                        adapter, workers, "r%d" % rep, persistence=db,
                        run_id="run-%d" % rep))
                cpu[which].append(time.process_time() - cpu0)
            print("    run %d: %.3f s without, %.3f s with SQLite (%+.1f%%); "
                  "client CPU %.3f / %.3f s" % (
                      rep + 1, plain[-1], recorded[-1],
                      (recorded[-1] / plain[-1] - 1) * 100, cpu[0][-1],
                      cpu[1][-1]))
        base, with_db = statistics.median(plain), statistics.median(recorded)
        pairs = [r / p - 1 for p, r in zip(plain, recorded)]
        print("    median wall: %.3f s without persistence, %.3f s with "
              "SQLite: overhead %.1f%% (target <= 10%%)" % (
                  base, with_db, (with_db / base - 1) * 100))
        print("    median of the %d pairs' overheads %.1f%%; best %.3f / "
              "%.3f s: %.1f%%; median client CPU %.3f / %.3f s (%+.1f%%)"
              % (len(pairs), statistics.median(pairs) * 100, min(plain),
                 min(recorded), (min(recorded) / min(plain) - 1) * 100,
                 statistics.median(cpu[0]), statistics.median(cpu[1]),
                 (statistics.median(cpu[1]) / statistics.median(cpu[0])
                  - 1) * 100))
        session.logoff()
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--kills", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.010)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as workdir:
        if not args.skip_kill:
            print("(a) kill test: %d trials x %d random kill(s), 200 LPARs, "
                  "20 ms latency" % (args.trials, args.kills))
            kill_test(args.trials, args.kills, seed, workdir)
        if not args.skip_overhead:
            print("(b) W2 with and without SQLite persistence: N=%d, "
                  "max_workers=%d, %.0f ms latency" % (
                      args.entries, args.workers, args.latency * 1000))
            overhead(args.entries, args.workers, args.latency, args.repeat,
                     workdir)


if __name__ == "__main__":
    main()
