"""Several agent processes incrementing counters on the same LPARs.

Shared by ``bench_processes.py`` and ``tests/functional/
test_agent_processes.py`` (issue 10 scope 3), so that the benchmark and
its small functional version run the same code.

The counter is each LPAR's ``DesiredMemory`` (``lpar.mem_config.desired``,
an integer the wrappers expose and the emulator stores): an agent
transaction reads it and writes it back plus one, under
``entry_transaction``.  An increment that reached the console is counted
by the agent that made it; when the run is over, the counters' growth
on the emulator must equal those counts: a smaller growth is a lost
increment, a larger one an increment applied twice.

Run as a script, this module is one agent process (see
:func:`agent_main`); :func:`run_agents` starts several and gathers their
reports.  Lock providers are named ``inprocess`` (each process its own
locks), ``file`` (one lock directory shared by the processes) and
``tooz`` (a tooz URL, e.g. a Redis server).
"""

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from typing import Dict, List, Optional, Sequence

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import locks
from pypvm_tx import transaction as tx
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD, DEFAULT_USER,
                                       EmulatorControl)
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR

#: The counter: where the emulator keeps ``lpar.mem_config.desired``.
COUNTER_PATH = "PartitionMemoryConfiguration/DesiredMemory"

PROVIDERS = ("inprocess", "file", "tooz")

#: Seconds an agent may take to log on and get ready.
READY_TIMEOUT = 60.0


# ------------------------------------------------------------ one agent

def make_provider(kind: str, where: str = "") -> locks.LockProvider:
    """The lock provider ``kind`` (one of :data:`PROVIDERS`); ``where`` is
    the lock directory (``file``) or the tooz URL (``tooz``)."""
    if kind == "inprocess":
        return locks.InProcessLockProvider()
    if kind == "file":
        return locks.FileLockProvider(where)
    if kind == "tooz":
        return locks.ToozLockProvider(where, acquire_timeout=30)
    raise ValueError("unknown lock provider %r (one of %s)"
                     % (kind, ", ".join(PROVIDERS)))


class _Tally:
    """What one agent's threads did (guarded by a mutex)."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.done = 0
        self.failed = 0
        self.calls = 0
        self.errors: List[str] = []
        self.increments: Dict[str, int] = {}

    def success(self, uuid: str, calls: int) -> None:
        with self.mutex:
            self.done += 1
            self.calls += calls
            self.increments[uuid] = self.increments.get(uuid, 0) + 1

    def failure(self, uuid: str, calls: int, exc: BaseException) -> None:
        with self.mutex:
            self.failed += 1
            self.calls += calls
            if len(self.errors) < 5:
                self.errors.append("%s: %s: %s" % (uuid, type(exc).__name__,
                                                   exc))


def _increment(lpar: LPAR, calls: List[int]) -> None:
    """The transaction body: the counter plus one, POSTed."""
    calls[0] += 1
    mem = lpar.mem_config
    mem.desired = (mem.desired or 0) + 1
    lpar.update()


def _agent_thread(adapter, provider, uuids: Sequence[str], count: int,
                  seed: int, deadline: float, tally: _Tally) -> None:
    increment = tx.entry_transaction(lock_provider=provider,
                                     deadline=deadline)(_increment)
    rng = random.Random(seed)
    for _ in range(count):
        uuid = rng.choice(uuids)
        calls = [0]
        try:
            increment(ewrap.EntryWrapperGetter(adapter, LPAR, uuid), calls)
        except Exception as exc:  # reported, never hidden
            tally.failure(uuid, calls[0], exc)
        else:
            tally.success(uuid, calls[0])


def _session(url: str, threads: int) -> pvm_adapter.Session:
    parts = urllib.parse.urlsplit(url)
    return pvm_adapter.Session(
        parts.hostname, DEFAULT_USER, DEFAULT_PASSWORD,
        protocol=parts.scheme, port=parts.port, pool_maxsize=threads + 2)


def agent_main(argv: Optional[Sequence[str]] = None) -> None:
    """One agent process: log on, say ``ready``, wait for a line on
    stdin, run ``--threads`` threads of ``--transactions`` increments
    each on LPARs drawn at random from ``--uuids``, then print a JSON
    report on one line."""
    parser = argparse.ArgumentParser(description="one agent process")
    parser.add_argument("--url", required=True)
    parser.add_argument("--uuids", required=True, help="comma-separated")
    parser.add_argument("--provider", choices=PROVIDERS, required=True)
    parser.add_argument("--where", default="")
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--transactions", type=int, default=10,
                        help="per thread")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=120.0)
    args = parser.parse_args(argv)
    uuids = args.uuids.split(",")

    session = _session(args.url, args.threads)
    adapter = pvm_adapter.Adapter(session)
    provider = make_provider(args.provider, args.where)
    # Connect to the lock backend before the start line: the run times
    # the transactions, not the set-up.
    with provider.lock(uuids[0], timeout=READY_TIMEOUT):
        pass
    print("ready", flush=True)
    sys.stdin.readline()

    tally = _Tally()
    threads = [threading.Thread(
        target=_agent_thread,
        args=(adapter, provider, uuids, args.transactions,
              args.seed * 1000 + index, args.deadline, tally))
        for index in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = time.time()
    print(json.dumps({"done": tally.done, "failed": tally.failed,
                      "calls": tally.calls, "errors": tally.errors,
                      "increments": tally.increments,
                      "finished": finished}), flush=True)
    close = getattr(provider, "close", None)
    if close is not None:
        close()
    session.logoff()


# ------------------------------------------------------- several agents

@dataclasses.dataclass
class RunResult:
    """The figures of one :func:`run_agents` run."""

    provider: str
    #: Transactions that returned (their increment reached the console).
    done: int
    #: Transactions that raised (``errors`` has the first few).
    failed: int
    #: The growth of the counters on the emulator, summed over the LPARs.
    counter_sum: int
    #: Increments counted by the agents but missing from the counters,
    #: summed over the LPARs.
    lost: int
    #: Counter growth beyond the increments counted (applied twice, or
    #: applied by a transaction that reported a failure).
    extra: int
    #: POSTs the emulator answered 412 (etag mismatch) during the run.
    conflicts: int
    #: Calls of the transaction body beyond one per transaction, as the
    #: agents counted them (each follows a 412).
    redrives: int
    #: Seconds from the start line to the last agent's last transaction.
    wall: float
    errors: List[str]


def lpar_uuids(url: str, count: int) -> List[str]:
    """The UUIDs of the first ``count`` LPARs of the emulator at ``url``."""
    entries = EmulatorControl(url).entries()
    uuids = sorted(entry["uuid"] for entry in entries)
    if len(uuids) < count:
        raise ValueError("the emulator has %d LPARs, %d wanted"
                         % (len(uuids), count))
    return uuids[:count]


def counters(control: EmulatorControl, uuids: Sequence[str]
             ) -> Dict[str, int]:
    """Each LPAR's counter value on the emulator."""
    return {uuid: int(control.get_value(uuid, COUNTER_PATH))
            for uuid in uuids}


