"""A2.4 (rev 2): xag and group= as the peer builds them, on the pure
functions (build_path, with_group, xag_query)."""

import pytest

from pypvm_tx import adapter
from pypvm_tx import const as c


@pytest.mark.parametrize("xag, query", [
    (None, "None"),
    ([], None), ((), None), (set(), None), ({}, None),
    ("ViosSCSIMapping", "ViosSCSIMapping"),       # one name, not letters
    ([c.XAG.VIO_NET, c.XAG.VIO_FMAP], "ViosFCMapping,ViosNetwork"),
    ({c.XAG.VIO_FMAP, c.XAG.VIO_NET}, "ViosFCMapping,ViosNetwork"),
    (["b", "a", "b"], "a,b"),
])
def test_a2_4_xag_query(xag, query):
    """None -> group=None; empty -> no group=; names sorted, once each."""
    assert adapter.xag_query(xag) == query


@pytest.mark.parametrize("path, xag, result", [
    ("/p", None, "/p?group=None"),
    ("/p", [], "/p"),
    ("/p?group=None", None, "/p?group=None"),
    ("/p?group=None", {}, "/p"),
    ("/p?group=None", ("a", "c", "b"), "/p?group=a,b,c"),
    ("/p?group=a,b,c", None, "/p?group=a,b,c"),
    ("/p?group=a,b,c", ["c", "b", "a"], "/p?group=a,b,c"),
    ("/p?k=v#frag", None, "/p?k=v&group=None#frag"),
    ("/p?k=v&group=Real#frag", None, "/p?k=v&group=Real#frag"),
    ("/p?foo=1&group=None&foo=2", ["a"], "/p?foo=1&foo=2&group=a"),
    ("https://h:1/p", None, "https://h:1/p?group=None"),
])
def test_a2_4_with_group(path, xag, result):
    """An href's own group= is kept; group=None or none takes xag's."""
    assert adapter.with_group(path, xag) == result


@pytest.mark.parametrize("xag", [[], ["d", "e"], "a"])
def test_a2_4_with_group_refuses_a_contradiction(xag):
    with pytest.raises(ValueError, match="differ"):
        adapter.with_group("/p?group=a,b,c", xag)


@pytest.mark.parametrize("suffix, xag, query", [
    ("suffix", None, "?group=None"),
    ("quick", None, ""),
    ("do", None, ""),
    ("do", [], ""),
    ("quick", ["All"], "?group=All"),
    ("search", None, "?group=None"),
    ("jobs", None, "?group=None"),
])
def test_a2_4_suffix_paths(suffix, xag, query):
    """do/ and quick/ paths get no implicit group=; others group=None."""
    path = adapter.build_path("uom", "LogicalPartition", "U1",
                              suffix_type=suffix, suffix_parm="x", xag=xag)
    assert path == "/rest/api/uom/LogicalPartition/U1/%s/x%s" % (suffix,
                                                                  query)


def test_a2_4_detail_comes_before_group():
    assert adapter.build_path("uom", "LogicalPartition", "U1", detail="d",
                              xag=[c.XAG.VIO_FMAP]) == \
        "/rest/api/uom/LogicalPartition/U1?detail=d&group=ViosFCMapping"
