"""Unit tests of pypvm_tx.retry (SPEC R1, R2).

Nothing here really sleeps: delays are NO_DELAY, recorded fakes, or run
with ``time.sleep`` patched.
"""

import logging
from unittest import mock

import pytest

from pypvm_tx import adapter, retry
from pypvm_tx import exceptions as pvmex


def http_error(status, path="/rest/api/uom/LogicalPartition/abc"):
    resp = adapter.Response("POST", path, status, "reason", {})
    return pvmex.http_error_for(resp)


class Scripted:
    """A callable that raises / returns the scripted outcomes in order."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        outcome = self.outcomes.pop(0) if self.outcomes else "done"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


# ---------------------------------------------------------------- R1 -------

def test_r1_default_three_tries_then_last_412_propagates():
    """R1: default tries=3; after the last try the HttpError propagates."""
    errors = [http_error(412) for _ in range(3)]
    func = Scripted(*errors)
    with pytest.raises(pvmex.HttpError) as info:
        retry.retry()(func)()
    assert len(func.calls) == 3
    assert info.value is errors[-1]


def test_r1_success_after_retries_returns_value():
    """R1: a later success returns its value."""
    func = Scripted(http_error(412), http_error(412), "ok")
    assert retry.retry(tries=5)(func)("a", k=1) == "ok"
    assert func.calls == [(("a",), {"k": 1})] * 3


def test_r1_1_other_http_status_propagates_at_once():
    """R1.1: an HttpError whose status is not in http_codes is not retried."""
    func = Scripted(http_error(404), "never")
    with pytest.raises(pvmex.HttpNotFound):
        retry.retry(tries=5)(func)()
    assert len(func.calls) == 1


def test_r1_1_custom_http_codes():
    """R1.1: http_codes chooses the retried statuses."""
    func = Scripted(http_error(503), http_error(500), "ok")
    assert retry.retry(tries=5, http_codes={500, 503})(func)() == "ok"
    func = Scripted(http_error(412), "never")
    with pytest.raises(pvmex.HttpError):
        retry.retry(tries=5, http_codes=(503,))(func)()
    assert len(func.calls) == 1


def test_r1_1_test_func_alone_decides_for_http_errors():
    """R1.1: with test_func, any HttpError status is offered to it."""
    seen = []

    def test_func(exc, try_, tries, *args, **kwargs):
        seen.append((exc.response.status, try_, tries, args, kwargs))
        return exc.response.status == 404

    func = Scripted(http_error(404), http_error(412), "never")
    with pytest.raises(pvmex.HttpError) as info:
        retry.retry(tries=5, test_func=test_func)(func)("x", y=2)
    assert info.value.response.status == 412
    assert len(func.calls) == 2
    assert seen == [(404, 1, 5, ("x",), {"y": 2}),
                    (412, 2, 5, ("x",), {"y": 2})]


def test_r1_1_test_func_decides_for_retry_except():
    """R1.1: test_func also decides for retry_except exceptions."""
    func = Scripted(KeyError("a"), KeyError("b"), "never")
    with pytest.raises(KeyError):
        retry.retry(tries=5, retry_except=KeyError,
                    test_func=lambda exc, *a, **k: exc.args[0] == "a")(func)()
    assert len(func.calls) == 2


def test_r1_2_retry_except_class_and_tuple():
    """R1.2: retry_except as a class or a tuple is retried."""
    func = Scripted(KeyError(), "ok")
    assert retry.retry(retry_except=KeyError)(func)() == "ok"
    func = Scripted(KeyError(), IndexError(), "ok")
    assert retry.retry(retry_except=(KeyError, IndexError))(func)() == "ok"


def test_r1_2_other_exceptions_propagate_at_once():
    """R1.2: exceptions outside retry_except are never retried."""
    func = Scripted(ValueError("boom"), "never")
    with pytest.raises(ValueError, match="boom"):
        retry.retry(tries=5, retry_except=KeyError)(func)()
    assert len(func.calls) == 1


def test_r1_3_resp_checker_retries_without_exception():
    """R1.3: resp_checker truthy → retry; the last try's response returns."""
    seen = []

    def checker(resp, try_, tries, *args, **kwargs):
        seen.append((resp, try_, tries, args, kwargs))
        return resp != "good"

    func = Scripted("bad", "good")
    assert retry.retry(tries=3, resp_checker=checker)(func)(1, z=3) == "good"
    assert seen == [("bad", 1, 3, (1,), {"z": 3}),
                    ("good", 2, 3, (1,), {"z": 3})]
    func = Scripted("bad1", "bad2", "bad3")
    assert retry.retry(tries=3, resp_checker=lambda *a, **k: True)(
        func)() == "bad3"
    assert len(func.calls) == 3


