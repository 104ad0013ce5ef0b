"""Unit tests of deadlines that bound a whole transaction (SPEC T1.7 rev 2;
issue 7 scope 4): the lock wait, the getter's GET, every call, every
delay (whatever the delay function does), each refresh and the POST.

The REST calls are mocked by :class:`SlowWrapper`, which models the
Session's contract in a deadline scope: a request's timeout is
``backoff.bounded_timeout(timeout, what)`` (which raises DeadlineExceeded
when no time is left), and a request whose timeout was cut by the
deadline raises DeadlineExceeded when that timeout fires.  The functional
test against the emulator is the integrator's.
"""

import builtins
import threading
import time
from unittest import mock

import pytest

from pypvm_tx import adapter as adp
from pypvm_tx import backoff, locks, retry
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from pypvm_tx.wrappers import entry_wrapper as ewrap
from tests.unit import tx_fakes
from tests.unit.tx_fakes import run_bounded

UUID = "0A1B2C3D-0000-4000-8000-000000000001"


def http_412():
    return pvmex.http_error_for(adp.Response("POST", "/p", 412, "PF", {}))


def slow_request(seconds, what):
    """A REST call answered in ``seconds``, as the Session makes it."""
    timeout = backoff.bounded_timeout(seconds, what)
    time.sleep(timeout)
    if timeout < seconds:
        raise pvmex.DeadlineExceeded("%s: the deadline cut its timeout"
                                     % what)


class SlowWrapper:
    """The wrapper protocol, with REST calls that take ``update_s`` /
    ``refresh_s`` seconds; the first ``conflicts`` updates answer 412."""

    def __init__(self, uuid=UUID, update_s=0.0, refresh_s=0.0, conflicts=0,
                 log=None):
        self.uuid = uuid
        self.etag = "1"
        self.update_s = update_s
        self.refresh_s = refresh_s
        self.conflicts = conflicts
        self.log = [] if log is None else log

    def update(self, timeout=-1):
        self.log.append("update")
        slow_request(self.update_s, "POST")
        if self.conflicts:
            self.conflicts -= 1
            raise http_412()
        return self

    def refresh(self, use_etag=True):
        self.log.append("refresh")
        slow_request(self.refresh_s, "GET")
        return self


class SlowGetter(ewrap.EntryWrapperGetter):
    def __init__(self, wrapper, get_s):
        self.entry_uuid = wrapper.uuid
        self.wrapper = wrapper
        self.get_s = get_s

    def get(self):
        slow_request(self.get_s, "GET")
        return self.wrapper


def post(wrapper):
    return wrapper.update()


def timed(func):
    """``(exception raised, seconds taken)`` of ``func()``, bounded."""
    start = time.monotonic()
    with pytest.raises(Exception) as info:
        run_bounded(func)
    return info.value, time.monotonic() - start


def assert_deadline_error(exc, tries, deadline):
    assert isinstance(exc, pvmex.DeadlineExceeded), repr(exc)
    assert isinstance(exc, builtins.TimeoutError)
    assert isinstance(exc, pvmex.TimeoutError)
    assert isinstance(exc, pvmex.Error)
    assert (exc.uuid, exc.tries, exc.deadline) == (UUID, tries, deadline)
    text = str(exc)
    assert UUID in text and str(deadline) in text and str(tries) in text


# --------------------------------------------- every REST call is bounded --

def test_t1_7_deadline_cuts_a_slow_post():
    """T1.7 rev 2 (issue 7 scope 4 acceptance, mocked): deadline=0.5
    against a POST answered in 1.5 s raises DeadlineExceeded in under 1 s,
    naming the UUID, the tries made and the deadline, chained to the
    Session's error."""
    transact = tx.entry_transaction(deadline=0.5)(post)
    exc, took = timed(lambda: transact(SlowWrapper(update_s=1.5)))
    assert took < 1
    assert_deadline_error(exc, tries=1, deadline=0.5)
    assert isinstance(exc.__cause__, pvmex.DeadlineExceeded)
    assert exc.__cause__.uuid is None


def test_t1_7_deadline_cuts_a_slow_refresh():
    """T1.7 rev 2: a refresh after a 412 is bounded by the time left."""
    log = []
    wrapper = SlowWrapper(refresh_s=1.5, conflicts=1, log=log)
    transact = tx.entry_transaction(deadline=0.5,
                                    delay_func=retry.NO_DELAY)(post)
    exc, took = timed(lambda: transact(wrapper))
    assert took < 1
    assert_deadline_error(exc, tries=1, deadline=0.5)
    assert log == ["update", "refresh"]


def test_t1_7_deadline_cuts_the_getters_get():
    """T1.7 rev 2: the getter's GET, made under the lock, is bounded too;
    the function is never called."""
    func = mock.Mock()
    transact = tx.entry_transaction(deadline=0.5)(func)
    exc, took = timed(lambda: transact(SlowGetter(SlowWrapper(), 1.5)))
    assert took < 1
    assert_deadline_error(exc, tries=0, deadline=0.5)
    func.assert_not_called()


