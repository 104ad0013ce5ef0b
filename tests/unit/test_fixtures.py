"""The consumer test fixtures of pypvm_tx.testing (SPEC E2)."""

import unittest

import fixtures
import pytest

from pypvm_tx import exceptions as pvmex
from pypvm_tx import locks
from pypvm_tx.testing import fixtures as pvm_fx
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import virtual_io_server as vios

U1 = "5F5D8E52-8C1A-4D27-9F0B-22A1E0F13C01"
U2 = "5F5D8E52-8C1A-4D27-9F0B-22A1E0F13C02"
MS_UUID = "a3c0a0f4-7f0e-3b8e-9c3d-1c7d2b0e9f10"


def no_delay(*_args, **_kwargs):
    return None


@pytest.fixture
def adapter_fx():
    """E2: a fixtures.Fixture is a context manager, so a pytest fixture is
    two lines (pypvm_tx.testing.pytest_plugin ships these ready-made)."""
    with pvm_fx.AdapterFx() as fx:
        yield fx


@pytest.fixture
def tx_recorder():
    with pvm_fx.TxRecorderFx() as fx:
        yield fx


# -- canned objects ----------------------------------------------------------

def test_e2_make_lpar_and_vios_are_valid_wrappers():
    """E2: make_lpar / make_vios build wrappers with the asked values, in
    schema order."""
    part = pvm_fx.make_lpar(name="vm1", uuid=U1, desired_mem=4096,
                            proc_units=0.3, virtual_procs=2)
    assert (part.uuid, part.name, part.mem_config.desired) == (U1, "vm1",
                                                               4096)
    assert part.proc_config.desired_units == 0.3
    assert part.env == lpar.LPARType.AIXLINUX
    names = [e.tag.split("}")[1] for e in part.element]
    assert names == sorted(names, key=lpar.LPAR_CHILD_ORDER.index)
    server = pvm_fx.make_vios(
        uuid=U2, scsi_mappings=[vios.VSCSIMapping.bld_by_id(2, "disk")],
        vfc_mappings=[vios.VFCMapping.bld_by_id(2, "fcs0")])
    assert server.env == lpar.LPARType.VIOS
    assert [m.backing_storage_name for m in server.scsi_mappings] == ["disk"]
    assert len(server.vfc_mappings) == 1


# -- AdapterFx -------------------------------------------------------------

def test_e2_adapter_fx_is_autospecced(adapter_fx):
    """E2: the mock has the Adapter's signatures."""
    with pytest.raises(TypeError):
        adapter_fx.adapter.read()  # root_type missing
    with pytest.raises(AttributeError):
        adapter_fx.adapter.no_such_method


def test_e2_adapter_fx_entry_response_wraps(adapter_fx):
    """E2: an entry response wraps to the right class with its etag, href
    and the mocked adapter."""
    resp = adapter_fx.entry_response(pvm_fx.make_lpar(uuid=U1, name="a"),
                                     etag="77", xag=["ViosSCSIMapping"])
    wrapper = ewrap.EntryWrapper.wrap(resp)
    assert type(wrapper) is lpar.LPAR
    assert (wrapper.uuid, wrapper.etag, wrapper.name) == (U1, "77", "a")
    assert wrapper.href.endswith(
        "/rest/api/uom/LogicalPartition/%s?group=ViosSCSIMapping" % U1)
    assert wrapper.adapter is adapter_fx.adapter


def test_e2_adapter_fx_child_href(adapter_fx):
    """E2: CHILD hrefs name the parent (and, read with the default
    xag=None, carry group=None as the server's SELF link would: A2.4
    rev 2)."""
    wrapper = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1),
                                 parent_type="ManagedSystem",
                                 parent_uuid=MS_UUID)
    assert wrapper.href.endswith(
        "/ManagedSystem/%s/LogicalPartition/%s?group=None" % (MS_UUID, U1))


def test_e2_adapter_fx_feed_per_entry_etags(adapter_fx):
    """E2: a canned feed carries per-entry etags; none is a 204."""
    feed = adapter_fx.feed([pvm_fx.make_lpar(uuid=U1),
                            pvm_fx.make_lpar(uuid=U2)], etags=["1", "2"])
    assert [(w.uuid, w.etag) for w in feed] == [(U1, "1"), (U2, "2")]
    assert adapter_fx.feed_response([]).status == 204
    assert ewrap.EntryWrapper.wrap(adapter_fx.feed_response([])) == []
    with pytest.raises(ValueError, match="one etag per object"):
        adapter_fx.feed_response([pvm_fx.make_lpar()], etags=["1", "2"])


def test_e2_adapter_fx_queue_drives_real_wrapper_code(adapter_fx):
    """E2: queued results drive EntryWrapper code: GET, a 412 on update,
    then refresh and a successful update."""
    obj = pvm_fx.make_lpar(uuid=U1, name="vm", desired_mem=1024)
    fx = adapter_fx
    fx.queue("read", fx.entry_response(obj, etag="1"))
    fx.queue("update_by_path", fx.http_error(412),
             fx.entry_response(obj, etag="3", method="POST"))
    fx.queue("read_by_href", fx.entry_response(obj, etag="2"))
    wrapper = lpar.LPAR.get(fx.adapter, uuid=U1)
    with pytest.raises(pvmex.HttpError) as info:
        wrapper.update()
    assert info.value.response.status == 412
    fresh = wrapper.refresh()
    assert fresh.etag == "2"
    assert fresh.update().etag == "3"
    assert fx.pending("update_by_path") == 0
    with pytest.raises(AssertionError, match="no canned result left for "
                       "adapter.read_by_href"):
        fresh.refresh()