def test_r1_3_resp_checker_sees_last_response_and_may_refuse_it():
    """R1.3: the checker is also called on the last try: truthy there still
    returns the response, and raising refuses it (pypowervm's contract)."""
    seen = []

    def checker(resp, try_, tries, *args, **kwargs):
        seen.append((resp, try_))
        return True

    func = Scripted("r1", "r2")
    assert retry.retry(tries=2, resp_checker=checker)(func)() == "r2"
    assert seen == [("r1", 1), ("r2", 2)]

    def strict(resp, try_, tries, *args, **kwargs):
        if try_ == tries:
            raise Limit("still bad after %d tries" % tries)
        return True

    func = Scripted("bad", "bad")
    with pytest.raises(Limit, match="after 2 tries"):
        retry.retry(tries=2, resp_checker=strict)(func)()
    assert len(func.calls) == 2


def test_r1_4_delay_then_argmod_before_each_retry():
    """R1.4: delay_func then argmod_func run before each retry, with args."""
    events = []

    def delay(try_, tries, *args, **kwargs):
        events.append(("delay", try_, tries, args, kwargs))

    def argmod(try_, tries, *args, **kwargs):
        events.append(("argmod", try_, tries, args, kwargs))
        return [args[0] + 1], dict(kwargs, n=try_)

    func = Scripted(http_error(412), http_error(412), "ok")
    assert retry.retry(tries=3, delay_func=delay, argmod_func=argmod)(func)(
        10) == "ok"
    assert events == [
        ("delay", 1, 3, (10,), {}), ("argmod", 1, 3, (10,), {}),
        ("delay", 2, 3, (11,), {"n": 1}), ("argmod", 2, 3, (11,), {"n": 1})]
    assert [call[0] for call in func.calls] == [(10,), (11,), (12,)]


def test_r1_4_no_delay_after_last_try():
    """R1.4: no delay runs once the tries are exhausted."""
    delay = mock.Mock()
    func = Scripted(*[http_error(412)] * 2)
    with pytest.raises(pvmex.HttpError):
        retry.retry(tries=2, delay_func=delay)(func)()
    assert delay.call_count == 1


class Limit(Exception):
    pass


def test_r1_5_limit_except_when_tries_exhausted():
    """R1.5: limit_except replaces the last exception when tries run out."""
    last = http_error(412)
    func = Scripted(http_error(412), last)
    with pytest.raises(Limit) as info:
        retry.retry(tries=2, limit_except=Limit("enough"))(func)()
    assert info.value.__cause__ is last
    func = Scripted(KeyError(), KeyError())
    with pytest.raises(Limit):
        retry.retry(tries=2, retry_except=KeyError, limit_except=Limit)(func)()


def test_r1_5_limit_except_when_test_func_declines():
    """R1.5: limit_except is raised when test_func declines to retry."""
    func = Scripted(http_error(412), "never")
    with pytest.raises(Limit):
        retry.retry(tries=5, test_func=lambda *a, **k: False,
                    limit_except=Limit())(func)()
    assert len(func.calls) == 1


def test_r1_5_limit_except_not_used_for_unretried_errors():
    """R1.5/R1.1: errors that are not retried propagate as they are."""
    func = Scripted(http_error(404))
    with pytest.raises(pvmex.HttpNotFound):
        retry.retry(limit_except=Limit())(func)()
    func = Scripted(ValueError())
    with pytest.raises(ValueError):
        retry.retry(limit_except=Limit())(func)()


