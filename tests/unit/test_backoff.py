"""The one retry loop (backoff.Retrying) and the deadline scope.

The loop has tenacity's shape; these tests pin its behaviour and check it
against tenacity itself on random outcome sequences (a differential test:
same number of calls, same waits, same final outcome).
"""

import random
import time

import pytest
import tenacity

from pypvm_tx import backoff
from pypvm_tx import exceptions as pvmex


class Script:
    """A function whose successive calls raise or return as scripted."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, *args, **kwargs):
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def _ours(stop_after, wait_kind, retry_types, sleeps):
    wait = (backoff.wait_fixed(0.5) if wait_kind == "fixed"
            else backoff.wait_exponential(multiplier=0.1, max=1.5))
    return backoff.Retrying(
        stop=backoff.stop_after_attempt(stop_after), wait=wait,
        retry=backoff.retry_if_exception_type(retry_types),
        sleep=sleeps.append)


def _tenacity(stop_after, wait_kind, retry_types, sleeps):
    wait = (tenacity.wait_fixed(0.5) if wait_kind == "fixed"
            else tenacity.wait_exponential(multiplier=0.1, max=1.5))
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(stop_after), wait=wait,
        retry=tenacity.retry_if_exception_type(retry_types),
        sleep=sleeps.append, reraise=True)


def _run(retrying, script):
    try:
        return ("returned", retrying(script))
    except Exception as exc:
        return ("raised", exc)


def test_differential_against_tenacity_on_random_sequences():
    """Same calls, same waits, same final outcome as tenacity.Retrying
    (with reraise=True) on 500 random scripts and policies."""
    rng = random.Random(20261201)
    kinds = [KeyError("k"), ValueError("v"), "ok"]
    for _ in range(500):
        outcomes = [rng.choice(kinds) for _ in range(rng.randint(1, 8))]
        stop_after = rng.randint(1, 6)
        wait_kind = rng.choice(["fixed", "exponential"])
        retry_types = rng.choice([KeyError, (KeyError, ValueError)])
        ours_sleeps, theirs_sleeps = [], []
        ours_script, theirs_script = Script(outcomes), Script(outcomes)
        ours = _run(_ours(stop_after, wait_kind, retry_types, ours_sleeps),
                    ours_script)
        theirs = _run(_tenacity(stop_after, wait_kind, retry_types,
                                theirs_sleeps), theirs_script)
        assert ours_script.calls == theirs_script.calls, outcomes
        assert ours_sleeps == pytest.approx(theirs_sleeps), outcomes
        assert ours[0] == theirs[0]
        assert ours[1] is theirs[1] or ours[1] == theirs[1]


def test_result_predicate_matches_tenacity():
    """retry_if_result: the last result is returned when tries run out."""
    for stop_after in range(1, 5):
        outcomes = [1, 1, 1, 2]
        mine, theirs = Script(outcomes), Script(outcomes)
        got = backoff.Retrying(
            stop=backoff.stop_after_attempt(stop_after),
            retry=backoff.retry_if_result(lambda r: r == 1))(mine)
        expected = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(stop_after),
            retry=tenacity.retry_if_result(lambda r: r == 1),
            retry_error_callback=lambda state: state.outcome.result(),
            sleep=lambda s: None)(theirs)
        assert (got, mine.calls) == (expected, theirs.calls)


def test_first_try_success_is_a_plain_call():
    """A success on the first try never builds state or consults the
    policies (the FeedTask hot path)."""
    def boom(state):
        raise AssertionError("policy consulted")

    assert backoff.Retrying(stop=boom, wait=boom, retry=backoff.
                            retry_if_exception_type())(lambda: 7) == 7


def test_before_next_can_replace_arguments_and_give_up_can_raise():
    """before_next rewrites the next try's arguments (argmod, refresh);
    give_up replaces the last exception (limit_except)."""
    seen = []

    def func(value):
        seen.append(value)
        raise KeyError(value)

    def bump(state):
        state.args = (state.args[0] + 1,)

    def give_up(state):
        raise RuntimeError("gave up after %d" % state.attempt) \
            from state.exception

    retrying = backoff.Retrying(stop=backoff.stop_after_attempt(3),
                                before_next=bump, give_up=give_up)
    with pytest.raises(RuntimeError, match="after 3"):
        retrying(func, 10)
    assert seen == [10, 11, 12]


def test_deadline_is_a_stop_condition_and_sleeps_end_at_it():
    """stop_at_deadline stops once the scope's deadline passed; the
    default sleep is cut at it, so a long wait cannot overrun it."""
    calls = []

    def failing():
        calls.append(time.monotonic())
        raise KeyError("x")

    retrying = backoff.Retrying(
        stop=backoff.stop_after_attempt(100) | backoff.stop_at_deadline(),
        wait=backoff.wait_fixed(10))
    start = time.monotonic()
    with backoff.deadline_scope(start + 0.3):
        with pytest.raises(KeyError):
            retrying(failing)
    assert time.monotonic() - start < 1.0
    assert len(calls) == 2


def test_bounded_timeout_cuts_to_the_time_left_and_refuses_after():
    assert backoff.bounded_timeout(5, "x") == 5
    with backoff.deadline_scope(time.monotonic() + 1):
        assert 0 < backoff.bounded_timeout(5, "x") <= 1
        assert backoff.bounded_timeout(0.1, "x") == 0.1
    with backoff.deadline_scope(time.monotonic() - 1):
        with pytest.raises(pvmex.DeadlineExceeded, match="x"):
            backoff.bounded_timeout(5, "x")


def test_deadline_scopes_nest_earliest_wins():
    now = time.monotonic()
    with backoff.deadline_scope(now + 10):
        with backoff.deadline_scope(now + 20):
            assert backoff.current_deadline() == now + 10
        with backoff.deadline_scope(now + 1):
            assert backoff.current_deadline() == now + 1
        assert backoff.current_deadline() == now + 10
    assert backoff.current_deadline() is None
