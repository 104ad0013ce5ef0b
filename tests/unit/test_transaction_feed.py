"""Unit tests of FeedTask and ContextThreadPoolExecutor (SPEC T5, T6, and
T4.7 across parallel entries), with real threads, real EntryWrappers and a
mocked adapter (tests/unit/tx_fakes.py)."""

import logging
import threading
import time
from unittest import mock

import pytest
import taskflow.engines
from oslo_context import context as oslo_context
from taskflow import task as tf_task
from taskflow.patterns import linear_flow, unordered_flow

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks, retry
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole
from tests.unit.tx_fakes import name_of, run_bounded, set_name

WAIT = 10


def rename_to(wrapper, new_name):
    if name_of(wrapper) == new_name:
        return False
    set_name(wrapper, new_name)
    return True


class Collect(tf_task.Task):
    """A post-execute task recording what it was given."""

    def __init__(self, name, sink, provides=None):
        super().__init__(name, provides=provides)
        self.sink = sink

    def execute(self, wrapper_task_rets):
        self.sink.append((self.name, wrapper_task_rets))
        return len(wrapper_task_rets)


class CollectOutcomes(tf_task.Task):
    def __init__(self, name, sink):
        super().__init__(name)
        self.sink = sink

    def execute(self, wrapper_task_rets, wrapper_task_outcomes):
        self.sink.append((dict(wrapper_task_rets),
                          dict(wrapper_task_outcomes)))


@pytest.fixture
def server():
    return FakeConsole(count=5)


# ------------------------------------------------------------------ T5.1 --

def test_t5_1_feed_or_getter_validation(server):
    """T5.1: empty list → FeedTaskEmptyFeed; bad items or types →
    ValueError naming what is accepted."""
    with pytest.raises(pvmex.FeedTaskEmptyFeed):
        tx.FeedTask("f", [])
    with pytest.raises(ValueError, match=r"item 1 is a builtins\.str"):
        tx.FeedTask("f", [server.wrapper(server.uuids[0]), "x"])
    with pytest.raises(ValueError, match="FeedGetter or a non-empty list"):
        tx.FeedTask("f", server.getter(server.uuids[0]))
    with pytest.raises(ValueError, match="max_workers must be an integer"):
        tx.FeedTask("f", server.feed_getter(), max_workers=0)
    with pytest.raises(TypeError, match="progress must be callable"):
        tx.FeedTask("f", server.feed_getter(), progress="yes")
    assert tx.FeedTask("f", server.feed()).name == "f"


# ------------------------------------------------------------------ T5.2 --