def test_t1_7_no_call_starts_once_no_time_is_left():
    """T1.7 rev 2: a REST call asked for after the deadline is refused
    (bounded_timeout raises) and reported as the transaction's deadline."""
    def late(wrapper):
        time.sleep(0.3)
        return wrapper.update()

    log = []
    transact = tx.entry_transaction(deadline=0.2)(late)
    exc, took = timed(lambda: transact(SlowWrapper(log=log)))
    assert_deadline_error(exc, tries=1, deadline=0.2)
    assert log == ["update"] and took < 1


def test_t1_7_success_after_the_deadline_is_not_reported():
    """T1.7 rev 2: a function that returns after the deadline raises
    DeadlineExceeded, not its value, and says the change may be in."""
    def slow(wrapper):
        time.sleep(0.3)
        return "done"

    exc, _took = timed(lambda: tx.entry_transaction(deadline=0.1)(slow)(
        SlowWrapper()))
    assert_deadline_error(exc, tries=1, deadline=0.1)
    assert "may have" in str(exc)


def test_t1_7_transport_timeout_after_the_deadline_is_a_deadline_error():
    """T1.7 rev 2: a pvmex.TimeoutError raised once the deadline has passed
    becomes DeadlineExceeded (chained); one raised before it, or without a
    deadline, propagates as it is."""
    def times_out_late(wrapper):
        time.sleep(0.25)
        raise pvmex.TimeoutError("read timed out")

    exc, _took = timed(lambda: tx.entry_transaction(deadline=0.2)(
        times_out_late)(SlowWrapper()))
    assert_deadline_error(exc, tries=1, deadline=0.2)
    assert str(exc.__cause__) == "read timed out"

    early = pvmex.TimeoutError("read timed out")
    func = mock.Mock(side_effect=early)
    with pytest.raises(pvmex.TimeoutError) as info:
        tx.entry_transaction(deadline=30)(func)(SlowWrapper())
    assert info.value is early
    with pytest.raises(pvmex.TimeoutError) as info:
        tx.entry_transaction(func)(SlowWrapper())
    assert info.value is early


def test_t1_7_nested_transactions_deadline_error_propagates_as_is():
    """T1.7 rev 2: an inner transaction's DeadlineExceeded (it names its
    own entry) passes through an outer one with a later deadline."""
    inner_uuid = "0A1B2C3D-0000-4000-8000-000000000002"
    inner = tx.entry_transaction(deadline=0.2)(post)

    def outer(wrapper):
        return inner(SlowWrapper(uuid=inner_uuid, update_s=1.5))

    exc, took = timed(lambda: tx.entry_transaction(deadline=30)(outer)(
        SlowWrapper()))
    assert isinstance(exc, pvmex.DeadlineExceeded)
    assert (exc.uuid, exc.deadline) == (inner_uuid, 0.2)
    assert took < 1


# ------------------------------------------------------------------ delays --

def test_t1_7_delay_func_that_sleeps_itself_cannot_overrun():
    """T1.7 rev 2 (issue 7 scope 4): a peer-style delay_func calling
    time.sleep(5) with deadline=0.3 ends in under 1 s with DeadlineExceeded
    (the 412 that asked for the redrive chained)."""
    def peer_delay(*args, **kwargs):
        time.sleep(5)

    transact = tx.entry_transaction(deadline=0.3, delay_func=peer_delay)(post)
    exc, took = timed(lambda: transact(SlowWrapper(conflicts=5)))
    assert took < 1
    assert_deadline_error(exc, tries=1, deadline=0.3)


def test_t1_7_delay_func_errors_and_arguments_pass_through():
    """T1.7: a foreign delay_func still gets (try, tries, wrapper) and its
    exception propagates, with or without a deadline."""
    seen = []

    def delay(try_, tries, wrapper, *args, **kwargs):
        seen.append((try_, tries, wrapper.uuid, threading.get_ident()))
        raise KeyError("delay broke")

    for deadline in (None, 30):
        transact = tx.entry_transaction(tries=3, deadline=deadline,
                                        delay_func=delay)(post)
        with pytest.raises(KeyError, match="delay broke"):
            transact(SlowWrapper(conflicts=5))
    assert [s[:3] for s in seen] == [(1, 3, UUID)] * 2


def test_t1_7_412_redrive_stops_at_the_deadline_with_deadline_error():
    """T1.7 rev 2: redrives that run into the deadline end with
    DeadlineExceeded chained to the last 412; tries running out first
    still give the 412 (T1.4)."""
    transact = tx.entry_transaction(
        deadline=0.3, delay_func=retry.gen_random_delay(0.1, 0.1))(post)
    exc, took = timed(lambda: transact(SlowWrapper(conflicts=100)))
    assert isinstance(exc, pvmex.DeadlineExceeded) and took < 1
    assert exc.tries >= 2 and exc.uuid == UUID
    assert exc.__cause__.response.status == 412
    with pytest.raises(pvmex.HttpError):
        tx.entry_transaction(tries=2, deadline=30,
                             delay_func=retry.NO_DELAY)(post)(
            SlowWrapper(conflicts=100))


