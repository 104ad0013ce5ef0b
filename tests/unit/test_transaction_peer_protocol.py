"""Staged migration: transactions run on wrappers and getters of another
package, recognised by protocol, not by class (T4.1 rev 2, T8, T1, T5.1)."""

import pytest

from pypvm_tx import transaction as tx
from pypvm_tx.transaction import protocols
from tests.unit import peer_fakes as pf

UUIDS = ["11111111-AAAA", "22222222-BBBB", "33333333-CCCC"]


def rename(wrapper, name):
    wrapper.name = name
    return True


@pytest.fixture
def server():
    return pf.Server(UUIDS)


def test_t4_1_protocol_tells_wrapper_from_getter(server):
    """T4.1 (rev 2): a wrapper class with a class-level get() is still a
    wrapper; a getter is not a wrapper; a feed getter has no UUID."""
    wrapper = pf.PeerWrapper(server, UUIDS[0])
    getter = pf.PeerGetter(server, UUIDS[0])
    feed_getter = pf.PeerFeedGetter(server)
    assert protocols.is_wrapper(wrapper) and not protocols.is_getter(wrapper)
    assert protocols.is_getter(getter) and not protocols.is_wrapper(getter)
    assert not protocols.is_feed_getter(getter)
    assert protocols.is_feed_getter(feed_getter)
    assert not protocols.is_feed_getter(wrapper)
    assert not protocols.is_feed_getter({"get": 1})
    half = pf.HalfWrapper()
    assert not protocols.is_wrapper(half) and not protocols.is_getter(half)


def test_t1_entry_transaction_on_peer_getter_redrives_412(server):
    """T1.3-T1.5 on a foreign getter: lock, get, call, refresh, call."""
    seen = []

    @tx.entry_transaction(tries=3, delay_func=lambda *a, **k: None)
    def change(wrapper, name):
        seen.append(wrapper.etag)
        if len(seen) == 1:
            server.change(wrapper.uuid, "other")
        wrapper.name = name
        return wrapper.update()

    result = change(pf.PeerGetter(server, UUIDS[0]), "mine")
    assert isinstance(result, pf.PeerWrapper)
    assert server.objects[UUIDS[0]] == (3, "mine")
    assert seen == [1, 2]
    assert server.calls == [("get", UUIDS[0]), ("update", UUIDS[0], -1),
                            ("refresh", UUIDS[0], False),
                            ("update", UUIDS[0], -1)]


def test_t4_wrapper_task_on_peer_wrapper_posts_once(server):
    """T4.6 on a foreign wrapper: Subtasks run, one update, result kept."""
    wtask = tx.WrapperTask("w", pf.PeerWrapper(server, UUIDS[1]),
                           update_timeout=7)
    wtask.add_functor_subtask(rename, "new", provides="renamed")
    wrapper, provided = wtask.execute()
    assert provided == {"renamed": True}
    assert wrapper.name == "new" and wtask.wrapper is wrapper
    assert server.calls == [("update", UUIDS[1], 7)]
    assert set(wtask.provides) == {"wrapper_%s" % UUIDS[1],
                                   "subtask_rets_%s" % UUIDS[1]}


def test_t4_wrapper_task_on_peer_getter_gets_under_the_lock(server):
    """T4.4/T4.6: a foreign getter is resolved by the transaction."""
    wtask = tx.WrapperTask("w", pf.PeerGetter(server, UUIDS[2]))
    wtask.add_functor_subtask(rename, "n2")
    wrapper, _provided = wtask.execute()
    assert server.objects[UUIDS[2]] == (2, "n2")
    assert server.calls == [("get", UUIDS[2]), ("update", UUIDS[2], -1)]


@pytest.mark.parametrize("make_feed", [
    lambda server: pf.PeerFeedGetter(server),
    lambda server: [pf.PeerWrapper(server, u) for u in UUIDS]],
    ids=["feed_getter", "list"])
def test_t5_feed_task_on_peer_feed(server, make_feed):
    """T5.1/T5.9 on a foreign feed getter or list of foreign wrappers,
    one entry meeting a conflict on its first POST."""
    raced = []

    def race_once(wrapper):
        """Another agent writes B while its first attempt runs."""
        if wrapper.uuid == UUIDS[1] and not raced:
            raced.append(wrapper.etag)
            server.change(UUIDS[1], "racer")
        return False

    ftask = tx.FeedTask("f", make_feed(server), max_workers=2,
                        delay_func=lambda *a, **k: None)
    ftask.add_functor_subtask(race_once)
    ftask.add_functor_subtask(rename, "all")
    rets = ftask.execute()["wrapper_task_rets"]
    assert sorted(rets) == sorted(UUIDS)
    assert {server.objects[u][1] for u in UUIDS} == {"all"}
    assert ("refresh", UUIDS[1], False) in server.calls
    assert ftask.outcomes[UUIDS[1]].retries == 1


def test_t4_1_refusal_names_type_with_module(server):
    """T4.1: the refused object's type is named with its module."""
    with pytest.raises(ValueError,
                       match=r"got tests\.unit\.peer_fakes\.HalfWrapper"):
        tx.WrapperTask("w", pf.HalfWrapper())
    with pytest.raises(ValueError, match=r"item 1 is a "
                       r"tests\.unit\.peer_fakes\.HalfWrapper"):
        tx.FeedTask("f", [pf.PeerWrapper(server, UUIDS[0]),
                          pf.HalfWrapper()])
    with pytest.raises(ValueError, match=r"got tests\.unit\.peer_fakes"
                       r"\.PeerGetter"):
        tx.FeedTask("f", pf.PeerGetter(server, UUIDS[0]))

    @tx.entry_transaction
    def func(wrapper):
        return wrapper

    with pytest.raises(TypeError, match=r"got tests\.unit\.peer_fakes"
                       r"\.HalfWrapper"):
        func(pf.HalfWrapper())
