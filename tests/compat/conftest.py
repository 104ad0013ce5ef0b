"""The compat harness: pypowervm's own unit tests run against pypvm_tx.

Collected only where pypowervm is importable (the separate virtualenv
that .ci/run builds from tests/compat/requirements.txt); in the project's
own virtualenv, which never has pypowervm, nothing here is collected.

Every peer test is expected to pass, except those named in
``expected_out_of_scope.txt`` (each with its reason): those are marked
as strict expected failures, so one that starts passing fails the run
until it is taken off the list, and a name on the list that no longer
exists fails the run too.  The terminal summary gives pass / fail counts
per peer module.
"""

import collections
import importlib.util
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent
OUT_OF_SCOPE_FILE = HERE / "expected_out_of_scope.txt"

if importlib.util.find_spec("pypowervm") is None:
    collect_ignore_glob = ["test_*.py"]


def read_out_of_scope(path=OUT_OF_SCOPE_FILE):
    """``{peer test id: reason}`` from the reviewed list.

    A line is ``<peer path>::<Class>::<test>  <reason>``; blank lines and
    lines starting with ``#`` are ignored.  A line without a reason, or a
    test named twice, is an error.
    """
    listed = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise pytest.UsageError("%s:%d: %s has no reason" % (
                path.name, number, test_id))
        if test_id in listed:
            raise pytest.UsageError("%s:%d: %s is listed twice" % (
                path.name, number, test_id))
        listed[test_id] = reason.strip()
    return listed


def peer_id(item):
    """``utils/test_retry.py::TestRetry::test_retry`` for a peer test item,
    else ``None``."""
    from tests.compat import peer

    cls = getattr(item, "cls", None)
    if cls is None:
        return None
    path = peer.peer_path(cls.__module__)
    if path is None:
        return None
    return "%s::%s::%s" % (path, cls.__name__, item.name)


_results = collections.defaultdict(collections.Counter)


def pytest_collection_modifyitems(config, items):
    listed = read_out_of_scope()
    seen = set()
    for item in items:
        test_id = peer_id(item)
        if test_id is None:
            continue
        item.user_properties.append(("peer_id", test_id))
        if test_id in listed:
            seen.add(test_id)
            item.add_marker(pytest.mark.xfail(
                strict=True, reason="out of scope: " + listed[test_id]))
    # Only a whole run of the harness can tell a stale entry.
    from tests.compat import peer

    modules = {peer_id(i).split("::")[0] for i in items if peer_id(i)}
    whole = (modules == set(peer.PEER_MODULES)
             and not config.getoption("keyword")
             and not config.getoption("markexpr")
             and not any("::" in str(a) for a in config.args))
    stale = sorted(set(listed) - seen)
    if whole and stale:
        raise pytest.UsageError(
            "expected_out_of_scope.txt names tests that do not exist: "
            + ", ".join(stale))


def _row(report):
    """The summary row of a test: its peer module, or its own file."""
    test_id = dict(report.user_properties).get("peer_id")
    if test_id is not None:
        return test_id.split("::")[0]
    return "(pypvm_tx) " + report.nodeid.split("::")[0].split("/")[-1]


def _outcome(report):
    if hasattr(report, "wasxfail"):
        return "out of scope" if report.skipped else "xpassed"
    if report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
        return "xpassed"
    if report.passed:
        return "passed"
    return "skipped" if report.skipped else "failed"


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _results[_row(report)][_outcome(report)] += 1


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    write = terminalreporter.write_line
    cols = ("passed", "failed", "out of scope", "xpassed", "skipped")
    write("")
    write("pypowervm 1.1.27's own tests on pypvm_tx, per module (and the "
          "harness's own tests):")
    write("%-36s %6s %6s %6s %12s %7s %7s" % (("module", "tests") + cols))
    total = collections.Counter()
    for module in sorted(_results):
        counts = _results[module]
        if not module.startswith("(pypvm_tx)"):
            total.update(counts)
        write("%-36s %6d %6d %6d %12d %7d %7d" % (
            (module, sum(counts.values())) + tuple(counts[c] for c in cols)))
    write("%-36s %6d %6d %6d %12d %7d %7d" % (
        ("all of pypowervm's", sum(total.values()))
        + tuple(total[c] for c in cols)))
