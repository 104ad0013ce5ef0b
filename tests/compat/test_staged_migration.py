"""Staged migration (SPEC T8, T4.1 rev 2; issue 9 acceptance): pypvm_tx's
transaction layer runs on pypowervm 1.1.27's *own* wrappers, getters,
Session and Adapter, talking HTTP to the pypvm_tx emulator on 127.0.0.1,
etag conflicts included.  Only the transaction import has changed.

Collected only in the compat virtualenv (pypowervm installed).
"""

import threading
import urllib.parse
import warnings

import pytest
from lxml import etree

from pypowervm import adapter as pvm_adpt
from pypowervm import const as pvm_c
from pypowervm.wrappers import logical_partition as pvm_lpar
from pypowervm.wrappers import virtual_io_server as pvm_vios

from pypvm_tx import const as c
from pypvm_tx import transaction as tx
from pypvm_tx.testing.emulator import Emulator


def no_delay(*_args, **_kwargs):
    return None


@pytest.fixture
def emulator():
    emu = Emulator(lpars=4, vioses=1, seed=11)
    with emu:
        yield emu


@pytest.fixture
def pvm_adapter(emulator):
    """A pypowervm Adapter logged on to the emulator, over HTTP."""
    url = urllib.parse.urlsplit(emulator.url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sess = pvm_adpt.Session(url.hostname, "hscroot", "abc123",
                                protocol=url.scheme, port=url.port,
                                conn_tries=1)
    yield pvm_adpt.Adapter(sess)
    # The peer's Session has no public logoff: it logs off from __del__
    # through _logoff, which is done here while the emulator still runs
    # (its __del__ then does nothing).
    sess._logoff()


def stored_memory(emulator, uuid):
    """The desired memory the emulator holds for ``uuid``."""
    element = etree.fromstring(emulator.object_xml(uuid))
    return int(element.findtext(
        "{ns}PartitionMemoryConfiguration/{ns}DesiredMemory".format(
            ns="{%s}" % c.UOM_NS)))


def set_memory(mem):
    def subtask(wrapper):
        if wrapper.mem_config.desired == mem:
            return False
        wrapper.mem_config.desired = mem
        return True
    return subtask


def test_t8_wrapper_task_on_peer_getter_with_conflict(emulator, pvm_adapter):
    """T8: a WrapperTask on pypowervm's LPAR getter; another writer
    changes the LPAR between the GET and the POST: the POST gets 412, the
    wrapper is refreshed (a pypowervm wrapper) and the subtask redone."""
    uuid = emulator.uuids(c.LOGICAL_PARTITION)[0]
    getter = pvm_lpar.LPAR.getter(pvm_adapter, uuid)
    seen = []

    def grow(wrapper):
        seen.append((type(wrapper), wrapper.etag))
        if len(seen) == 1:
            emulator.change(uuid)  # an out-of-band write: etag moves on
        wrapper.mem_config.desired = 6144
        return True

    task = tx.WrapperTask("grow", getter, delay_func=no_delay)
    task.add_functor_subtask(grow)
    wrapper, _provided = task.execute()

    assert [kind for kind, _etag in seen] == [pvm_lpar.LPAR, pvm_lpar.LPAR]
    assert seen[0][1] != seen[1][1]  # redone on the refreshed wrapper
    assert isinstance(wrapper, pvm_lpar.LPAR)
    assert wrapper.mem_config.desired == 6144
    assert stored_memory(emulator, uuid) == 6144
    assert emulator.count("POST") == 2  # one 412, one success


def test_t8_wrapper_task_on_peer_wrapper_no_change_no_post(emulator,
                                                           pvm_adapter):
    """T8: a pypowervm wrapper (not a getter) is taken as it is; a subtask
    that changes nothing means no POST."""
    uuid = emulator.uuids(c.LOGICAL_PARTITION)[1]
    wrapper = pvm_lpar.LPAR.get(pvm_adapter, uuid=uuid)
    task = tx.WrapperTask("noop", wrapper)
    task.add_functor_subtask(lambda w: False)
    result, _provided = task.execute()
    assert result is wrapper
    assert emulator.count("POST") == 0


def test_t8_feed_task_on_peer_feed_getter_with_conflicts(emulator,
                                                         pvm_adapter):
    """T8: a FeedTask over pypowervm's LPAR feed getter, in parallel; two
    entries are changed by another writer mid-flight; every entry ends
    updated, with pypvm_tx's outcomes and progress."""
    uuids = emulator.uuids(c.LOGICAL_PARTITION)
    racy = set(uuids[:2])
    raced = set()
    lock = threading.Lock()
    progress = []

    def resize(wrapper):
        with lock:
            first = wrapper.uuid in racy and wrapper.uuid not in raced
            raced.add(wrapper.uuid)
        if first:
            emulator.change(wrapper.uuid)
        return set_memory(3072)(wrapper)

    feed_task = tx.FeedTask(
        "resize", pvm_lpar.LPAR.getter(pvm_adapter), max_workers=3,
        delay_func=no_delay,
        progress=lambda outcome, done, total: progress.append(done))
    feed_task.add_functor_subtask(resize)
    result = feed_task.execute()

    assert set(result["wrapper_task_rets"]) == set(uuids)
    for uuid in uuids:
        assert stored_memory(emulator, uuid) == 3072
        outcome = feed_task.outcomes[uuid]
        assert outcome.status == "updated"
        assert outcome.retries == (1 if uuid in racy else 0)
        assert isinstance(outcome.wrapper, pvm_lpar.LPAR)
    assert sorted(progress) == list(range(1, len(uuids) + 1))
    assert emulator.count("POST") == len(uuids) + len(racy)


def test_t8_feed_task_on_peer_vios_feed(emulator, pvm_adapter):
    """T8: the peer's VIOS feed getter (with the peer's extended attribute
    groups) drives a FeedTask whose subtask only reads: no POST."""
    getter = pvm_vios.VIOS.getter(pvm_adapter, xag=[pvm_c.XAG.VIO_SMAP])
    names = []
    feed_task = tx.FeedTask("read", getter)
    feed_task.add_functor_subtask(lambda w: names.append(w.name) and False)
    feed_task.execute()
    assert len(names) == len(emulator.uuids(c.VIRTUAL_IO_SERVER))
    assert emulator.count("POST") == 0