def test_t5_2_nothing_fetched_until_needed(server):
    """T5.2: creating and adding does no GET; feed does."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    ftsk.add_functor_subtask(rename_to, "x")
    ftsk.add_post_execute(Collect("c", []))
    assert server.calls == []
    assert len(ftsk.feed) == 5
    assert server.count("read") == 1


def test_t5_2_getter_with_empty_feed_raises_on_use():
    """T5.2: a getter returning no entries raises FeedTaskEmptyFeed then."""
    empty = FakeConsole(count=0)
    ftsk = tx.FeedTask("f", empty.feed_getter())
    ftsk.add_functor_subtask(rename_to, "x")
    with pytest.raises(pvmex.FeedTaskEmptyFeed):
        ftsk.execute()


# ------------------------------------------------------------------ T5.3 --

def test_t5_3_add_subtask_before_and_after_wrapper_tasks_exist(server):
    """T5.3: adding reaches every entry either way; returns self."""
    ftsk = tx.FeedTask("f", server.feed())
    first = tx.FunctorSubtask(rename_to, "a")
    assert ftsk.add_subtask(first) is ftsk
    tasks = ftsk.wrapper_tasks
    assert ftsk.add_functor_subtask(rename_to, "b", provides="b") is ftsk
    for task in tasks.values():
        assert task.subtasks[0] is first and len(task.subtasks) == 2
    with pytest.raises(ValueError, match="providing 'b'"):
        ftsk.add_functor_subtask(rename_to, "c", provides="b")
    with pytest.raises(ValueError, match="takes a Subtask"):
        ftsk.add_subtask("not a subtask")


def test_t5_3_concurrent_adds_are_all_kept(server):
    """T5.3: many threads adding at once lose nothing."""
    ftsk = tx.FeedTask("f", server.feed())
    start = threading.Barrier(8, timeout=WAIT)

    def add_many(index):
        start.wait()
        for n in range(25):
            ftsk.add_functor_subtask(lambda w: False,
                                     provides="p%d_%d" % (index, n))
            if n == 10 and index == 0:
                ftsk.wrapper_tasks  # noqa: B018 - switch mode mid-way

    threads = [threading.Thread(target=add_many, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    for task in ftsk.wrapper_tasks.values():
        assert len(task.subtasks) == 200
    rets = ftsk.execute()["wrapper_task_rets"]
    assert all(len(r) == 201 for r in rets.values())


def test_t5_3_adding_from_a_running_subtask_of_this_feedtask(server):
    """T5.3: a running Subtask may add post-execute tasks (they run); a
    Subtask added then would be lost, so it is refused clearly."""
    ftsk = tx.FeedTask("f", server.feed())
    sink, refused = [], []
    added = threading.Lock()

    def adder(wrapper):
        with added:
            if not sink:
                ftsk.add_post_execute(Collect("late_post", sink))
                sink.append("added")
        try:
            ftsk.add_functor_subtask(rename_to, "late")
        except RuntimeError as exc:
            refused.append(str(exc))
        return False

    ftsk.add_functor_subtask(adder)
    ftsk.execute()
    assert sink[0] == "added" and sink[1][0] == "late_post"
    assert len(sink[1][1]) == 5
    assert len(refused) == 5 and "parallel phase" in refused[0]
    # Once finished, adding works again.
    ftsk.add_functor_subtask(rename_to, "next")


def test_t5_3_post_execute_refused_once_that_phase_started(server):
    """T5.3: a post-execute task added during that phase is refused."""
    ftsk = tx.FeedTask("f", server.feed())
    errors = []

    class AddsMore(tf_task.Task):
        def execute(self, wrapper_task_rets):
            try:
                ftsk.add_post_execute(Collect("too_late", []))
            except RuntimeError as exc:
                errors.append(str(exc))

    ftsk.add_functor_subtask(rename_to, "x")
    ftsk.add_post_execute(AddsMore("adds_more"))
    ftsk.execute()
    assert len(errors) == 1 and "post-execute" in errors[0]


# ------------------------------------------------------------------ T5.4 --

def test_t5_4_wrapper_tasks_one_per_entry(server):
    """T5.4: {uuid: WrapperTask} named <name>_<uuid>, allow_empty, same
    update_timeout; Subtasks can be added to one entry."""
    ftsk = tx.FeedTask("ft", server.feed_getter(), update_timeout=33)
    tasks = ftsk.wrapper_tasks
    assert list(tasks) == server.uuids
    for uuid, task in tasks.items():
        assert task.name == "ft_%s" % uuid
        assert task.allow_empty and task.update_timeout == 33
    special = server.uuids[2]
    tasks[special].add_functor_subtask(rename_to, "special")
    ftsk.execute()
    assert [obj[1] for obj in server.objects.values()] == [
        "vm0", "vm1", "special", "vm3", "vm4"]
    assert ftsk.outcomes[special].status == "updated"
    assert ftsk.outcomes[server.uuids[0]].status == "unchanged"


# ------------------------------------------------------------- T5.5, 5.6 --

def test_t5_5_get_wrapper_and_unknown_uuid(server):
    """T5.5: get_wrapper(uuid) returns the current wrapper; unknown → KeyError."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    uuid = server.uuids[1]
    assert ftsk.get_wrapper(uuid).uuid == uuid
    with pytest.raises(KeyError, match="no entry with UUID 'nope'"):
        ftsk.get_wrapper("nope")
    ftsk.wrapper_tasks  # noqa: B018
    assert ftsk.get_wrapper(uuid).uuid == uuid
    with pytest.raises(KeyError, match="keys of wrapper_tasks"):
        ftsk.get_wrapper("nope")


