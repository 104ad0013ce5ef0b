"""Protocol facts: one spelling of each HTTP status (issue 8 scope 7)."""

import pytest

from pypvm_tx import const as c

#: pypowervm's ``HTTPStatus`` names and values, kept for code moving over.
PEER_STATUSES = {"OK_NO_CONTENT": 204, "NO_CHANGE": 304, "UNAUTHORIZED": 401,
                 "NOT_FOUND": 404, "ETAG_MISMATCH": 412,
                 "INTERNAL_ERROR": 500, "SERVICE_UNAVAILABLE": 503}


@pytest.mark.parametrize("name, value", sorted(PEER_STATUSES.items()))
def test_peer_status_names_keep_their_values(name, value):
    assert getattr(c.HTTPStatus, name) == value


def test_every_plain_status_is_an_enum_members_value():
    """Each HTTP_* int is the value of an HTTPStatus member (the number is
    written once), and stays a plain int for messages and comparisons."""
    plain = {name: value for name, value in vars(c).items()
             if name.startswith("HTTP_") and isinstance(value, int)
             and not name.endswith("_PORT")}
    assert len(plain) >= 11
    for name, value in plain.items():
        assert type(value) is int, name
        assert c.HTTPStatus(value) == value, name
    assert c.HTTP_PRECONDITION_FAILED == c.HTTPStatus.ETAG_MISMATCH == 412
    assert c.HTTP_NOT_MODIFIED == c.HTTPStatus.NO_CHANGE == 304
    assert "%d %s" % (c.HTTP_OK, c.HTTP_OK) == "200 200"


def test_transient_statuses_are_the_gateway_errors():
    assert c.TRANSIENT_HTTP_STATUSES == {502, 503, 504}
