"""WrapperTask and FeedTask end to end over HTTP against the emulator,
with real etag conflicts, session expiry, faults and connection reuse
(SPEC T1.4, T4.6, T5.9, T5.10, T5.12 over A1/A2 and E1)."""

import random
import threading

import pytest

from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.retry import NO_DELAY
from pypvm_tx.testing.emulator import Emulator
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR

MEM = "PartitionMemoryConfiguration/DesiredMemory"
SUFFIX = "-tx"


def add_suffix(lpar):
    """The change under test: append SUFFIX to the name, once."""
    if lpar.name.endswith(SUFFIX):
        return False
    lpar.name = lpar.name + SUFFIX
    return True


class OutOfBand:
    """Another agent: changes DesiredMemory of entries on the emulator
    while our transactions run, and remembers what it wrote last."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.last = {}
        self.lock = threading.Lock()

    def write(self, uuid):
        with self.lock:
            value = self.last.get(uuid, 4096) + 256
            self.emulator.change(uuid, MEM, value)
            self.last[uuid] = value


def _feed_getter(adapter, emulator):
    return ewrap.FeedGetter(adapter, LPAR, parent_class="ManagedSystem",
                            parent_uuid=emulator.ms_uuid)


def test_t4_6_wrapper_task_redoes_subtasks_after_412(emulator, adapter):
    """T1.4/T4.6 over HTTP: an out-of-band change between our GET and our
    POST makes the POST fail with 412; the WrapperTask refreshes, runs the
    Subtask again and POSTs once more.  Both changes survive."""
    uuid = emulator.uuids()[0]
    oob = OutOfBand(emulator)
    calls = []

    def subtask(lpar):
        calls.append(lpar.etag)
        if len(calls) == 1:
            oob.write(uuid)  # the other agent wins the race once
        return add_suffix(lpar)

    task = tx.WrapperTask("wt", LPAR.getter(adapter, uuid))
    task.add_functor_subtask(subtask)
    wrapper, _ = task.execute()
    assert len(calls) == 2 and calls[0] != calls[1]
    assert emulator.count("POST", "LogicalPartition", 412) == 1
    assert emulator.count("POST", "LogicalPartition", 200) == 1
    name = emulator.get_value(uuid, "PartitionName")
    assert name.endswith(SUFFIX) and not name.endswith(SUFFIX * 2)
    assert emulator.get_value(uuid, MEM) == str(oob.last[uuid])
    assert wrapper.etag == emulator.etag(uuid)


def test_t5_9_feed_task_with_concurrent_out_of_band_writers():
    """T5.9/T5.12 over HTTP: a FeedTask over 40 LPARs while another agent
    keeps changing them: every entry ends with our change exactly once,
    and no out-of-band change is lost (our POSTs never overwrite one)."""
    emu = Emulator(lpars=40, seed=11)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        oob = OutOfBand(emu)
        uuids = emu.uuids()
        rng = random.Random(5)
        stop = threading.Event()

        def other_agent():
            while not stop.is_set():
                oob.write(rng.choice(uuids))
                stop.wait(0.002)

        def subtask(lpar):
            if rng.random() < 0.3:
                oob.write(lpar.uuid)  # lose the race for this attempt
            return add_suffix(lpar)

        task = tx.FeedTask("ft", _feed_getter(adapter, emu), max_workers=10,
                           delay_func=NO_DELAY)
        task.add_functor_subtask(subtask)
        writer = threading.Thread(target=other_agent)
        writer.start()
        try:
            result = task.execute()
        finally:
            stop.set()
            writer.join()
        assert set(result["wrapper_task_rets"]) == set(uuids)
        for uuid in uuids:
            name = emu.get_value(uuid, "PartitionName")
            assert name.endswith(SUFFIX) and not name.endswith(SUFFIX * 2)
            if uuid in oob.last:
                assert emu.get_value(uuid, MEM) == str(oob.last[uuid])
        outcomes = task.outcomes
        assert {o.status for o in outcomes.values()} == {"updated"}
        conflicts = emu.count("POST", "LogicalPartition", 412)
        assert conflicts > 0
        assert sum(o.retries for o in outcomes.values()) == conflicts
        assert emu.count("POST", "LogicalPartition", 200) == len(uuids)
        adapter.session.logoff()


def test_a1_4_session_expiry_mid_feed_task_one_relogon():
    """A1.4/T5.9: the session expires in the middle of a FeedTask; the
    in-flight requests see 401, one shared re-logon follows, and every
    entry is done."""
    emu = Emulator(lpars=30, seed=2)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        emu.latency = 0.002  # keep several requests in flight
        emu.expire_sessions(after=12)  # the feed GET and 11 POSTs
        task = tx.FeedTask("expiry", _feed_getter(adapter, emu),
                           max_workers=10)
        task.add_functor_subtask(add_suffix)
        task.execute()
        assert {o.status for o in task.outcomes.values()} == {"updated"}
        assert emu.counters()["logons"] == 2  # first logon + one re-logon
        assert 1 <= emu.count(status=401) <= 10
        for uuid in emu.uuids():
            assert emu.get_value(uuid, "PartitionName").endswith(SUFFIX)


def test_a1_2_feed_task_reuses_connections():
    """A1.2: a FeedTask over 100 entries with max_workers=10 opens at most
    12 connections (the emulator counts them)."""
    emu = Emulator(lpars=100, seed=4)
    with emu:
        adapter = emu.adapter()
        emu.latency = 0.001
        task = tx.FeedTask("reuse", _feed_getter(adapter, emu),
                           max_workers=10)
        task.add_functor_subtask(add_suffix)
        task.execute()
        assert emu.count("POST", "LogicalPartition", 200) == 100
        assert emu.connections_opened <= 12
        adapter.session.logoff()


def test_a1_7_feed_task_get_faults_retried_lost_post_reply_resolved():
    """A1.7/T5.12 (rev 2): a 503 and a dropped connection on the feed GET
    are retried; a POST whose reply is lost is not re-sent, was applied
    exactly once, and re-reading the entry shows the change landed, so
    its outcome is 'updated' (it was reported 'failed' before rev 2)."""
    emu = Emulator(lpars=8, seed=9)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        emu.inject_fault("status", status=503, count=1, methods=["GET"])
        emu.inject_fault("drop", count=1, methods=["GET"])
        emu.inject_fault("drop_after", count=1, methods=["POST"])
        task = tx.FeedTask("faults", _feed_getter(adapter, emu),
                           max_workers=4, continue_on_error=True)
        task.add_functor_subtask(add_suffix)
        result = task.execute()
        statuses = [o.status for o in task.outcomes.values()]
        assert statuses == ["updated"] * 8
        assert len(result["wrapper_task_rets"]) == 8
        assert emu.count("POST") == 8  # one per entry, none re-sent
        assert emu.count("GET", "LogicalPartition", 200) == 1 + 1  # re-read
        for uuid in emu.uuids():
            assert emu.version(uuid) == 2  # every POST applied once
            name = emu.get_value(uuid, "PartitionName")
            assert name.endswith(SUFFIX) and not name.endswith(SUFFIX * 2)


def test_t5_12_post_dropped_before_it_was_applied_is_failed():
    """T5.12 (rev 2): the connection drops before the server acted on the
    POST: re-reading shows the same etag, so the entry is 'failed' (not
    'unknown'), and nothing was applied."""
    emu = Emulator(lpars=3, seed=4)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        emu.inject_fault("drop", count=1, methods=["POST"])
        task = tx.FeedTask("drop", _feed_getter(adapter, emu),
                           max_workers=1, continue_on_error=True)
        task.add_functor_subtask(add_suffix)
        task.execute()
        failed = [o for o in task.outcomes.values() if o.status != "updated"]
        assert [o.status for o in failed] == ["failed"]
        assert isinstance(failed[0].exception, pvmex.ConnectionError)
        assert failed[0].exception.request_sent
        assert emu.version(failed[0].uuid) == 1


def grow_memory(lpar):
    """A change that is never "already done": it always flags a POST."""
    lpar.mem_config.desired = lpar.mem_config.desired + 256
    return True


def test_t5_12_lost_reply_that_cannot_be_told_is_unknown():
    """T5.12 (rev 2), issue 7 scope 9: the POST landed but its reply was
    lost, and the change cannot be recognised on a re-read (the Subtask
    would change the entry again): the outcome is 'unknown', never a
    plain 'failed' (it may have landed) nor a re-sent POST."""
    emu = Emulator(lpars=2, seed=6)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        emu.inject_fault("drop_after", count=1, methods=["POST"])
        task = tx.FeedTask("grow", _feed_getter(adapter, emu),
                           max_workers=1, continue_on_error=True)
        task.add_functor_subtask(grow_memory)
        task.execute()
        unknown = [o for o in task.outcomes.values() if o.status == "unknown"]
        assert len(unknown) == 1
        assert isinstance(unknown[0].exception, pvmex.ConnectionError)
        assert emu.version(unknown[0].uuid) == 2  # it had landed, once
        assert emu.count("POST") == 2


def test_t5_10_post_503_fails_the_feed_task_entry():
    """T5.10 over HTTP: an injected 503 on one POST propagates as the
    HttpError itself when it is the only failure."""
    emu = Emulator(lpars=5, seed=1)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        emu.inject_fault("status", status=503, count=1, methods=["POST"])
        task = tx.FeedTask("one_failure", _feed_getter(adapter, emu),
                           max_workers=5)
        task.add_functor_subtask(add_suffix)
        with pytest.raises(pvmex.HttpError) as info:
            task.execute()
        assert info.value.response.status == 503
        assert emu.count("POST", "LogicalPartition", 503) == 1
        assert emu.count("POST", "LogicalPartition", 200) <= 4


def test_t1_7_deadline_bounds_every_rest_call_over_http():
    """T1.7 (rev 2), issue 7 scope 4: deadline=0.5 against a console that
    answers in 1.5 s raises DeadlineExceeded in under 1 s (it ran 3 s and
    reported success before), naming the UUID, the tries and the
    deadline; nothing was applied."""
    import time

    emu = Emulator(lpars=1, seed=5)
    with emu:
        adapter = emu.adapter(retry_delay=None)
        uuid = emu.uuids()[0]
        before = emu.version(uuid)
        emu.latency = 1.5

        @tx.entry_transaction(deadline=0.5)
        def rename(lpar):
            lpar.name = "renamed"
            return lpar.update()

        start = time.monotonic()
        with pytest.raises(pvmex.DeadlineExceeded) as info:
            rename(LPAR.getter(adapter, uuid))
        elapsed = time.monotonic() - start
        assert elapsed < 1.0, elapsed
        exc = info.value
        assert isinstance(exc, TimeoutError) and isinstance(exc, pvmex.Error)
        assert exc.uuid == uuid and exc.deadline == 0.5
        assert exc.tries is not None
        assert uuid in str(exc)
        emu.latency = 0
        assert emu.version(uuid) == before
