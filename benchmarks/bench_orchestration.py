"""Orchestration overhead of FeedTask, against a bare thread pool (SPEC T5).

A script that prints figures, not a test::

    python benchmarks/bench_orchestration.py [--sizes 1000 10000]
        [--workers 10] [--repeat 5]

Workload: N already-fetched LPAR-like EntryWrappers (real wrappers parsed
from Atom XML) whose ``update()`` does no I/O; one functor Subtask that
changes a field; ``max_workers`` threads.  The floor runs the same Subtask
and ``update()`` per wrapper through a bare
``concurrent.futures.ThreadPoolExecutor.map`` with as many threads.

Printed per N: milliseconds per entry for FeedTask and for the floor (best
of ``--repeat`` runs; wall clock, and the process's CPU time, which other
load on a shared machine disturbs less), their ratio, the overhead per
entry, and the FeedTask's per-entry cost at the largest N relative to the
smallest (flat means cost linear in N).
Targets: at most 0.1 ms per entry, within 3x of the floor, flat in N.
"""

import argparse
import concurrent.futures
import time

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import transaction as tx
from pypvm_tx.wrappers import entry_wrapper as ewrap

BASE = "https://hmc.example:12443/rest/api/uom/LogicalPartition/"


class NoIOLPAR(ewrap.EntryWrapper):
    """An LPAR-like wrapper whose update() does no I/O."""

    schema_type = c.LOGICAL_PARTITION

    def update(self, timeout=-1):
        return self


def _entry(index):
    uuid = "%08X-0000-4000-8000-%012d" % (index, index)
    return (
        '<entry><id>{uuid}</id><title>LogicalPartition</title>'
        '<link rel="SELF" href="{base}{uuid}"/>'
        '<etag:etag xmlns:etag="{ns}">{etag}</etag:etag>'
        '<content type="{ctype}"><LogicalPartition:LogicalPartition '
        'xmlns:LogicalPartition="{ns}" xmlns="{ns}" schemaVersion="V1_0">'
        '<Metadata><Atom><AtomID>{uuid}</AtomID></Atom></Metadata>'
        '<PartitionID>{pid}</PartitionID>'
        '<PartitionMemoryConfiguration schemaVersion="V1_0"><Metadata><Atom/>'
        '</Metadata><DesiredMemory>2048</DesiredMemory>'
        '</PartitionMemoryConfiguration><PartitionName>vm{pid}</PartitionName>'
        '<PartitionState>running</PartitionState>'
        '</LogicalPartition:LogicalPartition></content></entry>').format(
        uuid=uuid, base=BASE, ns=c.UOM_NS, etag=1000 + index, pid=index + 1,
        ctype=c.uom_content_type(c.LOGICAL_PARTITION))


def build_feed(count):
    """``count`` wrappers parsed from one Atom feed, as a FeedGetter gives."""
    body = '<feed xmlns="%s"><id>bench</id>%s</feed>' % (
        c.ATOM_NS, "".join(_entry(i) for i in range(count)))
    resp = adp.Response("GET", "/rest/api/uom/LogicalPartition", 200, "OK",
                        {"ETag": "1"}, body=body.encode())
    return NoIOLPAR.wrap(resp)


def change_field(wrapper, value):
    """The Subtask: set DesiredMemory; report a change."""
    wrapper._set_val("PartitionMemoryConfiguration/DesiredMemory", value)
    return True


def floor_one(wrapper):
    change_field(wrapper, 4096)
    return wrapper.update()


def time_floor(feed, workers):
    """(wall, cpu) seconds of the bare thread pool doing the same work."""
    start, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(floor_one, feed))
    return time.perf_counter() - start, time.process_time() - cpu


def time_feedtask(feed, workers):
    ftsk = tx.FeedTask("bench", feed, max_workers=workers)
    ftsk.add_functor_subtask(change_field, 4096)
    start, cpu = time.perf_counter(), time.process_time()
    result = ftsk.execute()
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    assert len(result["wrapper_task_rets"]) == len(feed)
    assert all(o.status == "updated" for o in ftsk.outcomes.values())
    return elapsed


def best(func, feed, workers, repeat):
    """The best wall time and the best CPU time over ``repeat`` runs."""
    runs = [func(feed, workers) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    print("FeedTask orchestration, max_workers=%d, best of %d runs; ms per "
          "entry (wall clock, and CPU time of the process)"
          % (args.workers, args.repeat))
    print("%7s  %9s %9s  %9s %9s  %6s  %8s" % (
        "N", "FeedTask", "(cpu)", "floor", "(cpu)", "ratio", "overhead"))
    per_entry = {}
    for size in args.sizes:
        feed = build_feed(size)
        time_feedtask(feed, args.workers)  # warm-up
        ftsk_s, ftsk_cpu = best(time_feedtask, feed, args.workers, args.repeat)
        floor_s, floor_cpu = best(time_floor, feed, args.workers, args.repeat)
        per_entry[size] = ftsk_s * 1000 / size
        print("%7d  %9.4f %9.4f  %9.4f %9.4f  %5.2fx  %8.4f" % (
            size, per_entry[size], ftsk_cpu * 1000 / size,
            floor_s * 1000 / size, floor_cpu * 1000 / size,
            ftsk_s / floor_s, (ftsk_s - floor_s) * 1000 / size))
    if len(per_entry) > 1:
        small, large = min(per_entry), max(per_entry)
        print("FeedTask ms/entry at N=%d relative to N=%d: %.2fx (1.00x = "
              "cost linear in N)" % (large, small,
                                     per_entry[large] / per_entry[small]))


if __name__ == "__main__":
    main()
