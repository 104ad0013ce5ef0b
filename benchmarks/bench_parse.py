"""Parsing and wrapping a large feed, with no I/O.

Prints figures; it is not a test.  Workload (issue 7 scope 6, the "GET
+ wrap a 1,000-LPAR feed" figure without the GET): a feed body of N LPAR
entries (default 1,000) built from the real captured LPAR feed in
``tests/data/powervm-captures`` (its 17 entries repeated, each copy with
its own UUID, so every entry is about 12 KB, the captures' size).

(a) wrap: ``Response(...)``, ``EntryWrapper.wrap(resp)`` and reading
    every wrapper's ``uuid``, ``etag`` and ``href`` (what a FeedTask
    needs before its workers start: the lock keys);
(b) all parsed: (a) and then every wrapper's ``element`` (what a
    FeedTask has needed by the time every entry is handled);
(c) for reference, lxml alone on the same body: a whole parse, and a
    read without building a tree (the least any check of the whole body
    costs).

With ``--get``, also the GET itself: the emulator (in another process,
on loopback) serves N LPARs; "GET" is ``Adapter.read`` without reading
the body, "GET + wrap" is ``LPAR.get(adapter)`` and the identity reads.

Each is the best of ``--repeat`` runs, in ms per feed and ms per entry.
Run it from the repository root against any checkout (``PYTHONPATH``
picks which pypvm_tx is measured; the captures are read from this
script's repository)::

    python benchmarks/bench_parse.py [--entries 1000] [--repeat 7] [--get]
"""

import argparse
import gc
import pathlib
import re
import time
import uuid as uuidlib

from lxml import etree

import pypvm_tx
from pypvm_tx import adapter as pvm_adapter
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR

CAPTURE = (pathlib.Path(__file__).resolve().parent.parent / "tests" / "data"
           / "powervm-captures" / "responses" / "lpar_feed_etags.xml")
_ID_RE = re.compile(rb"<id>([^<]+)</id>")


def feed_body(entries: int) -> bytes:
    """A feed of ``entries`` LPARs: the capture's entries, repeated, each
    copy with a fresh UUID everywhere the original one appears."""
    body = CAPTURE.read_bytes()
    first = body.index(b"<entry>")
    last = body.rindex(b"</entry>") + len(b"</entry>")
    templates = re.findall(rb"<entry>.*?</entry>", body[first:last], re.S)
    parts = [body[:first]]
    for index in range(entries):
        template = templates[index % len(templates)]
        old = _ID_RE.search(template).group(1)
        new = str(uuidlib.UUID(int=index + 1)).upper().encode()
        parts.append(template.replace(old, new))
        parts.append(b"\n    ")
    parts.append(body[last:])
    return b"".join(parts)


def wrap(body: bytes):
    resp = pvm_adapter.Response(
        "GET", "/rest/api/uom/LogicalPartition", 200, "OK",
        {"ETag": "959374938"}, body=body)
    wrappers = ewrap.EntryWrapper.wrap(resp)
    identity = [(w.uuid, w.etag, w.href) for w in wrappers]
    return wrappers, identity


def wrap_and_parse(body: bytes):
    wrappers, identity = wrap(body)
    for wrapper in wrappers:
        wrapper.element
    return wrappers, identity


class _NoTree:
    def close(self):
        return None


def lxml_parse(body: bytes):
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False,
                                                  no_network=True))


def lxml_read(body: bytes):
    return etree.fromstring(body, etree.XMLParser(target=_NoTree(),
                                                  resolve_entities=False,
                                                  no_network=True))


def best_of(func, arg, repeat):
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func(arg)
        times.append(time.perf_counter() - start)
        del result
    return min(times)


def report(label, seconds, entries, repeat):
    print("%-26s %8.1f ms per feed %8.3f ms per entry  (best of %d)" % (
        label, seconds * 1000, seconds * 1000 / entries, repeat))


def over_http(entries, repeat):
    """(label, seconds) of a GET and of a GET + wrap from the emulator."""
    from bench_http import start_emulator
    from pypvm_tx.testing.emulator import DEFAULT_PASSWORD, DEFAULT_USER
    proc, url = start_emulator(entries)
    try:
        session = pvm_adapter.Session(
            "127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD, protocol="http",
            port=int(url.rsplit(":", 1)[1]))
        adapter = pvm_adapter.Adapter(session)

        def get_and_wrap(_):
            return [(w.uuid, w.etag, w.href) for w in LPAR.get(adapter)]

        return [("GET", best_of(lambda _: adapter.read(LPAR.schema_type),
                                None, repeat)),
                ("GET + wrap", best_of(get_and_wrap, None, repeat))]
    finally:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--get", action="store_true",
                        help="also GET the feed from the emulator")
    args = parser.parse_args()
    body = feed_body(args.entries)
    _, identity = wrap(body)  # warm up, and check the workload
    if len({u for u, _, _ in identity}) != args.entries or \
            not all(e and h for _, e, h in identity):
        raise SystemExit("the feed did not wrap to %d distinct entries with "
                         "etags and hrefs" % args.entries)
    print("pypvm_tx from %s" % pathlib.Path(pypvm_tx.__file__).parent)
    print("feed: %d LPAR entries, %.1f MB" % (args.entries, len(body) / 1e6))
    for label, func in (("wrap + uuid/etag/href", wrap),
                        ("wrap + every element", wrap_and_parse),
                        ("lxml: parse (reference)", lxml_parse),
                        ("lxml: read, no tree (ref.)", lxml_read)):
        report(label, best_of(func, body, args.repeat), args.entries,
               args.repeat)
    if args.get:
        for label, seconds in over_http(args.entries, args.repeat):
            report(label, seconds, args.entries, args.repeat)


if __name__ == "__main__":
    main()
