"""Issue 7 scope 7: the suite runs from a plain clone.

The captured PowerVM responses the tests check against live inside the
repository; nothing in the package or the tests reaches outside it.
"""

import pathlib

from tests import captures

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_captures_are_inside_the_repository():
    assert REPO in captures.CAPTURES.parents
    assert (captures.RESPONSES / "manifest.json").is_file()
    assert sorted(p.name for p in captures.TEMPLATES.glob("lpar_*.xml"))


def test_nothing_reads_the_shared_folder_beside_the_clone():
    needle = "shared" + "/data"  # split, so this file does not match
    offenders = []
    for tree in ("pypvm_tx", "tests", "benchmarks"):
        for path in (REPO / tree).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if needle in text or ('/ "' + 'shared"') in text:
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], offenders
