"""TransactionPolicy: a transaction's options as one value (issue 8
scope 3), accepted as ``policy=`` beside the keyword options."""

import inspect

import pytest

from pypvm_tx import adapter as adp
from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks, retry
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from tests.unit import tx_fakes


def http_412():
    return pvmex.http_error_for(adp.Response("POST", "/p", 412, "PF", {}))


def test_presets():
    assert tx.PEER_DEFAULT.tries == 60
    assert tx.PEER_DEFAULT.wait is retry.STEPPED_RANDOM_DELAY
    assert tx.PEER_DEFAULT.deadline is None
    assert tx.FAST.tries == 5 and tx.FAST.deadline == 30
    waits = [tx.FAST.wait.seconds(n, 5) for n in range(1, 5)]
    assert all(0.009 <= w <= 0.011 for w in waits)


def test_policy_is_validated_and_replace_overrides_fields():
    with pytest.raises(ValueError):
        tx.TransactionPolicy(tries=0)
    with pytest.raises(ValueError):
        tx.TransactionPolicy(deadline=-1)
    with pytest.raises(TypeError):
        tx.TransactionPolicy(wait="soon")
    base = tx.TransactionPolicy(3, retry.NO_DELAY, deadline=5)
    assert base.replace() is base
    other = base.replace(tries=7)
    assert (other.tries, other.wait, other.deadline) == (7, retry.NO_DELAY, 5)
    assert base.delay_func is base.wait


@pytest.mark.parametrize("make", [
    lambda policy, **kw: tx.entry_transaction(policy=policy, **kw)(
        lambda w: w.fail()),
    lambda policy, **kw: (lambda w: tx.WrapperTask(
        "wt", w, policy=policy, **kw).add_functor_subtask(
            lambda wrapper: wrapper.fail()).execute()),
])
def test_policy_is_used_and_keyword_options_override_it(make):
    """The policy's tries bound the redrives; a keyword option beside it
    wins over the policy's field."""
    class Wrapper:
        uuid = "U1"
        etag = "1"
        calls = 0

        def fail(self):
            Wrapper.calls += 1
            raise http_412()

        def refresh(self, use_etag=True):
            return self

    policy = tx.TransactionPolicy(tries=3, wait=retry.NO_DELAY)
    with pytest.raises(pvmex.HttpError):
        make(policy)(_as_wrapper(Wrapper()))
    assert Wrapper.calls == 3
    Wrapper.calls = 0
    with pytest.raises(pvmex.HttpError):
        make(policy, tries=2)(_as_wrapper(Wrapper()))
    assert Wrapper.calls == 2


def _as_wrapper(obj):
    """A real EntryWrapper whose fail()/refresh() are the fake's."""
    server = FakeConsole(count=1)
    wrapper = server.wrapper(server.uuids[0])
    wrapper.fail = obj.fail
    wrapper.refresh = lambda use_etag=True: wrapper
    return wrapper


def test_feed_task_takes_a_policy():
    server = FakeConsole(count=2)
    provider = locks.InProcessLockProvider()
    task = tx.FeedTask("ft", server.feed_getter(),
                       policy=tx.FAST.replace(lock_provider=provider))
    task.add_functor_subtask(tx_fakes.set_name, "x")
    task.execute()
    assert all(t._policy.lock_provider is provider
               for t in task.wrapper_tasks.values())
    with pytest.raises(TypeError, match="TransactionPolicy"):
        tx.FeedTask("ft", server.feed_getter(), policy={"tries": 3})


@pytest.mark.parametrize("callable_", [tx.entry_transaction,
                                       tx.WrapperTask.__init__,
                                       tx.FeedTask.__init__])
def test_no_private_parameters_on_public_signatures(callable_):
    names = inspect.signature(callable_).parameters
    assert not [n for n in names if n.startswith("_")], list(names)
    assert "policy" in names
