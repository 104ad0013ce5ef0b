"""The fixtures as consumers' existing suites use them (SPEC E2 rev 2,
issue 9 scope 6): AdapterFx's ``adpt`` and ``traits=``, the recorders'
``patchers`` / ``log()`` and a recorder that answers any getter."""

import time
import unittest
from unittest import mock

import fixtures
import pytest

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing import fixtures as pvm_fx
from pypvm_tx.wrappers import logical_partition as lpar

U1 = "5F5D8E52-8C1A-4D27-9F0B-22A1E0F13C01"
U2 = "5F5D8E52-8C1A-4D27-9F0B-22A1E0F13C02"


def _conflict(*_args, **_kwargs):
    raise pvmex.HttpError(mock.Mock(status=c.HTTP_PRECONDITION_FAILED))


class PeerShapeTest(fixtures.TestWithFixtures, unittest.TestCase):

    def setUp(self):
        super().setUp()
        self.adptfx = self.useFixture(pvm_fx.AdapterFx(
            traits=pvm_fx.RemoteHMCTraits))
        self.adpt = self.adptfx.adpt
        self.wrapper = self.adptfx.wrapper(pvm_fx.make_lpar(uuid=U1))

    def test_e2_adapter_fx_adpt_and_traits(self):
        """E2: .adpt is the autospecced adapter; traits on it and its
        session; the default is LocalPVMTraits."""
        self.assertIs(self.adptfx.adapter, self.adpt)
        self.assertIs(pvm_fx.RemoteHMCTraits, self.adpt.traits)
        self.assertIs(pvm_fx.RemoteHMCTraits, self.adpt.session.traits)
        self.assertTrue(self.adpt.traits.has_lpar_profiles)
        with self.assertRaises(TypeError):
            self.adpt.read("LogicalPartition", no_such_arg=1)
        session = mock.Mock(traits=pvm_fx.RemotePVMTraits)
        with pvm_fx.AdapterFx(session=session) as other:
            self.assertIs(session, other.adpt.session)
            self.assertIs(pvm_fx.RemotePVMTraits, other.adpt.traits)
        with pvm_fx.AdapterFx() as plain:
            self.assertTrue(plain.adpt.traits.local_api)
        with self.assertRaises(TypeError):
            pvm_fx.AdapterFx("https://hmc:12443")

    def test_e2_wrapper_task_fx_answers_any_getter(self):
        """E2: WrapperTaskFx's get answers its wrapper for a getter of any
        UUID; refresh returns that wrapper; the log is in order."""
        txfx = self.useFixture(pvm_fx.WrapperTaskFx(self.wrapper))
        getter = lpar.LPAR.getter(self.adpt, "getter_uuid")

        @tx.entry_transaction
        def touch(wrapper):
            txfx.log("touch")
            return wrapper

        self.assertIs(self.wrapper, touch(getter))
        self.assertIs(self.wrapper, self.wrapper.refresh())
        self.assertEqual(["lock", "get", "touch", "unlock", "refresh"],
                         txfx.get_log())
        self.adpt.read.assert_not_called()

    def test_e2_wrapper_task_fx_patchers_before_start(self):
        """E2: a patcher's side_effect set before the fixture starts
        replaces the default (and is not logged); the update mock sees
        only the timeout, as the peer's plain patch does."""
        txfx = pvm_fx.WrapperTaskFx(self.wrapper)
        tries = []

        def conflict_twice(timeout=-1):
            tries.append(timeout)
            txfx.log("update %d" % len(tries))
            if len(tries) < 3:
                _conflict()
            return self.wrapper

        txfx.patchers["update"].side_effect = conflict_twice
        self.useFixture(txfx)
        task = tx.WrapperTask("t", self.wrapper, update_timeout=123)
        task.add_functor_subtask(lambda w: True)
        task.execute()
        self.assertEqual([123, 123, 123], tries)
        self.assertEqual(3, txfx.patchers["update"].mock.call_count)
        txfx.patchers["update"].mock.assert_called_with(timeout=123)
        self.assertEqual(["lock", "update 1", "refresh", "update 2",
                          "refresh", "update 3", "unlock"], txfx.get_log())
        time.sleep(5)  # patched: costs nothing
        txfx.patchers["sleep"].mock.assert_called_with(5)

    def test_e2_removed_patcher_is_not_patched(self):
        """E2: a patcher deleted before start leaves the method real."""
        txfx = pvm_fx.WrapperTaskFx(self.wrapper)
        del txfx.patchers["refresh"]
        self.useFixture(txfx)
        not_modified = self.adptfx.not_modified_response()
        self.adpt.read.return_value = not_modified
        self.adpt.read_by_href.return_value = not_modified
        self.assertIs(self.wrapper, self.wrapper.refresh())
        self.assertEqual([], txfx.get_log())
        self.assertEqual(1, self.adpt.read_by_href.call_count
                         + self.adpt.read.call_count)

    def test_e2_return_value_is_logged_and_returned(self):
        """E2: a return_value set on a patcher is logged and returned."""
        other = self.adptfx.wrapper(pvm_fx.make_lpar(uuid=U1), etag="9")
        txfx = pvm_fx.WrapperTaskFx(self.wrapper)
        txfx.patchers["update"].return_value = other
        self.useFixture(txfx)
        self.assertIs(other, self.wrapper.update())
        self.assertEqual(["update"], txfx.get_log())

    def test_e2_feed_task_fx_update_mock_gets_the_wrapper(self):
        """E2: FeedTaskFx answers the feed getter with its feed; the
        update mock is called with the wrapper first; refresh returns
        the wrapper it is called on."""
        feed = self.adptfx.feed([pvm_fx.make_lpar(uuid=U1),
                                 pvm_fx.make_lpar(uuid=U2)])
        ftfx = self.useFixture(pvm_fx.FeedTaskFx(feed))
        ftsk = tx.FeedTask("ft", lpar.LPAR.getter(self.adpt),
                           update_timeout=7, max_workers=1)
        ftsk.add_functor_subtask(lambda w: True)
        ret = ftsk.execute()
        self.assertEqual({U1, U2}, set(ret["wrapper_task_rets"]))
        ftfx.patchers["update"].mock.assert_called_with(mock.ANY, timeout=7)
        self.assertEqual(2, ftfx.patchers["update"].mock.call_count)
        self.assertIs(feed[0], feed[0].refresh())
        self.assertEqual(["get", "lock", "update", "unlock", "lock",
                          "update", "unlock", "refresh"], ftfx.get_log())

    def test_e2_session_and_sleep_fixtures(self):
        """E2: SessionFx mocks the Session class; SleepFx time.sleep."""
        sfx = self.useFixture(pvm_fx.SessionFx(pvm_fx.RemotePVMTraits))
        self.assertIs(sfx.sess, adp.Session)
        self.assertIs(pvm_fx.RemotePVMTraits, adp.Session.traits)
        self.assertEqual(1200, sfx.sess.timeout)
        sleep = self.useFixture(pvm_fx.SleepFx())
        time.sleep(30)
        sleep.patchers["sleep"].mock.assert_called_once_with(30)


