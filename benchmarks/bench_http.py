"""FeedTask over real HTTP against the emulator in another process.

Prints figures; it is not a test.  Workload (issue 3): a FeedTask over
N LPARs (default 500), ``max_workers=10``, one functor subtask that
renames every LPAR, so every entry costs one POST after the one feed GET.
The emulator generates LPARs of the captures' size (about 11 KB each).

(a) no added latency: milliseconds per entry (wall time / N) and the
    connections the emulator saw opened during the run; also the CPU
    time per entry of the client and of the emulator process.
    Target: <= 1.0 ms per entry.
(b) 10 ms emulator latency: wall time against the ideal, one feed GET
    plus ceil(N / workers) POST round trips, as an efficiency ratio
    (ideal / wall).  Target: >= 0.9.  The ideal is given two ways:
    - bare: every round trip costs exactly the latency;
    - measured: the round trips are timed alone on the idle emulator at
      that latency (median of several): one feed GET (read, parsed and
      wrapped, as the FeedTask needs it) and one POST (update()).
(c) the library's own share: the same FeedTask with the feed GET and the
    POSTs answered from memory (bodies the emulator sent), no socket: the
    client CPU per entry of every layer above the HTTP exchange (Session,
    Response, parsing, wrapping, serialising, locks, the fan-out); best
    and median of the runs.  (a)'s client CPU minus this is roughly what
    urllib3, ``http.client`` and the sockets cost.
(d) the HTTP floor: as many POSTs of an LPAR's XML, from as many
    threads, sent as bare ``pool.urlopen`` calls on the Session's own
    urllib3 pool (no Session, no parsing, no serialising, no FeedTask),
    each reply read whole: client CPU per POST.  A client built on
    urllib3 and ``http.client`` spends at least this per request on this
    machine; (a)'s client CPU is roughly (c) + (d).

Usage::

    python benchmarks/bench_http.py [--entries 500] [--workers 10]
        [--latency 0.01] [--repeat 3]
"""

import argparse
from concurrent import futures
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


class _FromMemory(pvm_adapter.Transport):
    """Answers a feed GET with ``feed`` and a POST with ``entry``; logon
    and logoff go to the real transport."""

    def __init__(self, real, feed, entry):
        self.real, self.feed, self.entry = real, feed, entry

    def send(self, method, target, body, headers, timeout):
        if method not in ("GET", "POST"):
            return self.real.send(method, target, body, headers, timeout)
        raw = self.feed if method == "GET" else self.entry
        return raw._replace(headers=dict(raw.headers))

    def close(self):
        self.real.close()


def own_share(adapter, workers, repeat):
    """(c): client CPU ms/entry of FeedTasks whose exchanges are answered
    from memory, one per run."""
    session = adapter.session
    lpar = LPAR.get(adapter)[0]
    real = session._transport  # the feed and entry bodies, as they came
    feed = real.send("GET", pvm_adapter.build_path("uom", LPAR.schema_type),
                     None, session._headers, 60)
    entry = real.send("GET", lpar.href.split(session.dest, 1)[1], None,
                      session._headers, 60)
    logon_transport = pvm_adapter.Urllib3Transport(session.dest, False, 1)
    canned = pvm_adapter.Session(
        session.host, DEFAULT_USER, DEFAULT_PASSWORD, protocol="http",
        port=session.port,
        transport=_FromMemory(logon_transport, feed, entry))
    canned_adapter = pvm_adapter.Adapter(canned)
    n = len(LPAR.wrap(canned_adapter.read(LPAR.schema_type)))
    cpu = []
    for rep in range(repeat + 1):
        start = time.process_time()
        run_feed_task(canned_adapter, workers, "c%d" % rep)
        cpu.append((time.process_time() - start) * 1000 / n)
    canned.logoff()
    return cpu[1:]  # the first run warms up


def http_floor(adapter, n, workers, repeat):
    """(d): client CPU ms per bare ``pool.urlopen`` POST, ``n`` of them
    from ``workers`` threads, one figure per run."""
    session = adapter.session
    lpar = LPAR.get(adapter)[0]
    path = lpar.href.split(session.dest, 1)[1]
    body = lpar.toxmlstring()
    headers = dict(session._headers)
    headers["Content-Type"] = "application/vnd.ibm.powervm.uom+xml; " \
        "type=LogicalPartition"
    pool = session._transport.pool()

    def post(_):
        resp = pool.urlopen("POST", path, body=body, headers=headers,
                            retries=False, redirect=False)
        if resp.status != 200:
            raise SystemExit("a bare POST answered %d" % resp.status)

    cpu = []
    with futures.ThreadPoolExecutor(workers) as pool_of_threads:
        for _ in range(repeat + 1):
            start = time.process_time()
            list(pool_of_threads.map(post, range(n)))
            cpu.append((time.process_time() - start) * 1000 / n)
    return cpu[1:]  # the first run warms up


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
        results, client_cpu = [], []
        for rep in range(args.repeat):
            control.reset_counters()
            server0, client0 = process_cpu(proc.pid), time.process_time()
            wall = run_feed_task(adapter, workers, "a%d" % rep)
            client = time.process_time() - client0
            server1 = process_cpu(proc.pid)
            counters = control.counters()
            results.append(wall)
            client_cpu.append(client * 1000 / n)
            server = ("%.2f" % ((server1 - server0) * 1000 / n)
                      if server0 is not None else "?")
            print("    run %d: %.3f s wall, %.2f ms/entry, %d requests, %d "
                  "new connections; CPU ms/entry: client %.2f, emulator %s"
                  % (rep + 1, wall, wall * 1000 / n, counters["total"],
                     counters["connections_opened"], client * 1000 / n,
                     server))
        best = min(results)
        print("    best %.2f ms/entry, median %.2f ms/entry (target <= 1.0); "
              "client CPU median %.2f ms/entry"
              % (best * 1000 / n, statistics.median(results) * 1000 / n,
                 statistics.median(client_cpu)))

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
        control.set_latency(0)
        cpu = own_share(adapter, workers, args.repeat)
        print("(c) the same FeedTask, exchanges answered from memory: client "
              "CPU best %.3f, median %.3f ms/entry" % (
                  min(cpu), statistics.median(cpu)))
        cpu = http_floor(adapter, n, workers, args.repeat)
        print("(d) the HTTP floor, bare pool.urlopen POSTs from %d threads: "
              "client CPU best %.3f, median %.3f ms/request" % (
                  workers, min(cpu), statistics.median(cpu)))
        session.logoff()
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