@pytest.mark.parametrize("with_wrapper_tasks", [False, True])
def test_t5_6_feed_shows_updated_wrappers(server, with_wrapper_tasks):
    """T5.6: after updates, feed and get_wrapper give the new wrappers."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    before = list(ftsk.feed)
    if with_wrapper_tasks:
        ftsk.wrapper_tasks  # noqa: B018
    ftsk.add_functor_subtask(rename_to, "renamed")
    ftsk.execute()
    after = ftsk.feed
    assert [w.etag for w in after] != [w.etag for w in before]
    assert all(name_of(w) == "renamed" for w in after)
    assert ftsk.get_wrapper(server.uuids[0]) is after[0]


# ------------------------------------------------------- T5.7, 5.8, 5.9 --

def test_t5_7_t5_9_post_execute_in_order_with_results(server):
    """T5.7/T5.9: post-execute tasks run in order after all entries and see
    wrapper_task_rets; the return dict has their provides too."""
    sink = []
    ftsk = tx.FeedTask("f", server.feed_getter())
    ftsk.add_functor_subtask(rename_to, "new", provides="changed")
    ftsk.add_functor_subtask(lambda w: w.uuid[:4], provides="prefix",
                             flag_update=False)
    ftsk.add_post_execute(Collect("first", sink, provides="count1"))
    flow = linear_flow.Flow("sub").add(Collect("second", sink,
                                               provides="count2"))
    ftsk.add_post_execute(flow)
    result = ftsk.execute()
    assert [name for name, _ in sink] == ["first", "second"]
    rets = result["wrapper_task_rets"]
    assert set(result) == {"wrapper_task_rets", "count1", "count2"}
    assert result["count1"] == result["count2"] == 5
    assert list(rets) == server.uuids
    for uuid, ret in rets.items():
        assert ret["changed"] is True and ret["prefix"] == uuid[:4]
        assert name_of(ret["wrapper"]) == "new"
        assert ret["wrapper"].etag == str(server.objects[uuid][0])
    assert sink[0][1] is not None and set(sink[0][1]) == set(server.uuids)


def test_t5_8_nothing_to_do_means_no_get(server, caplog):
    """T5.8: no Subtasks and no post-execute tasks → logs, None, no GET."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    with caplog.at_level(logging.INFO, logger="pypvm_tx.transaction"):
        assert ftsk.execute() is None
    assert server.calls == []
    assert any("nothing to do" in r.getMessage() for r in caplog.records)


def test_t5_8_post_execute_only_does_no_get(server):
    """T5.8/T5.9: with only post-execute tasks no GET happens."""
    sink = []
    ftsk = tx.FeedTask("f", server.feed_getter())
    ftsk.add_post_execute(Collect("only", sink))
    result = ftsk.execute()
    assert result["wrapper_task_rets"] == {} and server.calls == []


def test_t5_9_at_most_max_workers_in_parallel_threads(server):
    """T5.9: entries run concurrently in worker threads, never more than
    max_workers at a time."""
    big = FakeConsole(count=30)
    lock = threading.Lock()
    state = {"now": 0, "most": 0, "threads": set()}

    def busy(wrapper):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            state["threads"].add(threading.get_ident())
        time.sleep(0.002)
        with lock:
            state["now"] -= 1
        return False

    ftsk = tx.FeedTask("f", big.feed(), max_workers=4)
    ftsk.add_functor_subtask(busy)
    ftsk.execute()
    assert 1 < state["most"] <= 4
    assert threading.get_ident() not in state["threads"]
    assert len(state["threads"]) <= 4


# ----------------------------------------------------------------- T5.10 --

def failing_on(uuids):
    def maybe_fail(wrapper):
        if wrapper.uuid in uuids:
            raise ValueError("bad entry %s" % wrapper.uuid)
        return rename_to(wrapper, "ok")
    return maybe_fail


def test_t5_10_one_failure_propagates_as_is(server):
    """T5.10: a single failed entry's exception propagates unchanged."""
    bad = server.uuids[3]
    ftsk = tx.FeedTask("f", server.feed(), max_workers=1)
    ftsk.add_functor_subtask(failing_on({bad}))
    with pytest.raises(ValueError, match="bad entry") as info:
        ftsk.execute()
    assert info.value.outcomes[bad].status == "failed"
    assert info.value.outcomes[bad].exception is info.value


