"""Unit tests of entry_transaction, Subtask, FunctorSubtask and WrapperTask
(SPEC T1-T4), with real threads, real EntryWrappers and a mocked adapter.

FeedTask and ContextThreadPoolExecutor (T5, T6) are in
test_transaction_feed.py.
"""

import logging
import threading
import time
from unittest import mock

import pytest
import taskflow.engines
from taskflow.patterns import linear_flow

from pypvm_tx import adapter as adp
from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks, retry
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from pypvm_tx.wrappers import entry_wrapper as ewrap
from tests.unit.tx_fakes import name_of, run_bounded, set_name

WAIT = 10  # seconds: every wait is bounded so a bug fails, never hangs


def http_412():
    return pvmex.http_error_for(adp.Response("POST", "/p", 412, "PF", {}))


class RecordingProvider(locks.LockProvider):
    def __init__(self, events=None):
        self.inner = locks.InProcessLockProvider()
        self.events = [] if events is None else events

    def _acquire(self, name, uuid, timeout):
        handle = self.inner._acquire(name, uuid, timeout)
        self.events.append("lock")
        return handle

    def _release(self, handle):
        self.events.append("unlock")
        self.inner._release(handle)


@pytest.fixture
def server():
    return FakeConsole(count=3)


# ==========================================================================
# T1 entry_transaction
# ==========================================================================

def test_t1_1_t1_6_returns_value_and_passes_arguments(server):
    """T1.1/T1.6: the function gets the wrapper and arguments; returns."""
    wrapper = server.wrapper(server.uuids[0])

    @tx.entry_transaction
    def func(wrp, a, b=None):
        return wrp, a, b

    assert func(wrapper, 1, b=2) == (wrapper, 1, 2)
    assert not locks.is_held(wrapper.uuid)


