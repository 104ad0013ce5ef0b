"""Several agent processes on the same LPARs, with each lock provider
(SPEC T7, D1; issue 10 scope 3): a small run of bench_processes.py.

Two agent processes of four threads each add one to the counters of
four LPARs on a real emulator (10 ms latency), through
``entry_transaction`` with the in-process, file and tooz (real
redis-server) providers.  With every provider no increment is lost or
doubled; with a lock shared by the processes no POST meets a 412.
The agents are the benchmark's own (benchmarks/agent_procs.py).
"""

import pytest

from benchmarks import agent_procs
from pypvm_tx.testing.emulator import Emulator
from tests.redis_server import running

PROCESSES, THREADS, TRANSACTIONS, LPARS = 2, 4, 5, 4
TOTAL = PROCESSES * THREADS * TRANSACTIONS


@pytest.fixture(scope="module")
def emulator_url():
    """An emulator with LPARS LPARs and 10 ms latency, for the module."""
    with Emulator(lpars=LPARS, vioses=0, seed=11, latency=0.01) as url:
        yield url


@pytest.fixture
def uuids(emulator_url):
    return agent_procs.lpar_uuids(emulator_url, LPARS)


def run(url, uuids, provider, where=""):
    return agent_procs.run_agents(
        url, uuids, provider, where, processes=PROCESSES, threads=THREADS,
        transactions=TRANSACTIONS, deadline=20, timeout=30)


def assert_nothing_lost(result):
    assert result.errors == [] and result.failed == 0
    assert result.done == TOTAL
    assert result.counter_sum == TOTAL
    assert (result.lost, result.extra) == (0, 0)
    # Every 412 the emulator answered is a redrive an agent counted.
    assert result.redrives == result.conflicts


def test_t7_per_process_locks_lose_no_increment(emulator_url, uuids):
    """T7: processes with their own locks collide, and the etag check
    alone keeps every increment."""
    assert_nothing_lost(run(emulator_url, uuids, "inprocess"))


def test_t7_file_locks_serialise_processes(emulator_url, uuids, tmp_path):
    """T7: one lock directory serialises the processes: nothing lost,
    and no POST meets a 412."""
    result = run(emulator_url, uuids, "file", str(tmp_path / "locks"))
    assert_nothing_lost(result)
    assert result.conflicts == 0


def test_d1_redis_locks_serialise_processes(emulator_url, uuids, tmp_path):
    """D1: ToozLockProvider on a real redis-server serialises the
    processes: nothing lost, and no POST meets a 412."""
    pytest.importorskip("tooz")
    with running(tmp_path) as server:
        result = run(emulator_url, uuids, "tooz", server.url)
    assert_nothing_lost(result)
    assert result.conflicts == 0