def test_t5_10_several_failures_raise_multiple(server, caplog):
    """T5.10: several failures → MultipleExceptionsInFeedTask with one
    Failure per failed entry, each logged."""
    bad = set(server.uuids[:3])
    meet = threading.Barrier(3, timeout=WAIT)

    def fail(wrapper):
        if wrapper.uuid in bad:
            meet.wait()  # all three start before any fails
            raise ValueError("bad entry %s" % wrapper.uuid)
        return False

    ftsk = tx.FeedTask("f", server.feed(), max_workers=5)
    ftsk.add_functor_subtask(fail)
    with caplog.at_level(logging.ERROR, logger="pypvm_tx.transaction"):
        with pytest.raises(pvmex.MultipleExceptionsInFeedTask) as info:
            ftsk.execute()
    failures = list(info.value.wrapped_failure)
    assert len(failures) == 3
    assert all(f.check(ValueError) for f in failures)
    assert {f.exception_str for f in failures} == {
        "bad entry %s" % u for u in bad}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert all(u in logged for u in bad)


# ----------------------------------------------------------------- T5.11 --

def test_t5_11_repeated_executions_leave_no_threads(server):
    """T5.11: 100 executions each own and shut down their pool."""
    ftsk = tx.FeedTask("f", server.feed(), max_workers=5)
    ftsk.add_functor_subtask(lambda w: False)
    ftsk.execute()
    baseline = threading.active_count()
    counts = []
    real_shutdown = tx.ContextThreadPoolExecutor.shutdown
    with mock.patch.object(tx.ContextThreadPoolExecutor, "shutdown",
                           autospec=True, side_effect=real_shutdown) as down:
        for _ in range(100):
            ftsk.execute()
            counts.append(threading.active_count())  # joined before return
    assert counts == [baseline] * 100
    assert down.call_count == 100
    assert all(call.kwargs.get("wait", True) for call in down.call_args_list)


def test_t5_11_duplicate_post_execute_name_is_refused(server):
    """T5.11: a post-execute name already used → clear ValueError."""
    ftsk = tx.FeedTask("f", server.feed())
    ftsk.add_post_execute(Collect("dup", []))
    with pytest.raises(ValueError, match="already has a post-execute task "
                                         "named 'dup'"):
        ftsk.add_post_execute(Collect("dup", []))
    with pytest.raises(ValueError, match="'inner'"):
        ftsk.add_post_execute(linear_flow.Flow("x").add(
            Collect("inner", []), Collect("inner", [])))
    with pytest.raises(TypeError, match="tasks or flows"):
        ftsk.add_post_execute(lambda: None)
    ftsk.add_post_execute(Collect("other", []))


# ----------------------------------------------------------------- T5.12 --

def twenty_entry_feedtask(continue_on_error):
    """20 entries; the subtask raises for 3 of them."""
    server = FakeConsole(count=20)
    bad = set(server.uuids[:3])
    meet = threading.Barrier(3, timeout=WAIT)

    def subtask(wrapper):
        if wrapper.uuid in bad:
            meet.wait()  # the 3 start before any fails: deterministic
            raise RuntimeError("refused %s" % wrapper.uuid)
        return rename_to(wrapper, "done")

    progress = []
    ftsk = tx.FeedTask("ft20", server.feed(), max_workers=5,
                       continue_on_error=continue_on_error,
                       progress=lambda o, d, t: progress.append(
                           (o.uuid, o.status, d, t)))
    ftsk.add_functor_subtask(subtask)
    return server, bad, ftsk, progress


def test_t5_12_continue_on_error_runs_every_entry():
    """T5.12: continue_on_error → returns normally; 17 updated, 3 failed in
    outcomes; post-execute tasks see both; progress once per entry."""
    server, bad, ftsk, progress = twenty_entry_feedtask(True)
    seen = []
    ftsk.add_post_execute(CollectOutcomes("post", seen))
    result = ftsk.execute()
    good = set(server.uuids) - bad
    assert set(result["wrapper_task_rets"]) == good
    assert all(server.objects[u][1] == "done" for u in good)
    assert all(server.objects[u][1] != "done" for u in bad)
    outcomes = ftsk.outcomes
    assert list(outcomes) == server.uuids
    for uuid in bad:
        assert outcomes[uuid].status == "failed"
        assert isinstance(outcomes[uuid].exception, RuntimeError)
        assert uuid in str(outcomes[uuid].exception)
    for uuid in good:
        assert outcomes[uuid].status == "updated"
        assert outcomes[uuid].exception is None
        assert name_of(outcomes[uuid].wrapper) == "done"
    (rets_seen, outcomes_seen), = seen
    assert set(rets_seen) == good and set(outcomes_seen) == set(server.uuids)
    assert sorted(u for u, *_ in progress) == sorted(server.uuids)
    assert sorted(d for _u, _s, d, _t in progress) == list(range(1, 21))
    assert {t for *_x, t in progress} == {20}
    assert {s for _u, s, *_x in progress} == {"updated", "failed"}


