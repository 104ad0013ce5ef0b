"""W1.4: the path update() POSTs to is urlsplit()'s path and query of the
SELF href, whether the href takes the regex fast path or not."""

import urllib.parse

import pytest

from pypvm_tx.wrappers import entry_wrapper as ewrap


def _urlsplit_path(href):
    parts = urllib.parse.urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.mark.parametrize("href", [
    "https://hmc:12443/rest/api/uom/LogicalPartition/1A2B?group=None",
    "http://127.0.0.1:8080/rest/api/uom/ManagedSystem/U/LogicalPartition/L",
    "https://h/p?",            # empty query: dropped
    "https://h/p?a?b#frag",    # fragment dropped, later '?' kept
    "https://h/p#x?y",         # '?' inside the fragment
    "HTTPS://h/p?q=1",         # upper-case scheme: slow path
    "https://[::1]:443/p?q",   # bracketed host: slow path
    "https://user@h/p%20q?x=%C3%A9",
    " https://h/p?q",          # leading blank: slow path
    "https://h/p\n",           # control character: slow path
    "https://h/é?q=é",         # non-ASCII: slow path
    "https://h",               # no path
])
def test_w1_4_href_path_matches_urlsplit(href):
    """W1.4: _href_path gives what urlsplit gives, fast path or not."""
    assert ewrap._href_path(href) == _urlsplit_path(href)
