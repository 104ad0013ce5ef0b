"""Unit tests of how a FeedTask treats failing entries and reports
progress (SPEC T5.10 rev 2, T5.12 rev 2; issue 7 scope 1 and scope 8's
progress bullet), with real threads and a mocked adapter
(tests/unit/tx_fakes.py)."""

import threading
import time

import pytest

from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from tests.unit.tx_fakes import name_of, set_name


def rename_to(wrapper, new_name):
    if name_of(wrapper) == new_name:
        return False
    set_name(wrapper, new_name)
    return True


def always_fail(wrapper):
    raise RuntimeError("refused %s" % wrapper.uuid)


# ----------------------------------------------------------------- T5.10 --

@pytest.mark.parametrize("max_workers", [10, 3, 1])
def test_t5_10_every_failing_entry_runs_whatever_the_timing(max_workers):
    """T5.10 rev 2 (issue 7 scope 1 acceptance): 30 runs of a 10-entry
    FeedTask whose subtask raises on every entry give
    MultipleExceptionsInFeedTask with exactly 10 failures all 30 times,
    every entry having run, with a failed outcome and a progress call."""
    server = FakeConsole(count=10)
    results = []
    for _run in range(30):
        progress = []
        ftsk = tx.FeedTask("all_bad", server.feed(), max_workers=max_workers,
                           progress=lambda o, d, t, seen=progress: seen.append(
                               d))
        ftsk.add_functor_subtask(always_fail)
        with pytest.raises(Exception) as info:
            ftsk.execute()
        exc = info.value
        failures = (len(exc.wrapped_failure)
                    if isinstance(exc, pvmex.MultipleExceptionsInFeedTask)
                    else 1)
        results.append((type(exc).__name__, failures,
                        sorted(o.status for o in ftsk.outcomes.values()),
                        progress))
    assert results == [("MultipleExceptionsInFeedTask", 10, ["failed"] * 10,
                        list(range(1, 11)))] * 30


def test_t5_10_other_entries_still_run_after_a_failure():
    """T5.10 rev 2: without continue_on_error, one entry's failure never
    stops the others: with one worker and the first entry failing, the
    nine others are still updated, and the one exception is raised as is."""
    server = FakeConsole(count=10)
    bad = server.uuids[0]

    def subtask(wrapper):
        if wrapper.uuid == bad:
            raise ValueError("bad entry")
        return rename_to(wrapper, "done")

    ftsk = tx.FeedTask("f", server.feed(), max_workers=1)
    ftsk.add_functor_subtask(subtask)
    with pytest.raises(ValueError, match="bad entry") as info:
        ftsk.execute()
    assert [o.status for o in info.value.outcomes.values()] == (
        ["failed"] + ["updated"] * 9)
    assert all(server.objects[u][1] == "done" for u in server.uuids[1:])


# ------------------------------------------------------ fail_fast, T5.12 --

def test_t5_10_fail_fast_skips_entries_not_started():
    """T5.10/T5.12 rev 2: fail_fast=True takes no new entry after the first
    failure; entries never started get status 'skipped' (no exception, the
    wrapper they had) and still get a progress call, done running on to
    total; the one failure is raised as is and carries the outcomes."""
    server = FakeConsole(count=10)
    bad = server.uuids[3]

    def subtask(wrapper):
        if wrapper.uuid == bad:
            raise ValueError("bad entry")
        return rename_to(wrapper, "done")

    progress = []
    ftsk = tx.FeedTask("ff", server.feed(), max_workers=1, fail_fast=True,
                       progress=lambda o, d, t: progress.append(
                           (o.uuid, o.status, d, t)))
    ftsk.add_functor_subtask(subtask)
    with pytest.raises(ValueError, match="bad entry") as info:
        ftsk.execute()
    outcomes = info.value.outcomes
    assert outcomes is ftsk.outcomes and list(outcomes) == server.uuids
    assert [o.status for o in outcomes.values()] == (
        ["updated"] * 3 + ["failed"] + ["skipped"] * 6)
    for uuid in server.uuids[4:]:
        skipped = outcomes[uuid]
        assert skipped.status == tx.EntryOutcome.SKIPPED
        assert skipped.exception is None and skipped.retries == 0
        assert skipped.wrapper.uuid == uuid
        assert server.objects[uuid][1] != "done"
    assert server.count("update") == 3
    assert [(u, s, d, t) for u, s, d, t in progress] == [
        (u, outcomes[u].status, index + 1, 10)
        for index, u in enumerate(server.uuids)]


def test_t5_12_fail_fast_with_continue_on_error_is_refused():
    """T5.12 rev 2: continue_on_error runs every entry, fail_fast stops
    early: asking for both is a ValueError naming both."""
    server = FakeConsole(count=1)
    with pytest.raises(ValueError, match="fail_fast.*continue_on_error"):
        tx.FeedTask("f", server.feed(), continue_on_error=True,
                    fail_fast=True)


def test_t5_12_fail_fast_without_failure_runs_everything():
    """T5.12 rev 2: fail_fast changes nothing when no entry fails."""
    server = FakeConsole(count=6)
    ftsk = tx.FeedTask("f", server.feed(), max_workers=2, fail_fast=True)
    ftsk.add_functor_subtask(rename_to, "done")
    result = ftsk.execute()
    assert list(result["wrapper_task_rets"]) == server.uuids
    assert {o.status for o in ftsk.outcomes.values()} == {"updated"}


# ------------------------------------------------- progress, one at a time --

def test_t5_12_progress_calls_never_overlap_and_done_increases():
    """T5.12 (issue 7 scope 8): progress is called from one thread at a
    time, with done strictly increasing 1..total across calls, so a
    progress=print does not garble its lines."""
    server = FakeConsole(count=12)
    state = {"inside": 0, "overlaps": 0, "done": [], "threads": set()}
    guard = threading.Lock()

    def progress(outcome, done, total):
        with guard:
            state["inside"] += 1
            if state["inside"] > 1:
                state["overlaps"] += 1
        time.sleep(0.01)  # a slow callback: others would arrive meanwhile
        state["done"].append(done)
        state["threads"].add(threading.get_ident())
        with guard:
            state["inside"] -= 1

    ftsk = tx.FeedTask("p", server.feed(), max_workers=6, progress=progress)
    ftsk.add_functor_subtask(rename_to, "done")
    ftsk.execute()
    assert state["overlaps"] == 0
    assert state["done"] == list(range(1, 13))
    assert threading.get_ident() not in state["threads"]