def test_t5_12_without_continue_on_error_only_opted_in_post_exec_runs():
    """T5.12: without continue_on_error T5.10 holds, the exception carries
    outcomes (successes included), and only run_on_failure post-execute
    tasks run before it is raised."""
    server, bad, ftsk, progress = twenty_entry_feedtask(False)
    always, normal = [], []
    ftsk.add_post_execute(Collect("normal", normal))
    ftsk.add_post_execute(CollectOutcomes("always", always),
                          run_on_failure=True)
    with pytest.raises(pvmex.MultipleExceptionsInFeedTask) as info:
        ftsk.execute()
    exc = info.value
    assert len(list(exc.wrapped_failure)) == 3
    assert exc.outcomes is ftsk.outcomes
    failed = {u for u, o in exc.outcomes.items() if o.status == "failed"}
    assert failed == bad
    assert all(o.status == "updated" for u, o in exc.outcomes.items()
               if u not in bad)
    assert normal == []
    (rets_seen, outcomes_seen), = always
    assert set(outcomes_seen) == set(exc.outcomes)
    assert not set(rets_seen) & bad
    assert len(progress) == len(exc.outcomes)


def test_t5_12_retries_counted_in_outcomes(server):
    """T5.12: outcome.retries is the etag-mismatch redrives used."""
    u0, u1 = server.uuids[:2]
    server.force_412(u0, 2)
    server.force_412(u1, 1)
    ftsk = tx.FeedTask("f", server.feed(), delay_func=retry.NO_DELAY)
    ftsk.add_functor_subtask(rename_to, "r")
    ftsk.execute()
    assert ftsk.outcomes[u0].retries == 2
    assert ftsk.outcomes[u1].retries == 1
    assert ftsk.outcomes[server.uuids[2]].retries == 0
    assert all(o.status == "updated" for o in ftsk.outcomes.values())
    assert repr(ftsk.outcomes[u0]).startswith("<EntryOutcome %s updated" % u0)


def test_t5_12_progress_callback_errors_do_not_fail_entries(server):
    """T5.12: a failing progress callback is logged, entries carry on."""
    ftsk = tx.FeedTask("f", server.feed(), progress=lambda *a: 1 / 0)
    ftsk.add_functor_subtask(rename_to, "p")
    result = ftsk.execute()
    assert len(result["wrapper_task_rets"]) == 5


# ------------------------------------------------------------------ T4.7 --

def test_t4_7_shared_subtask_never_leaks_provided_between_entries():
    """T4.7: one Subtask object shared by 60 parallel entries, with
    retries, never shows an entry another entry's provided values."""
    server = FakeConsole(count=60)
    for index, uuid in enumerate(server.uuids):
        server.force_412(uuid, index % 3)
    leaks = []

    def produce(wrapper):
        time.sleep(0)  # let other threads interleave
        return wrapper.uuid

    def consume(wrapper, provided):
        if provided != {"mine": wrapper.uuid}:
            leaks.append((wrapper.uuid, dict(provided)))
        set_name(wrapper, "seen-" + provided["mine"][:8])
        return True

    producer = tx.FunctorSubtask(produce, provides="mine", flag_update=False)
    consumer = tx.FunctorSubtask(consume, provides="consumed")
    ftsk = tx.FeedTask("f", server.feed(), max_workers=10,
                       delay_func=retry.NO_DELAY)
    ftsk.add_subtask(producer).add_subtask(consumer)
    rets = ftsk.execute()["wrapper_task_rets"]
    assert leaks == []
    assert producer.save_kwargs == {} and consumer.save_kwargs == {}
    for uuid, ret in rets.items():
        assert ret["mine"] == uuid and ret["consumed"] is True
    assert sum(o.retries for o in ftsk.outcomes.values()) == 60
    assert all(server.objects[u][1] == "seen-" + u[:8] for u in server.uuids)