def test_e2_adapter_fx_304_and_errors(adapter_fx):
    """E2: 304 keeps the wrapper; http_error builds the right subclass
    with the server message."""
    wrapper = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1))
    adapter_fx.adapter.read_by_href.return_value = (
        adapter_fx.not_modified_response())
    assert wrapper.refresh() is wrapper
    err = adapter_fx.http_error(404, method="GET", message="gone")
    assert isinstance(err, pvmex.HttpNotFound)
    assert "gone" in str(err)


# -- TxRecorderFx with the real transaction layer ------------------------------

def _set_mem(wrapper, mem):
    wrapper.mem_config.desired = mem
    return True


def test_e2_recorder_wrapper_task_with_getter(tx_recorder, adapter_fx):
    """E2/T1.5: a WrapperTask on a getter records lock, get, update,
    unlock and does no I/O."""
    from pypvm_tx.transaction import WrapperTask

    tx_recorder.add(adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1)))
    task = WrapperTask("resize", lpar.LPAR.getter(adapter_fx.adapter, U1))
    task.add_functor_subtask(_set_mem, 3072)
    wrapper, _provided = task.execute()
    assert wrapper.mem_config.desired == 3072
    assert tx_recorder.get_log() == ["lock", "get", "update", "unlock"]
    adapter_fx.adapter.read.assert_not_called()
    adapter_fx.adapter.update_by_path.assert_not_called()


def test_e2_recorder_mismatch_redrives(tx_recorder, adapter_fx):
    """E2/T1.5: two scheduled etag mismatches give lock, get, update,
    refresh, update, refresh, update, unlock."""
    from pypvm_tx.transaction import WrapperTask

    tx_recorder.add(adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1)))
    tx_recorder.mismatch(times=2, uuid=U1)
    task = WrapperTask("resize", lpar.LPAR.getter(adapter_fx.adapter, U1),
                       delay_func=no_delay)
    task.add_functor_subtask(_set_mem, 3072)
    task.execute()
    assert tx_recorder.get_log(U1) == [
        "lock", "get", "update", "refresh", "update", "refresh", "update",
        "unlock"]


def _grow_to(wrapper, target):
    """An idempotent subtask: already at the target, nothing to do."""
    if wrapper.mem_config.desired == target:
        return False
    wrapper.mem_config.desired = target
    return True


def test_e2_recorder_refresh_after_conflict_is_the_servers_copy(
        tx_recorder, adapter_fx):
    """E2/T1.5: after a simulated 412 the refresh gives the server's copy,
    not the wrapper the subtask already changed; an idempotent subtask
    then changes it again and updates, as against a real server (issue 7
    scope 8: it used to record lock, get, update, refresh, unlock)."""
    from pypvm_tx.transaction import WrapperTask

    tx_recorder.add(adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1,
                                                        desired_mem=1024)))
    tx_recorder.mismatch(uuid=U1)
    task = WrapperTask("grow", lpar.LPAR.getter(adapter_fx.adapter, U1),
                       delay_func=no_delay)
    task.add_functor_subtask(_grow_to, 3072)
    wrapper, _provided = task.execute()
    assert tx_recorder.get_log(U1) == [
        "lock", "get", "update", "refresh", "update", "unlock"]
    assert wrapper.mem_config.desired == 3072


def test_e2_recorder_server_copy_follows_updates(adapter_fx):
    """E2: TxRecorderFx's refresh gives what its server holds: the state as
    added, then as last updated; a simulated conflict changes the etag,
    so refresh(use_etag=True) of the stale copy is a new wrapper."""
    added = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1, desired_mem=1024),
                               etag="5")
    with pvm_fx.TxRecorderFx([added]) as fx:
        added.mem_config.desired = 2048  # local, not yet updated
        assert added.refresh(use_etag=True) is added  # 304: same etag
        fresh = added.refresh(use_etag=False)
        assert fresh is not added
        assert (fresh.uuid, fresh.etag) == (U1, "5")
        assert fresh.mem_config.desired == 1024
        assert fresh.href == added.href and fresh.adapter is added.adapter
        added.update()
        assert added.refresh(use_etag=False).mem_config.desired == 2048
        fx.mismatch()
        added.mem_config.desired = 4096
        with pytest.raises(pvmex.HttpError):
            added.update()
        again = added.refresh()
        assert again is not added and again.etag != "5"
        assert again.mem_config.desired == 2048


