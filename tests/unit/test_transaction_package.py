"""The transaction package: public names where consumers expect them,
outcome statuses as a str enum, and the one use of a dependency's
private API (issue 8 scopes 1, 6, 7)."""

import json
from unittest import mock

from oslo_context import context as oslo_context

from pypvm_tx import transaction as tx
from pypvm_tx.transaction import executor


def test_public_names_importable_and_patchable_where_consumers_look():
    for name in ("entry_transaction", "Subtask", "FunctorSubtask",
                 "_FunctorSubtask", "WrapperTask", "FeedTask", "EntryOutcome",
                 "ContextThreadPoolExecutor", "TransactionPolicy",
                 "PEER_DEFAULT", "FAST", "OutcomeStatus"):
        assert hasattr(tx, name), name
    with mock.patch("pypvm_tx.transaction.FeedTask") as fake:
        from pypvm_tx import transaction
        assert transaction.FeedTask is fake


def test_t5_12_outcome_statuses_are_a_str_enum():
    outcome = tx.EntryOutcome("U1", "updated")
    assert outcome.status is tx.OutcomeStatus.UPDATED
    assert outcome.status == "updated" and str(outcome.status) == "updated"
    assert json.dumps({"s": outcome.status}) == '{"s": "updated"}'
    assert tx.EntryOutcome.SKIPPED == "skipped"
    assert {s.value for s in tx.OutcomeStatus} == {
        "updated", "unchanged", "failed", "unknown", "skipped"}


def test_t6_clearing_the_oslo_context_uses_its_private_store_loudly():
    """clear_current_context is the one use of oslo.context's private
    thread-local; if oslo.context renames it, this test (and the
    function) fail instead of leaving a stale context current."""
    assert hasattr(oslo_context, "_request_store")
    ctx = oslo_context.RequestContext(request_id="req-1")
    ctx.update_store()
    assert oslo_context.get_current() is ctx
    executor.clear_current_context()
    assert oslo_context.get_current() is None
    executor.clear_current_context()  # nothing current: still fine
