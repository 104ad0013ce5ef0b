"""The compat harness's import switch (tests/compat/peer.py; issue 9
acceptance: the peer's tests run "with imports switched").  Runs without
pypowervm: it checks the rewriting itself on small sources."""

import ast

import pytest

from tests.compat import peer


def _rewritten(source):
    tree, targets = peer.rewrite(source)
    return ast.unparse(tree), targets


@pytest.mark.parametrize("old, new", [
    ("pypowervm.utils.transaction", "pypvm_tx.transaction"),
    ("pypowervm.utils.transaction.FeedTask", "pypvm_tx.transaction.FeedTask"),
    ("pypowervm.wrappers.base_partition.LPARState",
     "pypvm_tx.wrappers.base_partition.LPARState"),
    ("pypowervm.tests.test_fixtures", "pypvm_tx.testing.fixtures"),
    ("pypowervm.tests.test_utils.pvmhttp", "tests.compat.pvmhttp"),
    ("pypowervm.tests.test_utils.test_wrapper_abc",
     "pvmcompat.tests.test_utils.test_wrapper_abc"),
    ("pypowervm.entities", None),
    ("pypowervm.utils.transactionX", None),
    ("taskflow.task", None),
])
def test_switch_follows_the_module_map(old, new):
    assert peer.switch(old) == new


def test_rewrite_switches_every_import_form_and_patch_targets():
    text, targets = _rewritten(
        "import pypowervm.utils.transaction as tx\n"
        "from pypowervm import adapter as adpt, entities\n"
        "from pypowervm.wrappers import entry_wrapper as ewrap\n"
        "from pypowervm.utils.retry import retry\n"
        "from pypowervm.tests.test_utils import pvmhttp\n"
        "import pypowervm.entities as ent\n"
        "P = 'pypowervm.wrappers.entry_wrapper.EntryWrapper.update'\n"
        "Q = 'pypowervm is a word'\n")
    assert text.splitlines() == [
        "import pypvm_tx.transaction as tx",
        "from pypowervm import entities",
        "from pypvm_tx import adapter as adpt",
        "from pypvm_tx.wrappers import entry_wrapper as ewrap",
        "from pypvm_tx.retry import retry",
        "from tests.compat import pvmhttp",
        "import pypowervm.entities as ent",
        "P = 'pypvm_tx.wrappers.entry_wrapper.EntryWrapper.update'",
        "Q = 'pypowervm is a word'",
    ]
    assert targets == {"pypvm_tx.transaction", "pypvm_tx.adapter",
                       "pypvm_tx.wrappers.entry_wrapper", "pypvm_tx",
                       "pypvm_tx.wrappers", "pypvm_tx.retry",
                       "pypvm_tx.retry.retry", "tests.compat",
                       "tests.compat.pvmhttp"}


def test_setup_tag_constants_resolve_in_setup_only():
    """The peer's private tag constants become their element names inside
    a ``setUp`` (for ``Feed.findentries``), bound by any import form;
    elsewhere, and for other names or modules, they stay as written."""
    text, _targets = _rewritten(
        "import pypowervm.wrappers.base_partition as bp\n"
        "from pypowervm.wrappers import managed_system as ms\n"
        "import other as bq\n"
        "class T:\n"
        "    def setUp(self):\n"
        "        a = feed.findentries(bp._BP_NAME, 'x')\n"
        "        b = feed.findentries(ms._SYSTEM_NAME, 'y')\n"
        "        c = (bp._BP_STATE, bq._BP_NAME)\n"
        "    def test_x(self):\n"
        "        d = bp._BP_NAME\n")
    setup, body = text.split("def test_x")
    assert "findentries('PartitionName', 'x')" in setup
    assert "findentries('SystemName', 'y')" in setup
    assert "(bp._BP_STATE, bq._BP_NAME)" in setup
    assert "bp._BP_NAME" in body
    assert set(peer.SETUP_TAGS.values()) == {"PartitionName", "SystemName"}


def test_rewrite_refuses_a_bare_switched_import():
    with pytest.raises(ImportError, match="without 'as'"):
        peer.rewrite("import pypowervm.adapter\n")


def test_absent_names_fail_when_used_not_when_read():
    """A class body may name what pypvm_tx lacks; a test using it fails
    with the name in the error."""
    absent = peer.Absent("pypvm_tx.wrappers.virtual_io_server.VSCSIBus")
    with pytest.raises(AttributeError, match="VSCSIBus does not exist"):
        absent()
    with pytest.raises(AttributeError, match="VSCSIBus does not exist"):
        absent.bld  # noqa: B018 - the attribute read is the test
    assert "VSCSIBus" in repr(absent)


def test_peer_paths_round_trip():
    for path in peer.PEER_MODULES:
        assert peer.peer_path(peer.module_name(path)) == path
    assert peer.peer_path("tests.compat.pvmhttp") is None
