"""FeedTask over real HTTP against the emulator in another process.

Prints figures; it is not a test.  Workload (issue 3): a FeedTask over
N LPARs (default 500), ``max_workers=10``, one functor subtask that
renames every LPAR, so every entry costs one POST after the one feed GET.
The emulator generates LPARs of the captures' size (about 11 KB each).

(a) no added latency: milliseconds per entry (wall time / N) and the
    connections the emulator saw opened during the run; also the CPU
    time per entry of the client and of the emulator process.
    Target: <= 1.5 ms per entry.
(b) 10 ms emulator latency: wall time against the ideal, one feed GET
    plus ceil(N / workers) POST round trips, as an efficiency ratio
    (ideal / wall).  Target: >= 0.9.  The ideal is given two ways:
    - bare: every round trip costs exactly the latency;
    - measured: the round trips are timed alone on the idle emulator at
      that latency (median of several): one feed GET (read, parsed and
      wrapped, as the FeedTask needs it) and one POST (update()).

Usage::

    python benchmarks/bench_http.py [--entries 500] [--workers 10]
        [--latency 0.01] [--repeat 3]
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import time

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import transaction as tx
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD, DEFAULT_USER,
                                       EmulatorControl)
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR


def start_emulator(entries):
    """The emulator in its own process; returns (process, base URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pypvm_tx.testing.emulator", "--port", "0",
         "--lpars", str(entries), "--vioses", "0"],
        stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("the emulator did not start")
    return proc, url


def rename(lpar, suffix):
    """The one subtask: a change to every entry, so every entry POSTs."""
    lpar.name = (lpar.name or "lpar")[:40] + suffix
    return True


def run_feed_task(adapter, workers, label, **options):
    """One W2 FeedTask (``options`` go to FeedTask); its wall time."""
    getter = ewrap.FeedGetter(adapter, LPAR)
    task = tx.FeedTask("bench_" + label, getter, max_workers=workers,
                       **options)
    task.add_functor_subtask(rename, "-" + label)
    start = time.perf_counter()
    task.execute()
    wall = time.perf_counter() - start
    statuses = [o.status for o in task.outcomes.values()]
    if statuses.count("updated") != len(statuses):
        raise SystemExit("not every entry was updated: %s" % statuses)
    return wall


def post_round_trip(adapter, samples=30):
    """Median wall time of one POST (update()) on the idle emulator."""
    lpar = LPAR.get(adapter)[0]
    times = []
    for _ in range(samples):
        lpar.name = "rt"
        start = time.perf_counter()
        lpar = lpar.update()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def feed_round_trip(adapter, samples=3):
    """Median wall time of one feed GET, parsed and wrapped."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        LPAR.get(adapter)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_cpu(pid):
    """CPU seconds used so far by process ``pid`` (Linux), else None."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.010)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n, workers = args.entries, args.workers

    proc, url = start_emulator(n)
    try:
        control = EmulatorControl(url)
        port = int(url.rsplit(":", 1)[1])
        session = pvm_adapter.Session(
            "127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD, protocol="http",
            port=port, pool_maxsize=max(20, workers))
        adapter = pvm_adapter.Adapter(session)
        control.reset_counters()
        run_feed_task(adapter, workers, "warmup")
        # The first run opens the pool's connections; later runs reuse
        # them (their counts below include the control client's own).
        opened = control.counters()["connections_opened"]

        print("FeedTask over %d LPARs, max_workers=%d, emulator in process "
              "%d (%s)" % (n, workers, proc.pid, url))
        print("first run (warm-up): %d new connections for %d workers, "
              "plus the logon's, reused" % (opened - 1, workers))
        print("(a) no added latency")
        results = []
        for rep in range(args.repeat):
            control.reset_counters()
            server0, client0 = process_cpu(proc.pid), time.process_time()
            wall = run_feed_task(adapter, workers, "a%d" % rep)
            client = time.process_time() - client0
            server1 = process_cpu(proc.pid)
            counters = control.counters()
            results.append(wall)
            server = ("%.2f" % ((server1 - server0) * 1000 / n)
                      if server0 is not None else "?")
            print("    run %d: %.3f s wall, %.2f ms/entry, %d requests, %d "
                  "new connections; CPU ms/entry: client %.2f, emulator %s"
                  % (rep + 1, wall, wall * 1000 / n, counters["total"],
                     counters["connections_opened"], client * 1000 / n,
                     server))
        best = min(results)
        print("    best %.2f ms/entry, median %.2f ms/entry (target <= 1.5)"
              % (best * 1000 / n, statistics.median(results) * 1000 / n))

        control.set_latency(args.latency)
        rtt = post_round_trip(adapter)
        feed_rtt = feed_round_trip(adapter)
        rounds = math.ceil(n / workers)
        bare_ideal = (1 + rounds) * args.latency
        measured_ideal = feed_rtt + rounds * rtt
        print("(b) %.0f ms emulator latency; alone on the idle emulator: "
              "feed GET %.1f ms, POST %.2f ms" % (
                  args.latency * 1000, feed_rtt * 1000, rtt * 1000))
        print("    ideal: 1 + %d round trips = %.3f s (bare), %.3f s "
              "(measured)" % (rounds, bare_ideal, measured_ideal))
        results = []
        for rep in range(args.repeat):
            control.reset_counters()
            wall = run_feed_task(adapter, workers, "b%d" % rep)
            counters = control.counters()
            results.append(wall)
            print("    run %d: %.3f s wall, efficiency %.3f (bare) / %.3f "
                  "(measured), %d new connections" % (
                      rep + 1, wall, bare_ideal / wall,
                      measured_ideal / wall,
                      counters["connections_opened"]))
        best = min(results)
        med = statistics.median(results)
        print("    best efficiency %.3f (bare) / %.3f (measured); median "
              "%.3f / %.3f (target >= 0.9)" % (
                  bare_ideal / best, measured_ideal / best,
                  bare_ideal / med, measured_ideal / med))
        session.logoff()
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
