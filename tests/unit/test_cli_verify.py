"""The demo's lost-update verification really detects losses (SPEC E3)."""

import argparse
import logging
import types

from pypvm_tx import cli, demo
from pypvm_tx.transaction import EntryOutcome

L1, L2, V1 = "L1", "L2", "V1"


def demo_with(before, changes=None, url=None):
    args = argparse.Namespace(url=url, apply=False)
    run = demo.Demo(args, display=None)
    run.before = before
    run.writer = demo.OutOfBandWriter(None, 0, 0)
    run.writer.changes = dict(changes or {})
    return run


def lpar(name, memory):
    return {"type": demo.LPAR_TYPE, "name": name, "memory": memory}


def vios(name, mappings):
    return {"type": demo.VIOS_TYPE, "name": name, "demo_mappings": mappings}


def outcomes(*uuids, status="updated"):
    return {u: EntryOutcome(u, status) for u in uuids}


def test_e3_verify_all_good():
    """E3: each change once and the out-of-band rename kept: nothing lost."""
    run = demo_with({L1: lpar("a", 1024), V1: vios("v", 0)},
                     changes={L1: "a-oob"})
    ver = run._verify(outcomes(L1, V1), {
        L1: lpar("a-oob", 1024 + demo.MEMORY_DELTA_MB), V1: vios("v", 1)})
    assert (ver["lost"], ver["changed_exactly_once"]) == (0, 2)
    assert ver["out_of_band_survived"] == 1


def test_e3_verify_detects_missing_double_and_overwritten():
    """E3: a change missing, one applied twice, and an out-of-band rename
    overwritten by a stale POST are each counted as lost and named."""
    run = demo_with({L1: lpar("a", 1024), L2: lpar("b", 2048),
                      V1: vios("v", 0)}, changes={V1: "v-oob"})
    ver = run._verify(outcomes(L1, L2, V1), {
        L1: lpar("a", 1024),                                # missing
        L2: lpar("b", 2048 + 2 * demo.MEMORY_DELTA_MB),      # twice
        V1: vios("v", 1)})                                  # rename lost
    assert ver["lost"] == 3
    assert ver["changed_exactly_once"] == 1
    assert ver["out_of_band_survived"] == 0
    text = " ".join(ver["problems"])
    assert "0 times" in text and "2 times" in text and "v-oob" in text


def test_e3_verify_failed_entry_not_expected_to_change():
    """E3: a failed entry is a failure, not a lost update."""
    run = demo_with({L1: lpar("a", 1024)})
    ver = run._verify(outcomes(L1, status="failed"), {L1: lpar("a", 1024)})
    assert (ver["lost"], ver["expected_changes"]) == (0, 0)


def test_e3_verify_read_only_target_must_not_change():
    """E3: against a real console without --apply, any change is flagged."""
    run = demo_with({L1: lpar("a", 1024)}, url="https://hmc")
    ver = run._verify(outcomes(L1, status="unchanged"),
                       {L1: lpar("a", 1024 + demo.MEMORY_DELTA_MB)})
    assert ver["lost"] == 1


def test_e3_demo_restores_the_library_log_level(monkeypatch):
    """E3: running the demo in-process does not leave pypvm_tx's logging
    silenced for the rest of the caller's process."""
    log = logging.getLogger("pypvm_tx")
    log.setLevel(logging.INFO)
    monkeypatch.setattr(demo, "_run_demo", lambda args: 0)
    args = cli.build_parser().parse_args(["demo"])
    assert demo.run_demo(args) == 0
    assert log.level == logging.INFO


def test_e3_demo_leaves_the_library_log_level_alone(monkeypatch):
    """E3 (issue 8 scope 6): the demo does not change pypvm_tx's logger
    level, not even while it runs (it used to set it to CRITICAL)."""
    log = logging.getLogger("pypvm_tx")
    saved = log.level
    log.setLevel(logging.INFO)
    seen = []
    monkeypatch.setattr(demo, "_run_demo",
                        lambda args: seen.append(log.level) or 0)
    try:
        for argv in (["demo"], ["demo", "--verbose"]):
            assert demo.run_demo(cli.build_parser().parse_args(argv)) == 0
    finally:
        log.setLevel(saved)
    assert seen == [logging.INFO, logging.INFO]


def test_e3_rest_call_counter_counts_through_event_hooks():
    """E3 (issue 8 scope 4, 6): the demo counts REST calls with the
    Session's request/response hooks: calls by method, answers by
    status."""
    counter = demo.RestCallCounter()
    for method in ("GET", "POST", "POST"):
        counter.on_request(method, "http://127.0.0.1/rest/api/uom/x")
    for status in (200, 412, 200):
        counter.on_response(types.SimpleNamespace(status=status))
    assert counter.snapshot() == {
        "by_method": {"GET": 1, "POST": 2, "total": 3},
        "by_status": {"200": 2, "412": 1}}
    counter.reset()
    assert counter.snapshot()["by_method"] == {"total": 0}