def test_r1_6_each_retry_logged_at_warning(caplog):
    """R1.6: each retry logs a warning with try number, total and cause."""
    func = Scripted(http_error(412, path="/p/q"), KeyError("kk"), "ok")
    with caplog.at_level(logging.WARNING, logger="pypvm_tx.retry"):
        retry.retry(tries=4, retry_except=KeyError)(func)()
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "Try 1 of 4" in warnings[0] and "412" in warnings[0]
    assert "/p/q" in warnings[0]
    assert "Try 2 of 4" in warnings[1] and "KeyError" in warnings[1]


def test_r1_preserves_function_metadata():
    """R1: the decorated function keeps its name and docstring."""
    @retry.retry()
    def documented():
        """Doc."""

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Doc."


@pytest.mark.parametrize("kwargs, exc_type, words", [
    ({"tries": 0}, ValueError, "at least 1"),
    ({"tries": "3"}, ValueError, "integer"),
    ({"delay_func": 5}, TypeError, "delay_func must be callable"),
    ({"argmod_func": "x"}, TypeError, "argmod_func must be callable"),
    ({"test_func": 1}, TypeError, "test_func must be callable"),
    ({"resp_checker": 1}, TypeError, "resp_checker must be callable"),
    ({"retry_except": "KeyError"}, TypeError, "exception class"),
    ({"retry_except": (KeyError, 3)}, TypeError, "exception class"),
    ({"http_codes": 412}, TypeError, "collection"),
])
def test_r1_bad_options_say_what_is_accepted(kwargs, exc_type, words):
    """R1: bad options raise with a message naming what is accepted."""
    with pytest.raises(exc_type, match=words):
        retry.retry(**kwargs)


# ---------------------------------------------------------------- R2 -------

def test_r2_no_delay_and_no_argmod():
    """R2: NO_DELAY does nothing; NO_ARGMOD returns the arguments."""
    with mock.patch("time.sleep") as sleep:
        assert retry.NO_DELAY(1, 3, "a") is None
    sleep.assert_not_called()
    assert retry.NO_ARGMOD(1, 3, "a", b=1) == (("a",), {"b": 1})


def test_r2_stepped_delay_steps():
    """R2: STEPPED_DELAY waits 0, 0.5, 2, 6.5, 20, then 30 s."""
    waits = []
    with mock.patch("time.sleep", side_effect=waits.append):
        for attempt in range(1, 9):
            retry.STEPPED_DELAY(attempt, 10, "arg")
    # Called directly, it sleeps once per call, as the peer's does: the 0 s
    # step is time.sleep(0) (issue 9: pypowervm's own retry tests).
    assert waits == [0, 0.5, 2.0, 6.5, 20.0, 30.0, 30.0, 30.0]


def test_r2_stepped_random_delay_first_ten_of_sixty_immediate():
    """R2: with 60 tries the first ten retries are immediate (a direct
    call still sleeps once, for 0 s, as the peer's does)."""
    with mock.patch("time.sleep") as sleep:
        for attempt in range(1, 11):
            retry.STEPPED_RANDOM_DELAY(attempt, 60)
    assert sleep.call_args_list == [mock.call(0)] * 10
    with mock.patch("time.sleep") as sleep:
        retry.NO_DELAY(1, 60)
    sleep.assert_not_called()


@pytest.mark.parametrize("attempt, expected", [
    (1, (0.0, 0.0)), (10, (0.0, 0.0)), (11, (0.0, 1.0)), (20, (0.0, 1.0)),
    (21, (0.5, 4.0)), (30, (0.5, 4.0)), (31, (2.0, 13.0)), (40, (2.0, 13.0)),
    (41, (6.5, 30.0)), (50, (6.5, 30.0)), (51, (0.0, 60.0)),
    (60, (0.0, 60.0)), (99, (0.0, 60.0)),
])
def test_r2_stepped_random_ranges_step_with_fraction(attempt, expected):
    """R2: the STEPPED_RANDOM_DELAY range steps per sixth of the tries."""
    assert retry.stepped_random_range(attempt, 60) == expected


