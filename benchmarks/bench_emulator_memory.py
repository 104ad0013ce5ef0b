"""Memory the emulator needs per LPAR (issue 8 scope 6).

Prints figures; it is not a test.  The emulator runs in its own process
(``python -m pypvm_tx.testing.emulator``), so its resident set size
(``VmRSS`` in ``/proc/<pid>/status``, Linux) counts the emulator alone:
libxml2's memory is invisible to ``tracemalloc``, RSS is not.  Figures:

- empty: the emulator serving no LPAR (the interpreter and its imports);
- seeded: after seeding N LPARs;
- feed GET: after one GET of the whole LPAR feed (the client here reads
  the body and drops it);
- written: after W entries were each POSTed back once (GET, then POST
  with ``If-Match``), as a FeedTask that changes every entry does;
- peak: the process's high-water mark (``VmHWM``).

Per LPAR is (figure - empty) / N.  Goal: 10,000 LPARs in under 1 GB.

Usage::

    python benchmarks/bench_emulator_memory.py [--lpars 10000]
        [--writes 1000]
"""

import argparse
import time

from bench_http import start_emulator  # benchmarks/ is on sys.path

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx.testing.emulator import DEFAULT_PASSWORD, DEFAULT_USER

MB = 1024.0 * 1024.0


def memory(pid):
    """(VmRSS, VmHWM) of process ``pid`` in bytes."""
    figures = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            name, _sep, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0]) * 1024
    return figures["VmRSS"], figures["VmHWM"]


def session(url):
    port = int(url.rsplit(":", 1)[1])
    return pvm_adapter.Session(host="127.0.0.1", port=port, protocol="http",
                               username=DEFAULT_USER,
                               password=DEFAULT_PASSWORD)


def write_back(adapter, uuids):
    """GET and POST back each entry (the emulator stores each POST)."""
    for uuid in uuids:
        resp = adapter.read(c.LOGICAL_PARTITION, uuid)
        adapter.update_by_path(resp.entry.content, resp.etag,
                               resp.entry.href)


def measure(lpars, writes):
    """The figures of one emulator process seeded with ``lpars`` LPARs."""
    proc, url = start_emulator(lpars)
    try:
        figures = {"seeded": memory(proc.pid)[0]}
        adapter = pvm_adapter.Adapter(session(url))
        started = time.perf_counter()
        feed = adapter.read(c.LOGICAL_PARTITION)
        figures["feed_s"] = time.perf_counter() - started
        entries = feed.feed.entries if feed.feed is not None else []
        uuids = [entry.uuid for entry in entries][:writes]
        del entries
        del feed
        figures["feed GET"] = memory(proc.pid)[0]
        write_back(adapter, uuids)
        figures["written"], figures["peak"] = memory(proc.pid)
        adapter.session.logoff()
        return figures
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lpars", type=int, default=10000)
    parser.add_argument("--writes", type=int, default=1000,
                        help="entries POSTed back once (default 1000)")
    args = parser.parse_args()
    empty = measure(0, 0)["seeded"]
    figures = measure(args.lpars, args.writes)
    print("emulator process, %d LPARs (%d written back); empty: %.0f MB"
          % (args.lpars, min(args.writes, args.lpars), empty / MB))
    for name in ("seeded", "feed GET", "written", "peak"):
        print("    %-9s %7.0f MB RSS, %6.1f KB per LPAR" % (
            name, figures[name] / MB,
            (figures[name] - empty) / max(args.lpars, 1) / 1024.0))
    print("    feed GET of %d LPARs: %.2f s (client parse included)"
          % (args.lpars, figures["feed_s"]))


if __name__ == "__main__":
    main()