# ------------------------------------------------------------------- T6 ---

def test_t6_request_context_current_in_workers(server):
    """T6: the submitter's oslo request context is current in workers."""
    context = oslo_context.RequestContext(request_id="req-feedtask-42")
    seen = set()

    def record(wrapper):
        current = oslo_context.get_current()
        seen.add(current.request_id if current else None)
        return False

    def run():
        context.update_store()
        ftsk = tx.FeedTask("f", server.feed())
        ftsk.add_functor_subtask(record)
        ftsk.execute()

    run_bounded(run)
    assert seen == {"req-feedtask-42"}


def test_t6_subtask_reentering_a_lock_held_by_the_caller(server):
    """T6/T1.2: a FeedTask Subtask calling entry_transaction on a UUID the
    submitting thread holds does not deadlock."""
    parent_uuid = server.uuids[0]
    calls = []

    @tx.entry_transaction
    def touch_parent(wrapper, child_uuid):
        calls.append(child_uuid)
        return True

    def subtask(wrapper):
        touch_parent(server.getter(parent_uuid), wrapper.uuid)
        return False

    @tx.entry_transaction
    def outer(parent_wrapper):
        ftsk = tx.FeedTask("f", server.feed(), max_workers=3)
        ftsk.add_functor_subtask(subtask)
        ftsk.execute()
        return "finished"

    assert run_bounded(lambda: outer(server.wrapper(parent_uuid))) == \
        "finished"
    assert sorted(calls) == sorted(server.uuids)


def test_t6_executor_carries_context_and_locks_and_restores():
    """T6: submit carries context and held locks; workers are restored."""
    context = oslo_context.RequestContext(request_id="req-1")

    def probe():
        current = oslo_context.get_current()
        return (current.request_id if current else None,
                locks.held_uuids())

    def submitter():
        context.update_store()
        with tx.ContextThreadPoolExecutor(max_workers=1) as pool:
            with locks.hold("held-uuid"):
                inside = pool.submit(probe).result(WAIT)
            after = pool.submit(
                lambda: (oslo_context.get_current() is context,
                         locks.held_uuids())).result(WAIT)
            mapped = list(pool.map(lambda _: probe()[0], range(3)))
        return inside, after, mapped

    inside, after, mapped = run_bounded(submitter)
    assert inside == ("req-1", {"held-uuid"})
    assert after == (True, frozenset())
    assert mapped == ["req-1"] * 3

    def no_context_submitter():
        with tx.ContextThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(oslo_context.get_current).result(WAIT)

    assert run_bounded(no_context_submitter) is None


# ------------------------------------------------- TaskFlow integration ---

def test_t5_feedtask_in_linear_and_unordered_flows():
    """T5/T4: FeedTask and WrapperTasks are real TaskFlow tasks, in a linear
    flow (serial engine) and an unordered flow (parallel engine)."""
    server = FakeConsole(count=6)
    first, second = server.uuids[:3], server.uuids[3:]

    def feed_of(uuids):
        return [server.wrapper(u) for u in uuids]

    linear = linear_flow.Flow("linear")
    ftsk = tx.FeedTask("ft_a", feed_of(first))
    ftsk.add_functor_subtask(rename_to, "linear")
    wtsk = tx.WrapperTask("wt_a", server.getter(second[0]))
    wtsk.add_functor_subtask(rename_to, "linear-single")
    linear.add(ftsk, wtsk)
    results = taskflow.engines.run(linear)
    assert set(results) >= {"wrapper_%s" % second[0],
                            "subtask_rets_%s" % second[0]}
    assert all(server.objects[u][1] == "linear" for u in first)
    assert server.objects[second[0]][1] == "linear-single"

    unordered = unordered_flow.Flow("unordered")
    for index, uuids in enumerate((first, second)):
        feed_task = tx.FeedTask("ft_%d" % index, feed_of(uuids))
        feed_task.add_functor_subtask(rename_to, "parallel")
        unordered.add(feed_task)
    taskflow.engines.run(unordered, engine="parallel",
                         executor=tx.ContextThreadPoolExecutor(2))
    assert all(obj[1] == "parallel" for obj in server.objects.values())


