"""Unit tests of the 'unknown' outcome: a POST whose reply was lost
(SPEC T5.12 rev 2; issue 7 scope 9, the lost-POST-reply part).

The mocked adapter (tests/unit/tx_fakes.py) raises ``pvmex.ConnectionError``
or ``pvmex.TimeoutError`` with ``request_sent`` set, as the Session does
when the request may have reached the server before the failure, after
applying the change or not.
"""

import pytest

from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from tests.unit.tx_fakes import name_of, set_name


def rename_to(wrapper, new_name):
    """Idempotent: already at the target → no change flagged."""
    if name_of(wrapper) == new_name:
        return False
    set_name(wrapper, new_name)
    return True


def feed_task(server, **kwargs):
    ftsk = tx.FeedTask("lost", server.feed(), max_workers=3, **kwargs)
    ftsk.add_functor_subtask(lambda w: "seen " + w.uuid[:8], provides="seen",
                             flag_update=False)
    ftsk.add_functor_subtask(rename_to, "target")
    return ftsk


def test_t5_12_lost_reply_resolved_by_rereading_each_entry():
    """T5.12 rev 2: a POST sent whose reply was lost is resolved by
    re-reading the entry: same etag → 'failed' (not applied); etag moved
    and the Subtasks flag no change on the fresh copy → 'updated' (a
    success, its rets kept); etag moved by someone else's change →
    'unknown'; request_sent False → 'failed' without a re-read."""
    server = FakeConsole(count=5)
    not_landed, landed, moved, not_sent, normal = server.uuids
    server.lose_reply(not_landed, landed=False)
    server.lose_reply(landed, landed=True)
    server.lose_reply(moved, landed=False, other_change="someone else")
    server.lose_reply(not_sent, landed=False, request_sent=False)
    ftsk = feed_task(server, continue_on_error=True)
    result = ftsk.execute()
    outcomes = ftsk.outcomes
    assert {u: o.status for u, o in outcomes.items()} == {
        not_landed: "failed", landed: "updated", moved: "unknown",
        not_sent: "failed", normal: "updated"}
    for uuid in (not_landed, moved, not_sent):
        exc = outcomes[uuid].exception
        assert isinstance(exc, pvmex.ConnectionError)
        assert "reply" in str(exc)
    assert outcomes[landed].exception is None
    rets = result["wrapper_task_rets"]
    assert set(rets) == {landed, normal}
    assert rets[landed]["seen"] == "seen " + landed[:8]
    assert name_of(rets[landed]["wrapper"]) == "target"
    assert rets[landed]["wrapper"].etag == str(server.objects[landed][0])
    assert outcomes[landed].wrapper is rets[landed]["wrapper"]
    assert server.objects[moved][1] == "someone else"
    assert [server.count("refresh", u) for u in server.uuids] == [
        1, 1, 1, 0, 0]
    assert [server.count("update", u) for u in server.uuids] == [1] * 5


def test_t5_12_reread_failure_leaves_it_unknown():
    """T5.12 rev 2: when the re-read itself fails, the entry stays
    'unknown' with the POST's exception (not the re-read's)."""
    server = FakeConsole(count=2)
    uuid = server.uuids[0]
    server.lose_reply(uuid, landed=True)
    server.fail_refresh(uuid)
    ftsk = feed_task(server, continue_on_error=True)
    ftsk.execute()
    outcome = ftsk.outcomes[uuid]
    assert outcome.status == tx.EntryOutcome.UNKNOWN
    assert "reply" in str(outcome.exception)
    assert server.count("refresh", uuid) == 1


def test_t5_12_lost_reply_of_a_timeout_is_resolved_too():
    """T5.12 rev 2: a pvmex.TimeoutError with request_sent is treated the
    same way (here: the change landed → 'updated')."""
    server = FakeConsole(count=1)
    uuid = server.uuids[0]
    server.lose_reply(uuid, landed=True, exc_type=pvmex.TimeoutError)
    ftsk = feed_task(server)
    result = ftsk.execute()
    assert ftsk.outcomes[uuid].status == "updated"
    assert name_of(result["wrapper_task_rets"][uuid]["wrapper"]) == "target"


def test_t5_10_unknown_and_failed_entries_count_as_failures():
    """T5.10/T5.12 rev 2: without continue_on_error an 'unknown' entry's
    exception is raised like a failure's; with another failure they are
    both in MultipleExceptionsInFeedTask."""
    server = FakeConsole(count=3)
    moved, not_landed, _ok = server.uuids
    server.lose_reply(moved, landed=False, other_change="x")
    with pytest.raises(pvmex.ConnectionError) as info:
        feed_task(server).execute()
    assert info.value.outcomes[moved].status == "unknown"

    server = FakeConsole(count=3)
    moved, not_landed, _ok = server.uuids
    server.lose_reply(moved, landed=False, other_change="y")
    server.lose_reply(not_landed, landed=False)
    with pytest.raises(pvmex.MultipleExceptionsInFeedTask) as info:
        feed_task(server).execute()
    assert len(info.value.wrapped_failure) == 2
    assert [o.status for o in info.value.outcomes.values()] == [
        "unknown", "failed", "updated"]


def test_t4_6_wrapper_task_lost_reply_that_landed_returns_normally():
    """T4.6/T5.12 rev 2: a WrapperTask whose POST landed though its reply
    was lost returns the fresh wrapper and its provided values; one that
    did not land raises the POST's exception."""
    server = FakeConsole(count=2)
    landed, not_landed = server.uuids
    server.lose_reply(landed, landed=True)
    server.lose_reply(not_landed, landed=False)
    task = tx.WrapperTask("wt", server.getter(landed))
    task.add_functor_subtask(rename_to, "target", provides="renamed")
    wrapper, provided = task.execute()
    assert name_of(wrapper) == "target" and provided == {"renamed": True}
    assert task.wrapper is wrapper

    task = tx.WrapperTask("wt2", server.getter(not_landed))
    task.add_functor_subtask(rename_to, "target")
    with pytest.raises(pvmex.ConnectionError):
        task.execute()
    assert server.objects[not_landed][1] != "target"