def test_t1_1_same_uuid_serialises_across_threads(server):
    """T1.1: calls on the same UUID never overlap."""
    uuid = server.uuids[0]
    inside = []
    most = []

    @tx.entry_transaction
    def func(wrp):
        inside.append(1)
        most.append(len(inside))
        time.sleep(0.005)
        inside.pop()

    threads = [threading.Thread(target=func, args=(server.getter(uuid),))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(most) == 8 and max(most) == 1


def test_t1_1_different_uuids_overlap(server):
    """T1.1: calls on different UUIDs run at the same time."""
    meet = threading.Barrier(3, timeout=WAIT)

    @tx.entry_transaction
    def func(wrp):
        meet.wait()  # raises BrokenBarrierError unless all 3 are inside
        return True

    results = []
    threads = [threading.Thread(target=lambda u=u: results.append(
        func(server.wrapper(u)))) for u in server.uuids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert results == [True, True, True]


def test_t1_2_nested_same_uuid_call_does_not_deadlock(server):
    """T1.2/T1.8: a nested call on a held UUID (any case) does not lock."""
    uuid = server.uuids[0]
    events = []
    provider = RecordingProvider(events)

    @tx.entry_transaction(lock_provider=provider)
    def inner(wrp):
        events.append("inner")
        return "inner-done"

    @tx.entry_transaction(lock_provider=provider)
    def outer(wrp):
        events.append("outer")
        return inner(server.getter(uuid.upper()))

    assert run_bounded(lambda: outer(server.wrapper(uuid))) == "inner-done"
    assert events == ["lock", "outer", "inner", "unlock"]


def test_t1_3_getter_resolved_after_lock(server):
    """T1.3: the getter's GET happens under the lock; func gets a wrapper."""
    uuid = server.uuids[1]
    getter = server.getter(uuid)
    seen = {}
    real_get = getter.get

    def get(*args, **kwargs):
        seen["held_at_get"] = locks.is_held(uuid)
        return real_get(*args, **kwargs)

    getter.get = get

    @tx.entry_transaction
    def func(wrp):
        seen["type"] = type(wrp)
        return wrp.uuid

    assert func(getter) == uuid
    assert seen["held_at_get"] is True
    assert issubclass(seen["type"], ewrap.EntryWrapper)


def test_t1_4_412_refreshes_without_etag_and_redrives(server):
    """T1.4: on 412 the wrapper is refreshed (use_etag=False) and the
    function called again with the fresh wrapper and the same arguments."""
    uuid = server.uuids[0]
    stale = server.wrapper(uuid)
    server.bump(uuid, name="changed-out-of-band")
    calls = []

    @tx.entry_transaction(delay_func=retry.NO_DELAY)
    def rename(wrp, new_name, suffix=""):
        calls.append((name_of(wrp), new_name, suffix))
        set_name(wrp, new_name + suffix)
        return wrp.update()

    result = rename(stale, "mine", suffix="!")
    assert calls == [("vm0", "mine", "!"),
                     ("changed-out-of-band", "mine", "!")]
    assert name_of(result) == "mine!"
    assert server.objects[uuid][1] == "mine!"
    # The refresh was a full GET (no If-None-Match), as use_etag=False asks.
    assert server.count("refresh", uuid) == 1


def test_t1_4_refresh_called_with_use_etag_false():
    """T1.4: the refresh is refresh(use_etag=False)."""
    wrapper = mock.create_autospec(ewrap.EntryWrapper, instance=True)
    wrapper.uuid = "u-1"
    fresh = wrapper.refresh.return_value
    func = mock.Mock(side_effect=[http_412(), "ok"])
    assert tx.entry_transaction(func)(wrapper, 7) == "ok"
    wrapper.refresh.assert_called_once_with(use_etag=False)
    assert func.call_args_list == [mock.call(wrapper, 7), mock.call(fresh, 7)]


def test_t1_4_other_exceptions_propagate_at_once(server):
    """T1.4: non-412 errors (HTTP or not) are not retried."""
    wrapper = server.wrapper(server.uuids[0])
    not_found = pvmex.http_error_for(adp.Response("GET", "/p", 404, "NF", {}))
    for error in (not_found, KeyError("x")):
        func = mock.Mock(side_effect=error)
        with pytest.raises(type(error)):
            tx.entry_transaction(func)(wrapper)
        assert func.call_count == 1
    assert server.count("refresh") == 0


def test_t1_4_default_policy_sixty_calls_then_412(server):
    """T1.4: by default at most 60 calls with STEPPED_RANDOM_DELAY, then
    the 412 propagates (sleeps patched: the suite never waits)."""
    wrapper = server.wrapper(server.uuids[0])
    func = mock.Mock(side_effect=http_412())
    with mock.patch("time.sleep") as sleep:
        with pytest.raises(pvmex.HttpError) as info:
            tx.entry_transaction(func)(wrapper)
    assert info.value.response.status == 412
    assert func.call_count == 60
    assert server.count("refresh") == 59
    # STEPPED_RANDOM_DELAY: the first ten retries are immediate.
    assert 0 < sleep.call_count <= 49
    assert tx.DEFAULT_TRIES == 60
    assert tx.DEFAULT_DELAY is retry.STEPPED_RANDOM_DELAY


@pytest.mark.parametrize("with_getter", [True, False])
def test_t1_5_observable_order(server, with_getter):
    """T1.5: lock, get, call, refresh, call, refresh, call, unlock (no get
    for a wrapper)."""
    events = []
    provider = RecordingProvider(events)
    uuid = server.uuids[0]
    first = server.getter(uuid) if with_getter else server.wrapper(uuid)
    real_get = server.read
    real_refresh = server.read_by_href

    def get(*args, **kwargs):
        events.append("get")
        return real_get(*args, **kwargs)

    def refresh(*args, **kwargs):
        events.append("refresh")
        return real_refresh(*args, **kwargs)

    server.read = get
    server.read_by_href = refresh
    func_results = [http_412(), http_412(), "done"]

    @tx.entry_transaction(lock_provider=provider, delay_func=retry.NO_DELAY)
    def func(wrp):
        events.append("call")
        result = func_results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    assert func(first) == "done"
    expected = ["lock", "get", "call", "refresh", "call", "refresh", "call",
                "unlock"]
    if not with_getter:
        expected.remove("get")
    assert events == expected


def test_t1_6_lock_released_when_function_raises(server):
    """T1.6: the lock is released on every path, exceptions included."""
    wrapper = server.wrapper(server.uuids[0])
    provider = locks.InProcessLockProvider()

    @tx.entry_transaction(lock_provider=provider)
    def boom(wrp):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        boom(wrapper)
    assert not locks.is_held(wrapper.uuid)
    run_bounded(lambda: provider.release(provider.acquire(wrapper.uuid,
                                                          timeout=0)))


def test_t1_7_tries_and_delay_func_options(server):
    """T1.7: tries and delay_func; delay gets (try, tries, wrapper, *args)."""
    wrapper = server.wrapper(server.uuids[0])
    delays = []

    def delay(try_, tries, wrp, *args, **kwargs):
        delays.append((try_, tries, wrp.uuid, args, kwargs))

    func = mock.Mock(side_effect=http_412())
    with pytest.raises(pvmex.HttpError):
        tx.entry_transaction(tries=3, delay_func=delay)(func)(wrapper, 1, k=2)
    assert func.call_count == 3
    assert delays == [(1, 3, wrapper.uuid, (1,), {"k": 2}),
                      (2, 3, wrapper.uuid, (1,), {"k": 2})]


def test_t1_7_bare_form_unchanged():
    """T1.7: @entry_transaction and @entry_transaction() both work."""
    @tx.entry_transaction
    def bare(wrp):
        """Doc."""
        return "bare"

    @tx.entry_transaction()
    def called(wrp):
        return "called"

    wrapper = FakeConsole(1).wrapper(
        "00000000-0000-4000-8000-000000000000")
    assert bare(wrapper) == "bare" and called(wrapper) == "called"
    assert bare.__name__ == "bare" and bare.__doc__ == "Doc."


class FakeClock:
    """time.monotonic / time.sleep that only move when slept on."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_t1_7_deadline_bounds_the_whole_transaction_sleeps_included(server):
    """T1.7: sleeps end at the deadline and no redrive starts after it;
    (rev 2) DeadlineExceeded is raised, chained to the last 412."""
    wrapper = server.wrapper(server.uuids[0])
    clock = FakeClock()
    func = mock.Mock(side_effect=http_412())
    with mock.patch("time.monotonic", clock.monotonic), \
            mock.patch("time.sleep", clock.sleep):
        with pytest.raises(pvmex.DeadlineExceeded) as info:
            tx.entry_transaction(deadline=10, delay_func=retry.STEPPED_DELAY)(
                func)(wrapper)
    assert info.value.__cause__.response.status == 412
    assert (info.value.tries, info.value.deadline) == (5, 10)
    # STEPPED_DELAY: 0, 0.5, 2, 6.5 (9 s in all), then 20 cut to the 1 s left.
    assert clock.slept == [0.5, 2.0, 6.5, 1.0]
    assert clock.now - 1000.0 == 10.0
    assert func.call_count == 5


def test_t1_7_deadline_with_oversleeping_custom_delay(server):
    """T1.7: a delay that ignores the deadline still ends the redrives
    (rev 2: with DeadlineExceeded)."""
    wrapper = server.wrapper(server.uuids[0])
    clock = FakeClock()
    func = mock.Mock(side_effect=http_412())

    def slow_delay(*args, **kwargs):
        clock.sleep(7)

    with mock.patch("time.monotonic", clock.monotonic):
        with pytest.raises(pvmex.DeadlineExceeded):
            tx.entry_transaction(deadline=10, delay_func=slow_delay)(func)(
                wrapper)
    assert func.call_count == 2  # calls at t=0 and t=7; t=14 is too late


def test_t1_7_deadline_bounds_the_lock_wait(server):
    """T1.7: waiting for the lock counts against the deadline (rev 2: its
    LockTimeout becomes DeadlineExceeded)."""
    uuid = server.uuids[0]
    provider = locks.InProcessLockProvider()
    handle = provider.acquire(uuid)
    try:
        func = mock.Mock()
        with pytest.raises(pvmex.DeadlineExceeded) as info:
            run_bounded(lambda: tx.entry_transaction(
                deadline=0.05, lock_provider=provider)(func)(
                server.wrapper(uuid)))
        assert isinstance(info.value.__cause__, locks.LockTimeout)
        func.assert_not_called()
    finally:
        provider.release(handle)


@pytest.mark.parametrize("kwargs, exc_type, words", [
    ({"tries": 0}, ValueError, "integer of at least 1"),
    ({"tries": 2.5}, ValueError, "integer of at least 1"),
    ({"deadline": 0}, ValueError, "positive number of seconds"),
    ({"deadline": "soon"}, ValueError, "positive number of seconds"),
    ({"delay_func": 3}, TypeError, "delay_func must be callable"),
    ({"lock_provider": "file"}, TypeError, "must be a LockProvider"),
])
def test_t1_7_bad_options_say_what_is_accepted(kwargs, exc_type, words):
    """T1.7: bad options raise with a message naming what is accepted."""
    with pytest.raises(exc_type, match=words):
        tx.entry_transaction(**kwargs)


def test_t1_bad_use_says_what_is_accepted():
    """T1: a non-callable, or a first argument without a UUID, is refused."""
    with pytest.raises(TypeError, match="decorates a function"):
        tx.entry_transaction(5)

    @tx.entry_transaction
    def func(wrp):
        return wrp

    with pytest.raises(TypeError, match="EntryWrapper or an EntryWrapperGetter"):
        func(5)
    with pytest.raises(ValueError, match="no UUID"):
        func(mock.Mock(uuid=None))


def test_t1_7_lock_provider_option_and_default(server):
    """T1.7/T7: lock_provider per use; otherwise the process default."""
    wrapper = server.wrapper(server.uuids[0])
    per_use = RecordingProvider()
    tx.entry_transaction(lock_provider=per_use)(lambda w: None)(wrapper)
    assert per_use.events == ["lock", "unlock"]
    default = RecordingProvider()
    saved = locks.get_default_provider()
    locks.set_default_provider(default)
    try:
        tx.entry_transaction(lambda w: None)(wrapper)
    finally:
        locks.set_default_provider(saved)
    assert default.events == ["lock", "unlock"]


def test_r1_6_t1_4_redrives_are_logged(server, caplog):
    """T1.4/R1.6: each redrive is logged at warning with try and total."""
    wrapper = server.wrapper(server.uuids[0])
    func = mock.Mock(side_effect=[http_412(), "ok"])
    with caplog.at_level(logging.WARNING, logger="pypvm_tx.transaction"):
        tx.entry_transaction(tries=4, delay_func=retry.NO_DELAY)(func)(wrapper)
    messages = [r.getMessage() for r in caplog.records]
    assert any("try 1 of 4" in m and wrapper.uuid in m for m in messages)


# ==========================================================================
# T2 Subtask, T3 FunctorSubtask
# ==========================================================================

class Rename(tx.Subtask):
    def execute(self, wrapper, new_name):
        if name_of(wrapper) == new_name:
            return False
        set_name(wrapper, new_name)
        return True


class Echo(tx.Subtask):
    """Returns what it was given, to test argument passing."""

    def execute(self, wrapper, *args, provided=None, **kwargs):
        return args, kwargs, dict(provided)


def test_t2_1_subtask_stores_its_arguments():
    """T2.1: provides, flag_update, save_args, save_kwargs are kept."""
    subtask = Rename("a", provides="p", flag_update=False, k=1)
    assert subtask.provides == "p" and subtask.flag_update is False
    assert subtask.save_args == ("a",) and subtask.save_kwargs == {"k": 1}
    default = Rename("b")
    assert default.provides is None and default.flag_update is True


def test_t2_subtask_is_abstract_and_checks_arguments():
    """T2: execute must be overridden; provides/provided are checked."""
    with pytest.raises(TypeError):
        tx.Subtask()
    with pytest.raises(ValueError, match="non-empty string"):
        Rename("x", provides="")
    with pytest.raises(ValueError, match="non-empty string"):
        Rename("x", provides=3)
    with pytest.raises(ValueError, match="'provided' is reserved"):
        Rename("x", provided={})


class Plain(tx.Subtask):
    def execute(self, wrapper, value):
        return value


class NamedProvided(tx.Subtask):
    def execute(self, wrapper, provided):
        return dict(provided)


class AnyKwargs(tx.Subtask):
    def execute(self, wrapper, **kwargs):
        return {key: dict(value) for key, value in kwargs.items()}


def test_t2_3_provided_passed_only_when_accepted(server):
    """T2.3: provided= goes to execute with a 'provided' parameter or
    **kwargs, and not otherwise."""
    wrapper = server.wrapper(server.uuids[0])
    task = tx.WrapperTask("t", wrapper)
    task.add_subtask(Plain("v1", provides="a", flag_update=False))
    task.add_subtask(NamedProvided(provides="b", flag_update=False))
    task.add_subtask(AnyKwargs(provides="c", flag_update=False))
    _wrapper, provided = task.execute()
    assert provided["a"] == "v1"
    assert provided["b"] == {"a": "v1"}
    assert provided["c"] == {"provided": {"a": "v1", "b": {"a": "v1"}}}


def test_t3_functor_subtask_passes_arguments_and_provided(server):
    """T3: func gets the wrapper, args and kwargs; provided per T2.3."""
    wrapper = server.wrapper(server.uuids[0])
    seen = []

    def plain(wrp, a, b=None):
        seen.append(("plain", wrp.uuid, a, b))
        return "p"

    def wants(wrp, provided=None):
        seen.append(("wants", dict(provided)))

    def kw(wrp, **kwargs):
        seen.append(("kw", sorted(kwargs)))

    task = tx.WrapperTask("t", wrapper)
    task.add_functor_subtask(plain, 1, b=2, provides="first")
    task.add_functor_subtask(wants)
    task.add_functor_subtask(kw, extra=1)
    task.execute()
    assert seen == [("plain", wrapper.uuid, 1, 2), ("wants", {"first": "p"}),
                    ("kw", ["extra", "provided"])]


def test_t3_logspec_called_before_func_and_not_passed():
    """T3: logspec's callable gets the rest just before func."""
    order = []
    log = mock.Mock(side_effect=lambda *a: order.append(("log",) + a))

    def func(wrp, x, **kwargs):
        order.append(("func", x, sorted(kwargs)))

    subtask = tx.FunctorSubtask(func, 1, logspec=[log, "msg %s", "arg"])
    subtask.execute("w", 1, provided={})
    assert order == [("log", "msg %s", "arg"), ("func", 1, ["provided"])]
    assert "logspec" not in subtask.save_kwargs


@pytest.mark.parametrize("logspec", [None, [], ()])
def test_t3_empty_logspec_means_none(logspec):
    """T3: an empty or None logspec means no logging."""
    func = mock.Mock(return_value=True)
    assert tx.FunctorSubtask(func, logspec=logspec).execute("w") is True
    func.assert_called_once_with("w")


@pytest.mark.parametrize("logspec", [[print], ["not callable", "fmt"],
                                     "ab", print, 5])
def test_t3_bad_logspec_raises_value_error(logspec):
    """T3: fewer than two items or a non-callable first item → ValueError."""
    with pytest.raises(ValueError, match="callable, a format string"):
        tx.FunctorSubtask(lambda w: None, logspec=logspec)


def test_t3_logspec_accepts_any_sequence_and_keyword_named_func():
    """T3: a tuple logspec works like a list; logspec never reaches func,
    while a keyword argument named 'func' does (func is positional-only)."""
    log = mock.Mock()
    target = mock.Mock(return_value=True)

    def work(wrp, func=None, **kwargs):
        return func, sorted(kwargs)

    subtask = tx.FunctorSubtask(work, func=target,
                                logspec=(log, "fmt %(a)s", {"a": 1}))
    assert subtask.save_kwargs == {"func": target}
    assert subtask.execute("w", **subtask.save_kwargs) == (target, [])
    log.assert_called_once_with("fmt %(a)s", {"a": 1})


def test_t3_functor_needs_callable_and_alias_exists():
    """T3: func must be callable; _FunctorSubtask is FunctorSubtask."""
    with pytest.raises(TypeError, match="needs a callable"):
        tx.FunctorSubtask("nope")
    assert tx._FunctorSubtask is tx.FunctorSubtask


# ==========================================================================
# T4 WrapperTask
# ==========================================================================

@pytest.mark.parametrize("bad", [
    None, "uuid", [],
    # (rev 2) duck typed: a Mock with every attribute would pass, so the
    # refused ones lack part of both protocols.
    mock.Mock(spec=["uuid"]), mock.Mock(spec=["uuid", "etag", "update"]),
    mock.Mock(spec=["get"])])
def test_t4_1_needs_wrapper_or_getter(bad):
    """T4.1: anything without the wrapper or the getter protocol →
    ValueError."""
    with pytest.raises(ValueError, match="EntryWrapper or an EntryWrapperGetter"):
        tx.WrapperTask("t", bad)


def test_t4_2_name_and_provides(server):
    """T4.2: TaskFlow name and provides names carry the UUID."""
    uuid = server.uuids[0]
    for first in (server.wrapper(uuid), server.getter(uuid)):
        task = tx.WrapperTask("my_task", first)
        assert task.name == "my_task"
        assert set(task.provides) == {"wrapper_%s" % uuid,
                                      "subtask_rets_%s" % uuid}
    assert server.count("read") == 0  # a getter is not resolved here


def test_t4_3_add_subtask_rules(server):
    """T4.3: Subtasks only; provides unique; returns self; order kept."""
    task = tx.WrapperTask("t", server.wrapper(server.uuids[0]))
    first, second = Rename("a", provides="p1"), Rename("b")
    assert task.add_subtask(first) is task
    assert task.add_functor_subtask(lambda w: None, provides="p2") is task
    task.add_subtask(second)
    assert task.subtasks[0] is first and task.subtasks[2] is second
    with pytest.raises(ValueError, match="takes a Subtask"):
        task.add_subtask(lambda w: None)
    with pytest.raises(ValueError, match="already has a Subtask providing 'p1'"):
        task.add_subtask(Rename("c", provides="p1"))
    with pytest.raises(ValueError, match="unique"):
        task.add_functor_subtask(lambda w: None, provides="p2")
    with pytest.raises(ValueError, match="already has a Subtask providing"):
        tx.WrapperTask("t2", server.wrapper(server.uuids[0]),
                       subtasks=[Rename("x", provides="d"),
                                 Rename("y", provides="d")])


def test_t4_4_subtasks_is_a_tuple_and_wrapper_is_lazy(server):
    """T4.4: subtasks is read-only; wrapper GETs on first use outside any
    lock, and after execution is the updated wrapper."""
    uuid = server.uuids[0]
    task = tx.WrapperTask("t", server.getter(uuid), subtasks=[Rename("new")])
    assert isinstance(task.subtasks, tuple)
    assert server.count("read") == 0
    real_read = server.read
    held = []

    def read(*args, **kwargs):
        held.append(locks.held_uuids())
        return real_read(*args, **kwargs)

    server.read = read
    before = task.wrapper
    assert held == [frozenset()] and server.count("read") == 1
    assert task.wrapper is before
    wrapper, _ = task.execute()
    assert task.wrapper is wrapper and wrapper is not before
    assert name_of(task.wrapper) == "new"
    assert server.count("read") == 1


def test_t4_5_empty_wrapper_task(server, caplog):
    """T4.5: no Subtasks → None with allow_empty (logged), else raises."""
    wrapper = server.wrapper(server.uuids[0])
    with caplog.at_level(logging.INFO, logger="pypvm_tx.transaction"):
        assert tx.WrapperTask("e", wrapper, allow_empty=True).execute() is None
    assert any("no Subtasks" in r.getMessage() for r in caplog.records)
    with pytest.raises(pvmex.WrapperTaskNoSubtasks):
        tx.WrapperTask("e", wrapper).execute()
    assert server.calls == []


def test_t4_6_one_post_when_a_flagged_subtask_changed(server):
    """T4.6: all Subtasks run in order; one update with update_timeout;
    returns (updated wrapper, provided)."""
    uuid = server.uuids[0]
    wrapper = server.wrapper(uuid)
    task = tx.WrapperTask("t", wrapper, update_timeout=42)
    task.add_subtask(Rename("one", provides="r1"))
    task.add_subtask(Rename("two", provides="r2"))
    task.add_functor_subtask(lambda w: "info", provides="info",
                             flag_update=False)
    with mock.patch.object(ewrap.EntryWrapper, "update", autospec=True,
                           side_effect=ewrap.EntryWrapper.update) as update:
        new_wrapper, provided = task.execute()
    update.assert_called_once_with(wrapper, timeout=42)
    assert provided == {"r1": True, "r2": True, "info": "info"}
    assert name_of(new_wrapper) == "two"
    assert server.objects[uuid][1] == "two"
    assert server.count("update") == 1


def test_t4_6_no_post_when_nothing_flagged_changed(server):
    """T4.6: no truthy flagged Subtask → no POST, same wrapper."""
    wrapper = server.wrapper(server.uuids[0])
    task = tx.WrapperTask("t", wrapper)
    task.add_subtask(Rename("vm0"))  # already so: returns False
    task.add_functor_subtask(lambda w: True, flag_update=False)
    result, provided = task.execute()
    assert result is wrapper and provided == {}
    assert server.count("update") == 0


def test_t4_6_etag_mismatch_reruns_the_whole_sequence(server):
    """T4.6: on 412 every Subtask runs again on the refreshed wrapper."""
    uuid = server.uuids[0]
    wrapper = server.wrapper(uuid)
    server.bump(uuid, name="other")
    seen = []

    def record(wrp, label):
        seen.append((label, name_of(wrp)))
        return False

    task = tx.WrapperTask("t", wrapper, delay_func=retry.NO_DELAY)
    task.add_functor_subtask(record, "first")
    task.add_subtask(Rename("final"))
    task.add_functor_subtask(record, "last")
    result, _ = task.execute()
    assert seen == [("first", "vm0"), ("last", "final"),
                    ("first", "other"), ("last", "final")]
    assert server.objects[uuid][1] == "final" and name_of(result) == "final"


def test_t4_7_provided_reset_each_attempt_and_args_never_mutated(server):
    """T4.7: provided starts empty at every attempt; save_args/save_kwargs
    of the Subtask are never modified."""
    uuid = server.uuids[0]
    server.force_412(uuid, 2)
    attempts = []

    def counter(wrp, provided):
        attempts.append(dict(provided))
        return len(attempts)

    subtask = tx.FunctorSubtask(counter, provides="n", flag_update=False)
    saved_kwargs = subtask.save_kwargs
    task = tx.WrapperTask("t", server.getter(uuid), delay_func=retry.NO_DELAY)
    task.add_subtask(subtask)
    task.add_subtask(Rename("x"))
    _wrapper, provided = task.execute()
    assert attempts == [{}, {}, {}]
    assert provided == {"n": 3}
    assert task.provided == {"n": 3}
    assert subtask.save_kwargs is saved_kwargs and saved_kwargs == {}
    assert subtask.save_args == ()


def test_t4_in_a_taskflow_linear_flow(server):
    """T4.2: a WrapperTask runs in a TaskFlow flow and provides its names."""
    uuids = server.uuids[:2]
    flow = linear_flow.Flow("f")
    for uuid in uuids:
        task = tx.WrapperTask("wt_%s" % uuid, server.getter(uuid))
        task.add_subtask(Rename("flowed", provides="renamed"))
        flow.add(task)
    results = taskflow.engines.run(flow)
    for uuid in uuids:
        assert name_of(results["wrapper_%s" % uuid]) == "flowed"
        assert results["subtask_rets_%s" % uuid] == {"renamed": True}
        assert server.objects[uuid][1] == "flowed"


def test_t4_add_subtask_while_executing_is_refused(server):
    """T4.3/T5.3: a Subtask added while the task runs would be lost, so it
    is refused clearly."""
    task = tx.WrapperTask("t", server.wrapper(server.uuids[0]))
    errors = []

    def add_more(wrp):
        try:
            task.add_subtask(Rename("late"))
        except RuntimeError as exc:
            errors.append(str(exc))
        return False

    task.add_functor_subtask(add_more)
    task.execute()
    assert len(errors) == 1 and "is executing" in errors[0]
    task.add_subtask(Rename("later"))  # fine once it has finished
    assert len(task.subtasks) == 2