def test_t5_concurrent_execute_of_one_feedtask_is_refused(server):
    """T5: a FeedTask cannot run twice at once (its state is per run)."""
    ftsk = tx.FeedTask("f", server.feed())
    errors = []

    def reenter(wrapper):
        try:
            ftsk.execute()
        except RuntimeError as exc:
            errors.append(str(exc))
        return False

    ftsk.add_functor_subtask(reenter)
    ftsk.execute()
    assert len(errors) == 5 and "already executing" in errors[0]


# ---------------------------------------------- per-use options (T7) -------

def test_t7_feedtask_lock_provider_and_tries_options(server):
    """T7/T1.7: FeedTask(lock_provider=, tries=) apply to every entry."""
    taken = []

    class Recording(locks.InProcessLockProvider):
        def _acquire(self, name, uuid, timeout):
            taken.append(name)
            return super()._acquire(name, uuid, timeout)

    stubborn = server.uuids[0]
    server.force_412(stubborn, 5)
    ftsk = tx.FeedTask("f", server.feed(), lock_provider=Recording(),
                       tries=3, delay_func=retry.NO_DELAY,
                       continue_on_error=True)
    ftsk.add_functor_subtask(rename_to, "x")
    ftsk.execute()
    assert sorted(taken) == sorted(locks.LOCK_PREFIX + u.lower()
                                   for u in server.uuids)
    outcome = ftsk.outcomes[stubborn]
    assert outcome.status == "failed" and outcome.retries == 2
    assert outcome.exception.response.status == 412
    assert server.count("update", stubborn) == 3


def test_t5_7_post_execute_failure_propagates(server):
    """T5.7: a failing post-execute task's exception propagates."""
    class Boom(tf_task.Task):
        def execute(self, wrapper_task_rets):
            raise KeyError("post-exec failed")

    ftsk = tx.FeedTask("f", server.feed())
    ftsk.add_functor_subtask(rename_to, "x")
    ftsk.add_post_execute(Boom("boom"))
    with pytest.raises(KeyError, match="post-exec failed"):
        ftsk.execute()


def test_t5_12_failing_run_on_failure_task_does_not_hide_entry_error(
        server, caplog):
    """T5.12: if an opted-in post-execute task fails after entry failures,
    that is logged and the entry failure is still what is raised."""
    class Boom(tf_task.Task):
        def execute(self, wrapper_task_outcomes):
            raise KeyError("cleanup failed")

    ftsk = tx.FeedTask("f", server.feed(), max_workers=1)
    ftsk.add_functor_subtask(failing_on({server.uuids[0]}))
    ftsk.add_post_execute(Boom("boom"), run_on_failure=True)
    with caplog.at_level(logging.ERROR, logger="pypvm_tx.transaction"):
        with pytest.raises(ValueError, match="bad entry"):
            ftsk.execute()
    assert any("post-execute task run after entry failures" in r.getMessage()
               for r in caplog.records)


# ------------------------------------------------ laziness, shape (T5.2) ---

@pytest.mark.parametrize("trigger", ["wrapper_tasks", "get_wrapper", "feed",
                                     "execute"])