# -------------------------------------------------------------- lock wait --

def test_t1_7_lock_wait_past_the_deadline_is_a_deadline_error():
    """T1.7 rev 2: the lock wait gets the time left; running out of it
    raises DeadlineExceeded (chained to LockTimeout), the function unrun."""
    provider = locks.InProcessLockProvider()
    handle = provider.acquire(UUID)
    try:
        func = mock.Mock()
        exc, took = timed(lambda: tx.entry_transaction(
            deadline=0.2, lock_provider=provider)(func)(SlowWrapper()))
        assert_deadline_error(exc, tries=0, deadline=0.2)
        assert isinstance(exc.__cause__, locks.LockTimeout)
        assert took < 1
        func.assert_not_called()
    finally:
        provider.release(handle)


# ------------------------------------------------------- WrapperTask, T5 --

def test_t1_7_feedtask_entry_past_its_deadline_is_failed():
    """T1.7/T5.12: a FeedTask's deadline bounds each entry's transaction;
    an entry whose POST is cut fails with DeadlineExceeded naming it."""
    server = FakeConsole(count=2)
    slow_uuid = server.uuids[0]
    real_update = server.update_by_path

    def update_by_path(data, etag, path, timeout=-1):
        if slow_uuid in path:
            slow_request(1.5, "POST")
        return real_update(data, etag, path, timeout=timeout)

    server.update_by_path = update_by_path
    ftsk = tx.FeedTask("f", server.feed(), deadline=0.3)
    ftsk.add_functor_subtask(lambda w: tx_fakes.set_name(w, "new") or True)
    start = time.monotonic()
    with pytest.raises(pvmex.DeadlineExceeded) as info:
        run_bounded(ftsk.execute)
    assert time.monotonic() - start < 1
    assert info.value.uuid == slow_uuid
    outcomes = info.value.outcomes
    assert outcomes[slow_uuid].status == "failed"
    assert outcomes[server.uuids[1]].status == "updated"


def test_retry_keeps_its_deadline_names():
    """R2: retry still offers the deadline helpers it re-exported."""
    assert retry.deadline_scope is backoff.deadline_scope
    assert retry.sleep is backoff.sleep
    assert retry.sleep_deadline is backoff.current_deadline


def test_t1_7_feedtask_entry_finished_late_is_failed_with_its_wrapper():
    """T1.7/T5.12 rev 2: an entry whose POST succeeded only after the
    deadline is not reported as a success: 'failed' with a DeadlineExceeded
    saying the change may be in, and the wrapper the POST returned."""
    server = FakeConsole(count=1)
    uuid = server.uuids[0]

    def slow_rename(wrapper):
        time.sleep(0.3)
        tx_fakes.set_name(wrapper, "late")
        return True

    ftsk = tx.FeedTask("f", server.feed(), deadline=0.2)
    ftsk.add_functor_subtask(slow_rename)
    with pytest.raises(pvmex.DeadlineExceeded, match="may have") as info:
        run_bounded(ftsk.execute)
    outcome = info.value.outcomes[uuid]
    assert outcome.status == "failed" and outcome.exception is info.value
    assert tx_fakes.name_of(outcome.wrapper) == "late"
    assert server.objects[uuid][1] == "late"


def test_t1_7_t5_12_post_cut_by_the_deadline_after_sending_is_unknown():
    """T1.7/T5.12 rev 2: a POST sent whose timeout, cut by the deadline,
    fires (DeadlineExceeded with request_sent) cannot be re-read in time:
    the entry is 'unknown' with DeadlineExceeded naming it."""
    server = FakeConsole(count=1)
    uuid = server.uuids[0]

    def update_by_path(data, etag, path, timeout=-1):
        try:
            slow_request(1.5, "POST")
        except pvmex.DeadlineExceeded as exc:
            exc.request_sent = True
            raise

    real_read = server.read_by_href

    def read_by_href(href, etag=None, timeout=-1):
        backoff.bounded_timeout(timeout, "GET")  # as the Session does
        return real_read(href, etag=etag, timeout=timeout)

    server.update_by_path = update_by_path
    server.read_by_href = read_by_href
    ftsk = tx.FeedTask("f", server.feed(), deadline=0.3)
    ftsk.add_functor_subtask(lambda w: tx_fakes.set_name(w, "new") or True)
    with pytest.raises(pvmex.DeadlineExceeded) as info:
        run_bounded(ftsk.execute)
    assert info.value.uuid == uuid and info.value.tries == 1
    assert info.value.outcomes[uuid].status == "unknown"
    assert server.count("refresh", uuid) == 0  # no time left to re-read