class Frob:
    """A target for the custom patchers below."""

    def twiddle(self, value):
        return ("real", value)


def frob(value):
    return ("real", value)


class CustomPatcherTest(fixtures.TestWithFixtures, unittest.TestCase):
    """E2: patchers added to a recorder as consumers' suites add them."""

    def test_e2_logging_patcher_added_to_wrapper_task_fx(self):
        afx = self.useFixture(pvm_fx.AdapterFx())
        wrapper = afx.wrapper(pvm_fx.make_lpar(uuid=U1))
        txfx = pvm_fx.WrapperTaskFx(wrapper)
        here = __name__
        txfx.add_patchers(
            pvm_fx.LoggingPatcher(txfx, "frob", here + ".frob",
                                  return_value="mocked"),
            pvm_fx.LoggingPatcher(txfx, "twiddle", here + ".Frob.twiddle",
                                  patch_object=True,
                                  return_value=pvm_fx.LoggingPatcher.FIRST_ARG))
        self.useFixture(txfx)
        thing = Frob()
        self.assertEqual("mocked", frob(1))
        self.assertIs(thing, thing.twiddle(2))
        txfx.patchers["twiddle"].mock.assert_called_once_with(thing, 2)
        self.assertEqual(["frob", "twiddle"], txfx.get_log())

    def test_e2_simple_patcher_and_logging_fx(self):
        holder = self.useFixture(pvm_fx.SimplePatchingFx())
        self.assertEqual({}, holder.patchers)
        patcher = pvm_fx.SimplePatcher(holder, "frob", __name__ + ".frob",
                                       return_value=5)
        self.assertEqual(5, patcher.start()(1))
        logs = self.useFixture(pvm_fx.LoggingFx())
        from oslo_log import log as logging
        logging.getLogger(__name__).warning("watched")
        logs.patchers["warning"].mock.assert_called_once_with("watched")

    def test_e2_patchers_undone(self):
        with pvm_fx.SleepFx(side_effect=ValueError):
            with self.assertRaises(ValueError):
                time.sleep(0)
        time.sleep(0)
        self.assertEqual(("real", 1), frob(1))


def test_e2_tx_recorder_keeps_server_copies_and_strict_getters():
    """E2: TxRecorderFx (the richer recorder) still refuses a getter of
    a UUID it was not given, and has the same patchers dict."""
    with pvm_fx.AdapterFx() as afx, pvm_fx.TxRecorderFx() as rec:
        assert {"get", "feed_get", "update", "refresh", "lock",
                "unlock"} == set(rec.patchers)
        with pytest.raises(AssertionError, match="add"):
            lpar.LPAR.getter(afx.adpt, U2).get()