def test_t5_2_each_trigger_fetches_once(server, trigger):
    """T5.2: wrapper_tasks, get_wrapper(uuid), feed or execute() makes the
    one GET; none of the others repeats it."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    ftsk.add_functor_subtask(rename_to, "x", provides="r")
    ftsk.add_post_execute(Collect("c", []))
    assert server.calls == []
    if trigger == "execute":
        ftsk.execute()
    elif trigger == "get_wrapper":
        ftsk.get_wrapper(server.uuids[0])
    else:
        getattr(ftsk, trigger)
    assert server.count("read") == 1
    ftsk.feed  # noqa: B018
    ftsk.wrapper_tasks  # noqa: B018
    ftsk.get_wrapper(server.uuids[1])
    assert server.count("read") == 1


def test_t5_6_feed_follows_one_wrapper_task_and_is_stable_otherwise(server):
    """T5.6: feed is the same list while no etag changed, and is rebuilt
    when one WrapperTask now holds a wrapper with another etag."""
    ftsk = tx.FeedTask("f", server.feed_getter())
    tasks = ftsk.wrapper_tasks
    first = ftsk.feed
    assert ftsk.feed is first
    uuid = server.uuids[3]
    tasks[uuid].add_functor_subtask(rename_to, "alone")
    new_wrapper, _ = tasks[uuid].execute()
    rebuilt = ftsk.feed
    assert rebuilt is not first and rebuilt[3] is new_wrapper
    assert [w.uuid for w in rebuilt] == server.uuids
    assert rebuilt[0] is first[0]


def test_t5_9_t5_10_result_shape_keyed_by_uuid_not_task_name():
    """T5.9/T5.10: without post-execute tasks the result is exactly
    {'wrapper_task_rets': {uuid: {'wrapper': w, <provides>: v}}}, keyed by
    UUID even when names and UUIDs contain underscores."""
    server = FakeConsole()
    uuids = [server.add(uuid) for uuid in ("a_b_c", "wrapper_x", "d_e")]
    ftsk = tx.FeedTask("my_feed_task", server.feed())
    ftsk.add_functor_subtask(rename_to, "n", provides="renamed")
    ftsk.add_functor_subtask(lambda w: w.uuid, provides="seen",
                             flag_update=False)
    result = ftsk.execute()
    assert list(result) == ["wrapper_task_rets"]
    rets = result["wrapper_task_rets"]
    assert list(rets) == uuids
    for uuid in uuids:
        assert set(rets[uuid]) == {"wrapper", "renamed", "seen"}
        assert rets[uuid]["seen"] == uuid
        assert rets[uuid]["wrapper"].uuid == uuid
        assert rets[uuid]["renamed"] is True


def test_t5_12_progress_called_from_worker_threads(server):
    """T5.12: progress(outcome, done, total) runs in the worker thread that
    finished the entry, once per entry."""
    calls = []
    main = threading.get_ident()
    ftsk = tx.FeedTask("f", server.feed(), max_workers=2,
                       progress=lambda o, d, t: calls.append(
                           (o.uuid, d, t, threading.get_ident())))
    ftsk.add_functor_subtask(rename_to, "p")
    ftsk.execute()
    assert sorted(c[0] for c in calls) == sorted(server.uuids)
    assert sorted(c[1] for c in calls) == [1, 2, 3, 4, 5]
    assert all(c[2] == 5 and c[3] != main for c in calls)


def test_t5_nova_driver_call_patterns(server):
    """T5.3/T5.4/T5.7/T5.9: the calls a Nova driver makes against
    pypowervm 1.1.x work unchanged: FeedTask(name, getter),
    add_functor_subtask(func, arg, provides=, flag_update=False), a subtask
    for one entry via wrapper_tasks[uuid], add_post_execute(task),
    execute(); WrapperTask(name, getter, subtasks=..., allow_empty=...,
    update_timeout=...)."""
    def find_slot(wrapper, wanted):
        return "%s-%s" % (wanted, wrapper.uuid[:8])

    def map_disk(wrapper, provided):
        return rename_to(wrapper, provided["slot"])

    sink = []
    ftsk = tx.FeedTask("vios_stg", server.feed_getter())
    ftsk.add_functor_subtask(find_slot, "slot", provides="slot",
                             flag_update=False)
    target = server.uuids[1]
    ftsk.wrapper_tasks[target].add_functor_subtask(map_disk)
    ftsk.add_post_execute(Collect("post", sink, provides="count"))
    result = ftsk.execute()
    assert result["count"] == 5
    assert server.objects[target][1] == "slot-" + target[:8]
    assert server.count("update") == 1
    assert set(sink[0][1]) == set(server.uuids)

    other = server.uuids[2]
    wtsk = tx.WrapperTask("lpar_tx", server.getter(other),
                          subtasks=ftsk.wrapper_tasks[target].subtasks,
                          allow_empty=False, update_timeout=60)
    wrapper, provided = wtsk.execute()
    assert provided == {"slot": "slot-" + other[:8]}
    assert name_of(wrapper) == "slot-" + other[:8]
