"""The compat harness's reviewed list and docs/migrating.rst agree (issue
9 scope 7): every feature a listed test is out of scope for is on the
page's "Not in pypvm_tx" list, every difference names a section that
exists, and the harness switches imports by the page's module map.

Runs in the project's own virtualenv (no pypowervm needed)."""

import pathlib
import re

import pytest

from tests.compat import peer

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIST = ROOT / "tests" / "compat" / "expected_out_of_scope.txt"
PAGE = ROOT / "docs" / "migrating.rst"
KINDS = ("absent", "private", "differs")


def _section(text, title):
    """The body of the reST section ``title`` (up to the next title)."""
    lines = text.splitlines()
    start = lines.index(title) + 2
    for number in range(start, len(lines) - 1):
        if lines[number + 1] and set(lines[number + 1]) == {"-"} \
                and len(lines[number + 1]) == len(lines[number]):
            return "\n".join(lines[start:number])
    return "\n".join(lines[start:])


def _entries():
    entries = []
    for line in LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            test_id, _, reason = line.partition(" ")
            entries.append((test_id, reason))
    return entries


def test_list_lines_are_well_formed():
    """Each line: a peer test id of a module the harness runs, once, and
    a reason of a known kind."""
    entries = _entries()
    assert entries
    ids = [test_id for test_id, _reason in entries]
    assert len(ids) == len(set(ids))
    for test_id, reason in entries:
        path, cls, name = test_id.split("::")
        assert path in peer.PEER_MODULES, test_id
        assert cls.startswith("Test") and name.startswith("test"), test_id
        kind = reason.split(":")[0]
        assert kind in KINDS, (test_id, reason)
        assert len(reason) > len(kind) + 5, (test_id, reason)


def test_every_absent_feature_is_on_the_page():
    """Each ``name`` in an "absent" reason is in "Not in pypvm_tx"."""
    absent = _section(PAGE.read_text(), "Not in pypvm_tx")
    for test_id, reason in _entries():
        if not reason.startswith("absent:"):
            continue
        names = re.findall(r"``([^`]+)``", reason.split("(")[0])
        assert names, (test_id, reason)
        for name in names:
            assert "``%s``" % name in absent, (test_id, name)


def test_every_difference_names_a_section():
    """Each "differs" reason names a term of "Behavioural differences"."""
    differences = _section(PAGE.read_text(), "Behavioural differences")
    terms = {line.replace("`", "") for line in differences.splitlines()
             if line and not line[0].isspace()}
    for test_id, reason in _entries():
        if reason.startswith("differs:"):
            match = re.search(r"\(migrating: ([^)]+)\)$", reason)
            assert match, (test_id, reason)
            assert match.group(1) in terms, (test_id, match.group(1))


@pytest.mark.parametrize("old, new", sorted(
    (old, new) for old, new in peer.MODULE_MAP.items()
    if new.startswith("pypvm_tx.")))
def test_harness_switches_by_the_pages_module_map(old, new):
    """The harness maps a pypowervm module only as the page's map does."""
    table = _section(PAGE.read_text(), "Module map")
    row = next((line for line in table.splitlines()
                if line.startswith("``%s``" % old)), None)
    assert row is not None, old
    assert "``%s``" % new in row
