"""The Session's transport seam and event hooks (SPEC A1; issue 8 scope 4).

A Session sends through one ``Transport`` (``send`` and ``close``), the
urllib3 one unless it is given another; ``event_hooks`` (as httpx's) see
every HTTP exchange: ``hook(method, url)`` before, ``hook(response)``
after, retries and re-logons included.
"""

import pytest

from pypvm_tx import adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from tests.unit.test_adapter_session import ENTRY, PASSWORD, _fail_gets, _raw, server

__all__ = ["server"]  # the fixture, imported for these tests

URL = "https://h:12443"
FEED_URL = URL + "/rest/api/uom/LogicalPartition?group=None"
LOGON_URL = URL + c.LOGON_PATH


class Recorder:
    """A request hook and a response hook that note what they see."""

    def __init__(self):
        self.requests = []
        self.responses = []

    def on_request(self, method, url):
        self.requests.append((method, url))

    def on_response(self, response):
        self.responses.append((response.reqmethod, response.status))

    def hooks(self):
        return {"request": [self.on_request], "response": [self.on_response]}


def _session(recorder, **kwargs):
    kwargs.setdefault("retry_delay", None)
    return adapter.Session("h", "admin", PASSWORD,
                           event_hooks=recorder.hooks(), **kwargs)


def test_a1_7_hooks_see_every_exchange_of_a_get_retried_after_503(server):
    """Each try of a retried GET is an exchange the hooks see, the
    logon's included."""
    seen = Recorder()
    adp = adapter.Adapter(_session(seen, get_retries=2))
    _fail_gets(server, _raw(503, reason="Busy"), 1)
    assert adp.read("LogicalPartition").status == 200
    assert seen.requests == [("PUT", LOGON_URL), ("GET", FEED_URL),
                             ("GET", FEED_URL)]
    assert seen.responses == [("PUT", 200), ("GET", 503), ("GET", 200)]


def test_a1_4_hooks_see_the_relogon_and_the_resend(server):
    """A 401, the re-logon it causes and the resent request are three
    exchanges, in that order."""
    seen = Recorder()
    adp = adapter.Adapter(_session(seen))
    server.tokens.clear()  # the server forgets the session
    assert adp.read("LogicalPartition").status == 200
    assert seen.requests == [("PUT", LOGON_URL), ("GET", FEED_URL),
                             ("PUT", LOGON_URL), ("GET", FEED_URL)]
    assert seen.responses == [("PUT", 200), ("GET", 401), ("PUT", 200),
                              ("GET", 200)]


def test_hooks_see_the_logoff_and_can_be_added_later(server):
    seen = Recorder()
    sess = adapter.Session("h", "admin", PASSWORD, retry_delay=None)
    sess.event_hooks["request"].append(seen.on_request)
    sess.event_hooks["response"].append(seen.on_response)
    sess.logoff()
    assert seen.requests == [("DELETE", LOGON_URL)]
    assert seen.responses == [("DELETE", 204)]


def test_a_request_hook_that_raises_stops_the_request_before_sending(server):
    def refuse(method, url):
        if method == "GET":
            raise RuntimeError("no GETs today")

    sess = adapter.Session("h", "admin", PASSWORD, retry_delay=None,
                           event_hooks={"request": [refuse]})
    with pytest.raises(RuntimeError, match="no GETs today"):
        adapter.Adapter(sess).read("LogicalPartition")
    assert [p.method for p in server.sent] == ["PUT"]


def test_a_response_hook_that_raises_propagates_after_the_exchange(server):
    def refuse(response):
        if response.reqmethod == "GET":
            raise RuntimeError("not this one")

    sess = adapter.Session("h", "admin", PASSWORD, retry_delay=None,
                           get_retries=2, event_hooks={"response": [refuse]})
    with pytest.raises(RuntimeError, match="not this one"):
        adapter.Adapter(sess).read("LogicalPartition")
    assert [p.method for p in server.sent] == ["PUT", "GET"]


def test_unknown_hook_kind_is_refused(server):
    with pytest.raises(ValueError, match="requests"):
        adapter.Session("h", "admin", PASSWORD,
                        event_hooks={"requests": [print]})
    assert server.sent == []


class CannedTransport(adapter.Transport):
    """A Transport answering a logon, then an entry; records its calls."""

    def __init__(self):
        self.calls = []
        self.closed = 0

    def send(self, method, target, body, headers, timeout):
        self.calls.append((method, target, headers.get(c.SESSION_HEADER)))
        if target == c.LOGON_PATH and method == "PUT":
            body = ('<LogonResponse xmlns="%s"><X-API-Session>t1'
                    '</X-API-Session></LogonResponse>' % c.WEB_NS).encode()
            return adapter.RawResponse(200, "OK", {}, body)
        if method == "DELETE":
            return adapter.RawResponse(204, "No Content", {}, b"")
        return adapter.RawResponse(200, "OK", {"ETag": "7"}, ENTRY)

    def close(self):
        self.closed += 1


def test_a_session_sends_through_the_transport_it_is_given(server):
    """Session(transport=...): logon, requests and logoff all go through
    the given Transport; the urllib3 one is not used."""
    transport = CannedTransport()
    with adapter.Session("h", "admin", PASSWORD,
                         transport=transport) as sess:
        resp = adapter.Adapter(sess).read("LogicalPartition", "U1")
    assert resp.entry.uuid == "U1" and resp.etag == "7"
    assert transport.calls == [
        ("PUT", c.LOGON_PATH, None),
        ("GET", "/rest/api/uom/LogicalPartition/U1?group=None", "t1"),
        ("DELETE", c.LOGON_PATH, "t1")]
    assert transport.closed == 1
    assert server.sent == []


def test_transport_errors_of_a_custom_transport_are_retried_as_ever(server):
    """A Transport raises pypvm_tx errors; a GET is retried on a
    ConnectionError whatever transport raised it."""
    transport = CannedTransport()
    sess = adapter.Session("h", "admin", PASSWORD, transport=transport,
                           retry_delay=None, get_retries=1)
    real_send = transport.send
    failures = iter([pvmex.ConnectionError("dropped")])

    def flaky(method, target, body, headers, timeout):
        exc = next(failures, None) if method == "GET" else None
        if exc is not None:
            raise exc
        return real_send(method, target, body, headers, timeout)

    transport.send = flaky
    assert adapter.Adapter(sess).read("LogicalPartition", "U1").status == 200


def test_a1_9_watchdog_works_in_a_forked_child():
    """A1.9: the whole-exchange bound also holds in a process forked after
    the parent used it (its watchdog thread does not survive a fork)."""
    import multiprocessing
    import socket as socketlib
    import time as timelib

    from pypvm_tx.adapter import watchdog

    first = watchdog.arm(5)  # the parent's watchdog thread is running
    watchdog.disarm(first)

    def child(queue):
        left, right = socketlib.socketpair()

        class Conn:
            sock = left

        guard = watchdog.arm(0.2)
        watchdog.stop_attaching()
        guard.attach(Conn())
        deadline = timelib.monotonic() + 5
        while not guard.expired and timelib.monotonic() < deadline:
            timelib.sleep(0.05)
        queue.put(guard.expired)
        watchdog.disarm(guard)

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    try:
        assert queue.get(timeout=10) is True
    finally:
        proc.join(10)
