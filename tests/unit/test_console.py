"""The shipped in-memory console (pypvm_tx.testing.console): the example
of docs/testing.rst, run as written (issue 8 scope 9: the project tests
with what it ships)."""

from pypvm_tx import transaction
from pypvm_tx.testing.console import FakeConsole


def test_docs_example_feed_task_survives_conflicts():
    console = FakeConsole(count=3)
    uuid = console.uuids[0]
    console.force_412(uuid, times=2)

    def grow(lpar):
        lpar.mem_config.desired = lpar.mem_config.desired + 256
        return True

    task = transaction.FeedTask("grow", console.feed_getter())
    task.add_functor_subtask(grow)
    task.execute()
    assert task.outcomes[uuid].retries == 2
    assert console.count("update", uuid) == 3


def test_stale_if_match_is_a_real_412_and_current_etag_a_304():
    console = FakeConsole(count=1)
    uuid = console.uuids[0]
    lpar = console.wrapper(uuid)
    assert lpar.refresh() is lpar  # 304: unchanged
    console.bump(uuid, name="changed")
    fresh = lpar.refresh()
    assert fresh is not lpar and fresh.name == "changed"
    lpar.name = "mine"
    try:
        lpar.update()
    except Exception as exc:  # the 412 the console answered
        assert exc.response.status == 412
    else:
        raise AssertionError("a stale etag was accepted")
