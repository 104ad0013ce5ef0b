"""Several agent processes changing the same LPARs, per lock provider.

Prints figures; it is not a test.  Workload (issue 10 scope 3): the
emulator in its own process with 10 ms latency per request; 4 agent
processes of 10 threads each; every thread runs ``entry_transaction``s
that add one to a counter (``DesiredMemory``) of an LPAR drawn at random
from the same 20.  The agents are ``agent_procs.py`` run as processes;
they log on and connect to their lock backend first, then start
together.  One row per lock provider:

* ``inprocess``: each process its own locks (threads of one process are
  serialised, processes are not: only the etag check keeps them apart);
* ``file``: ``FileLockProvider`` on one lock directory shared by the
  processes (one host);
* ``tooz``: ``ToozLockProvider`` on a real ``redis-server`` started for
  the run on 127.0.0.1 (skipped, with how to install it, without the
  binary).

Per row: transactions done and failed, the counters' growth, lost
increments (counted by the agents, missing from the counters; must be
0), increments beyond those counted (must be 0), the POSTs the emulator
answered 412, the redrives the agents counted, and the wall time from
the start to the last transaction.  Then the 412s of each shared lock
as a fraction of the per-process figure (target: at most 1/3).

Usage::

    python benchmarks/bench_processes.py [--processes 4] [--threads 10]
        [--transactions 100] [--lpars 20] [--latency 0.01]
        [--providers inprocess,file,tooz]

``--transactions`` is per thread.  Exits 1 if any increment was lost or
doubled or any transaction failed.
"""

import argparse
import os
import shutil
import sys
import tempfile

import agent_procs
from bench_http import start_emulator

from pypvm_tx.testing.emulator.cli import BoundedArg

# The Redis helper of the tests (the repository root on the path).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from tests.redis_server import INSTALL_HINT, RedisServer  # noqa: E402

HEADER = ("provider", "done", "failed", "sum", "lost", "extra", "412s",
          "redrives", "wall s", "tx/s")


def run_provider(kind, url, uuids, args):
    """One row: the run's figures, or None when it cannot run here."""
    sizes = dict(processes=args.processes, threads=args.threads,
                 transactions=args.transactions)
    if kind == "inprocess":
        return agent_procs.run_agents(url, uuids, kind, **sizes)
    with tempfile.TemporaryDirectory(prefix="bench-procs-") as tmp:
        if kind == "file":
            return agent_procs.run_agents(url, uuids, kind, tmp, **sizes)
        binary = shutil.which("redis-server")
        if binary is None:
            print("tooz: skipped: " + INSTALL_HINT)
            return None
        server = RedisServer(binary, tmp)
        server.start()
        try:
            return agent_procs.run_agents(url, uuids, kind, server.url,
                                          **sizes)
        finally:
            server.kill()


def print_row(result):
    values = (result.provider, result.done, result.failed,
              result.counter_sum, result.lost, result.extra,
              result.conflicts, result.redrives, "%.2f" % result.wall,
              "%.0f" % (result.done / result.wall))
    print("  ".join("%10s" % v for v in values))
    for error in result.errors:
        print("    error: " + error)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    count = BoundedArg(int, 1)
    parser.add_argument("--processes", type=count, default=4)
    parser.add_argument("--threads", type=count, default=10)
    parser.add_argument("--transactions", type=count, default=100,
                        help="per thread (default %(default)s)")
    parser.add_argument("--lpars", type=count, default=20)
    parser.add_argument("--latency", type=BoundedArg(float, 0),
                        default=0.010)
    parser.add_argument("--providers", default=",".join(
        agent_procs.PROVIDERS))
    args = parser.parse_args(argv)
    kinds = args.providers.split(",")
    for kind in kinds:
        if kind not in agent_procs.PROVIDERS:
            parser.error("unknown provider %r (one of %s)" % (
                kind, ", ".join(agent_procs.PROVIDERS)))

    proc, url = start_emulator(args.lpars)
    try:
        agent_procs.EmulatorControl(url).set_latency(args.latency)
        uuids = agent_procs.lpar_uuids(url, args.lpars)
        print("%d agent processes x %d threads x %d transactions on %d "
              "LPARs; emulator in process %d, %.0f ms latency" % (
                  args.processes, args.threads, args.transactions,
                  args.lpars, proc.pid, args.latency * 1000))
        print("  ".join("%10s" % h for h in HEADER))
        results = {}
        for kind in kinds:
            result = run_provider(kind, url, uuids, args)
            if result is not None:
                results[kind] = result
                print_row(result)
    finally:
        proc.terminate()
        proc.wait(30)

    base = results.get("inprocess")
    for kind in ("file", "tooz"):
        if base is not None and kind in results:
            shared = results[kind].conflicts
            ratio = shared / base.conflicts if base.conflicts else float(
                "nan")
            print("412s %s / inprocess: %d / %d = %.3f (target <= 0.333)"
                  % (kind, shared, base.conflicts, ratio))
    broken = [r.provider for r in results.values()
              if r.lost or r.extra or r.failed]
    if broken:
        print("FAILED: lost, doubled or failed increments with: "
              + ", ".join(broken))
        return 1
    print("no increment lost or doubled with any provider")
    return 0


if __name__ == "__main__":
    sys.exit(main())