def _start_agent(url, uuids, provider, where, threads, transactions, seed,
                 deadline, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--url", url,
         "--uuids", ",".join(uuids), "--provider", provider, "--where",
         where, "--threads", str(threads), "--transactions",
         str(transactions), "--seed", str(seed), "--deadline",
         str(deadline)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
        text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def _read_line(proc: subprocess.Popen, what: str, log) -> str:
    line = proc.stdout.readline() if proc.stdout else ""
    if not line:
        log.seek(0)
        raise RuntimeError("agent process %d ended before %s (exit %s); its "
                           "stderr:\n%s" % (proc.pid, what, proc.poll(),
                                            log.read()[-3000:]))
    return line


def run_agents(url: str, uuids: Sequence[str], provider: str,
               where: str = "", processes: int = 4, threads: int = 10,
               transactions: int = 10, deadline: float = 120.0,
               timeout: float = 600.0) -> RunResult:
    """Run ``processes`` agent processes of ``threads`` threads, each
    thread making ``transactions`` increments, against the emulator at
    ``url``; every process uses lock provider ``provider`` (``where``:
    its lock directory or URL).  Every agent is killed after
    ``timeout`` seconds.  Returns the run's figures."""
    control = EmulatorControl(url)
    before = counters(control, uuids)
    with tempfile.TemporaryFile("w+") as log:
        procs = [_start_agent(url, uuids, provider, where, threads,
                              transactions, index + 1, deadline, log)
                 for index in range(processes)]
        watchdog = threading.Timer(timeout, lambda: [p.kill() for p in procs])
        watchdog.start()
        try:
            for proc in procs:
                _read_line(proc, "it was ready", log)
            conflicts0 = _count_412(control)
            started = time.time()
            for proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.close()
            reports = [json.loads(_read_line(proc, "its report", log))
                       for proc in procs]
            for proc in procs:
                proc.wait()
        finally:
            watchdog.cancel()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    conflicts = _count_412(control) - conflicts0
    growth = {uuid: value - before[uuid]
              for uuid, value in counters(control, uuids).items()}
    counted: Dict[str, int] = {}
    for report in reports:
        for uuid, n in report["increments"].items():
            counted[uuid] = counted.get(uuid, 0) + n
    done = sum(r["done"] for r in reports)
    failed = sum(r["failed"] for r in reports)
    return RunResult(
        provider=provider, done=done, failed=failed,
        counter_sum=sum(growth.values()),
        lost=sum(max(0, counted.get(uuid, 0) - growth[uuid])
                 for uuid in uuids),
        extra=sum(max(0, growth[uuid] - counted.get(uuid, 0))
                  for uuid in uuids),
        conflicts=conflicts,
        redrives=sum(r["calls"] for r in reports) - done - failed,
        wall=max(r["finished"] for r in reports) - started,
        errors=[e for r in reports for e in r["errors"]])


def _count_412(control: EmulatorControl) -> int:
    return int(control.counters()["by_status"].get("412", 0))


if __name__ == "__main__":
    agent_main()