@pytest.mark.parametrize("tries, expected", [
    (6, [(0.0, 0.0), (0.0, 1.0), (0.5, 4.0), (2.0, 13.0), (6.5, 30.0),
         (0.0, 60.0)]),
    (3, [(0.0, 0.0), (0.5, 4.0), (6.5, 30.0)]),
    (1, [(0.0, 0.0)]),
    (12, [(0.0, 0.0)] * 2 + [(0.0, 1.0)] * 2 + [(0.5, 4.0)] * 2
     + [(2.0, 13.0)] * 2 + [(6.5, 30.0)] * 2 + [(0.0, 60.0)] * 2),
])
def test_r2_stepped_random_ranges_by_fraction_of_tries_used(tries, expected):
    """R2: the step is the sixth that (try - 1) / tries falls in, whatever
    the number of tries, so the first retry is always immediate."""
    assert [retry.stepped_random_range(attempt, tries)
            for attempt in range(1, tries + 1)] == expected


def test_r2_stepped_random_delay_sleeps_within_range():
    """R2: the wait drawn lies within the step's range."""
    waits = []
    with mock.patch("time.sleep", side_effect=waits.append):
        for _ in range(50):
            retry.STEPPED_RANDOM_DELAY(35, 60)
    assert len(waits) == 50
    assert all(2.0 <= w <= 13.0 for w in waits)
    assert len(set(waits)) > 1


def test_r2_gen_random_delay_bounds():
    """R2: gen_random_delay(min_s, max_s) waits within the bounds."""
    delay = retry.gen_random_delay(1, 2)
    waits = []
    with mock.patch("time.sleep", side_effect=waits.append):
        for attempt in range(1, 30):
            delay(attempt, 30, "x", y=1)
    assert all(1 <= w <= 2 for w in waits) and len(waits) == 29
    default = retry.gen_random_delay()
    with mock.patch("time.sleep", side_effect=waits.append):
        default(1, 3)
    assert 0 <= waits[-1] <= 10


@pytest.mark.parametrize("bounds", [(-1, 2), (3, 2), (0, -0.5)])
def test_r2_gen_random_delay_rejects_bad_bounds(bounds):
    """R2: bad bounds say what is accepted."""
    with pytest.raises(ValueError, match="0 <= min_s <= max_s"):
        retry.gen_random_delay(*bounds)


def test_r2_refresh_wrapper_refreshes_first_arg_without_etag():
    """R2: refresh_wrapper replaces arg 0 with arg.refresh(use_etag=False)."""
    wrapper = mock.Mock()
    args, kwargs = retry.refresh_wrapper(1, 3, wrapper, "b", c=1)
    wrapper.refresh.assert_called_once_with(use_etag=False)
    assert list(args) == [wrapper.refresh.return_value, "b"]
    assert kwargs == {"c": 1}


def test_r2_refresh_wrapper_as_retry_argmod():
    """R2: refresh_wrapper works as @retry's argmod_func."""
    fresh = mock.Mock(name="fresh")
    stale = mock.Mock(name="stale")
    stale.refresh.return_value = fresh
    func = Scripted(http_error(412), "ok")
    retry.retry(argmod_func=retry.refresh_wrapper)(func)(stale)
    assert func.calls[1][0][0] is fresh


# ------------------------------------------------------- deadline sleeps ---

def test_sleep_is_capped_by_deadline_scope():
    """T1.7 support: sleeps end at the deadline; scopes nest (earliest)."""
    waits = []
    with mock.patch("time.monotonic", return_value=100.0), \
            mock.patch("time.sleep", side_effect=waits.append):
        retry.sleep(5)
        with retry.deadline_scope(102.0):
            retry.sleep(5)
            retry.STEPPED_DELAY(5, 6)
            with retry.deadline_scope(150.0):
                retry.sleep(5)
            with retry.deadline_scope(101.0):
                retry.sleep(5)
            retry.sleep(1)
        with retry.deadline_scope(99.0):
            retry.sleep(5)
        retry.sleep(3)
    assert waits == [5, 2.0, 2.0, 2.0, 1.0, 1, 3]
    assert retry.sleep_deadline() is None