def test_e2_recorder_no_change_no_update(tx_recorder, adapter_fx):
    """E2/T4.6: a Subtask that changes nothing: no update recorded; a
    wrapper (not a getter) has no get."""
    from pypvm_tx.transaction import WrapperTask

    wrapper = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1))
    task = WrapperTask("noop", wrapper)
    task.add_functor_subtask(lambda w: False)
    task.execute()
    assert tx_recorder.get_log() == ["lock", "unlock"]


def test_e2_feed_task_fx_records_each_entry(adapter_fx):
    """E2: FeedTaskFx records the feed get and each entry's lock, update
    and unlock, per UUID, from parallel workers."""
    from pypvm_tx.transaction import FeedTask

    feed = adapter_fx.feed([pvm_fx.make_lpar(uuid=U1),
                            pvm_fx.make_lpar(uuid=U2)])
    with pvm_fx.FeedTaskFx(feed) as fx:
        fx.mismatch(uuid=U2)
        task = FeedTask("all", lpar.LPAR.getter(
            adapter_fx.adapter, parent_class=ms.System,
            parent_uuid=MS_UUID), max_workers=2, delay_func=no_delay)
        task.add_functor_subtask(_set_mem, 512)
        rets = task.execute()
        assert set(rets["wrapper_task_rets"]) == {U1, U2}
        assert fx.get_log(U1) == ["get", "lock", "update", "unlock"]
        assert fx.get_log(U2) == ["get", "lock", "update", "refresh",
                                  "update", "unlock"]
        assert fx.get_log().count("get") == 1
    adapter_fx.adapter.read.assert_not_called()


def test_e2_recorder_restores_everything():
    """E2: after clean-up, getters, update, refresh and locks are the real
    ones again."""
    def current():
        return (ewrap.EntryWrapperGetter.get, ewrap.FeedGetter.get,
                ewrap.UUIDFeedGetter.get, ewrap.EntryWrapper.update,
                ewrap.EntryWrapper.refresh, lpar.LPAR.update,
                locks.LockProvider.acquire, locks.LockProvider.release,
                locks.InProcessLockProvider.acquire)
    originals = current()
    with pvm_fx.TxRecorderFx():
        assert ewrap.EntryWrapper.update is not originals[3]
        assert ewrap.UUIDFeedGetter.get is ewrap.FeedGetter.get
    assert current() == originals
    assert "get" not in vars(ewrap.UUIDFeedGetter)


def test_e2_recorder_uuid_feed_getter(adapter_fx):
    """E2: a UUIDFeedGetter gets just its UUIDs' wrappers, in its order."""
    one = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1))
    two = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U2))
    with pvm_fx.FeedTaskFx([one, two]) as fx:
        getter = ewrap.UUIDFeedGetter(adapter_fx.adapter, lpar.LPAR, [U2])
        assert getter.get() == [two]
        assert fx.get_log() == ["get"]


def test_e2_recorder_unknown_uuid_is_clear(tx_recorder, adapter_fx):
    """E2: a getter for a UUID the recorder was not given fails the test
    with a message saying how to fix it."""
    with pytest.raises(AssertionError, match="add"):
        lpar.LPAR.getter(adapter_fx.adapter, U2).get()


def test_e2_recorder_update_func(adapter_fx):
    """E2: update_func returns what update() should (e.g. a new etag)."""
    wrapper = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1), etag="1")
    after = adapter_fx.wrapper(pvm_fx.make_lpar(uuid=U1), etag="2")
    with pvm_fx.WrapperTaskFx(wrapper,
                              update_func=lambda w, timeout: after) as fx:
        assert wrapper.update(timeout=5) is after
        assert fx.get_log() == ["update"]
        assert fx.wrapper is wrapper


# -- with the fixtures library's useFixture -----------------------------------

class FixturesLibraryTest(fixtures.TestWithFixtures, unittest.TestCase):
    """E2: the fixtures work through useFixture (as in testtools/oslotest)."""

    def test_e2_use_fixture(self):
        afx = self.useFixture(pvm_fx.AdapterFx())
        wrapper = afx.wrapper(pvm_fx.make_lpar(uuid=U1))
        rec = self.useFixture(pvm_fx.WrapperTaskFx(wrapper))
        wrapper.refresh()
        self.assertEqual(["refresh"], rec.get_log())
        self.assertIsInstance(rec, fixtures.Fixture)


# -- the pytest plugin ---------------------------------------------------------

PLUGIN_TEST = """
from pypvm_tx.testing import fixtures as pvm_fx
from pypvm_tx.wrappers import logical_partition as lpar

def test_plugin(adapter_fx, tx_recorder):
    wrapper = adapter_fx.wrapper(pvm_fx.make_lpar(uuid="U1"))
    tx_recorder.add(wrapper)
    assert lpar.LPAR.getter(adapter_fx.adapter, "U1").get() is wrapper
    assert tx_recorder.get_log() == ["get"]
"""


def test_e2_pytest_plugin_fixtures(tmp_path):
    """E2: a project enabling pypvm_tx.testing.pytest_plugin in its
    conftest gets the adapter_fx / tx_recorder fixtures."""
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["pypvm_tx.testing.pytest_plugin"]\n')
    (tmp_path / "test_consumer.py").write_text(PLUGIN_TEST)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(tmp_path)], capture_output=True, text=True, timeout=120,
        cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
