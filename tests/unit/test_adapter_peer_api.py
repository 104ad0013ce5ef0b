"""Session and Adapter as Nova builds them (A1 rev 2): the peer's
parameter order and meanings, conn_tries, certpath/certext, the audit
memento, and the peer's adapter helper protocol.  The Session sends
through a scripted Transport (no socket)."""

import getpass
import inspect
import logging

import pytest

from pypvm_tx import adapter
from pypvm_tx import backoff
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex

PASSWORD = "n0va-S3cret"
ENTRY = (b'<entry xmlns="http://www.w3.org/2005/Atom"><id>U1</id>'
         b'<link rel="SELF" href="https://h:12443/rest/api/uom/'
         b'LogicalPartition/U1?group=None"/><content type="x">'
         b'<LogicalPartition xmlns="' + c.UOM_NS.encode() + b'">'
         b'<PartitionName>a</PartitionName></LogicalPartition></content>'
         b'</entry>')
LOGON_OK = adapter.RawResponse(200, "OK", {}, (
    '<LogonResponse xmlns="%s"><X-API-Session>tok</X-API-Session>'
    '</LogonResponse>' % c.WEB_NS).encode())


class Scripted(adapter.Transport):
    """Answers like a PowerVM server; ``logon_failures`` are raised (or
    returned) for the first logons.  Records every exchange."""

    def __init__(self, logon_failures=()):
        self.logon_failures = list(logon_failures)
        self.sent = []

    def send(self, method, target, body, headers, timeout):
        self.sent.append((method, target, dict(headers), body))
        if target == c.LOGON_PATH and method == "PUT":
            if self.logon_failures:
                failure = self.logon_failures.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return failure
            return LOGON_OK
        if method == "DELETE":
            return adapter.RawResponse(204, "No Content", {}, b"")
        return adapter.RawResponse(200, "OK", {"ETag": "7"}, ENTRY)

    def close(self):
        pass


def _session(*args, transport=None, **kwargs):
    kwargs.setdefault("retry_delay", None)
    return adapter.Session(*args, transport=transport or Scripted(), **kwargs)


# -- A1 (rev 2): the peer's signature ------------------------------------------

PEER_SESSION = [("host", "localhost"), ("username", None), ("password", None),
                ("auditmemento", None), ("protocol", None), ("port", None),
                ("timeout", 1200), ("certpath", None), ("certext", None),
                ("conn_tries", 1), ("verify", True)]


def test_a1_rev2_session_parameters_in_the_peers_order():
    """A1 (rev 2): the first eleven parameters, in order, with defaults."""
    params = list(inspect.signature(adapter.Session).parameters.values())
    assert [(p.name, p.default) for p in params[:11]] == PEER_SESSION
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:11])
    assert all(p.kind is p.KEYWORD_ONLY for p in params[11:])


def test_a1_rev2_positional_call_as_the_peer():
    """A1 (rev 2): Session(host, user, password, auditmemento, protocol,
    port, timeout) means what it means to the peer; the memento is the
    X-Audit-Memento header of the logon and of every request."""
    transport = Scripted()
    sess = adapter.Session("h", "u", PASSWORD, "nova-compute", "http", 8080,
                           30, transport=transport)
    assert (sess.protocol, sess.port, sess.timeout) == ("http", 8080, 30)
    assert sess.dest == "http://h:8080"
    adapter.Adapter(sess).read("LogicalPartition", "U1")
    assert [h[c.AUDIT_MEMENTO_HEADER] for _m, _t, h, _b in transport.sent] \
        == ["nova-compute", "nova-compute"]


def test_a1_rev2_protocol_and_port_defaults():
    """A1.3: protocol None is https on 12443; http defaults to 12080."""
    assert (_session("h", "u", PASSWORD).dest) == "https://h:12443"
    assert (_session("h", "u", PASSWORD, protocol="http").dest) == \
        "http://h:12080"
    with pytest.raises(ValueError, match="Unsupported protocol"):
        _session("h", "u", PASSWORD, protocol="ftp")


def test_a1_rev2_audit_memento_default_and_checks(monkeypatch):
    """A1 (rev 2): by default the process's user (as the peer), else
    'default'; a per-request memento replaces it; one with a control
    character is refused before anything is sent."""
    monkeypatch.setattr(getpass, "getuser", lambda: "nova")
    transport = Scripted()
    sess = _session("h", "u", PASSWORD, transport=transport)
    assert sess.auditmemento == "nova"
    sess.request("GET", "/rest/api/uom/LogicalPartition/U1",
                 auditmemento="req-42")
    assert transport.sent[-1][2][c.AUDIT_MEMENTO_HEADER] == "req-42"

    def no_user():
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert _session("h", "u", PASSWORD).auditmemento == "default"
    transport = Scripted()
    with pytest.raises(ValueError, match="auditmemento"):
        _session("h", "u", PASSWORD, "a\r\nX-Evil: 1", transport=transport)
    assert transport.sent == []


# -- A1 (rev 2): conn_tries ----------------------------------------------------------

def _refused():
    return pvmex.ConnectionError("PUT https://h:12443/rest/api/web/Logon: "
                                 "connection refused")


def test_a1_rev2_conn_tries_retries_the_first_logon(monkeypatch):
    """conn_tries=N: the first logon is tried N times on connection errors
    and 404s (a REST server still starting), conn_delay apart."""
    slept = []
    monkeypatch.setattr(backoff, "sleep", slept.append)
    not_found = adapter.RawResponse(404, "Not Found", {}, b"")
    transport = Scripted([_refused(), not_found, _refused()])
    sess = _session("h", "u", PASSWORD, conn_tries=4, conn_delay=2.5,
                    transport=transport)
    assert sess.logged_on
    assert [m for m, _t, _h, _b in transport.sent] == ["PUT"] * 4
    assert slept == [2.5, 2.5, 2.5]


def test_a1_rev2_conn_tries_gives_up_with_the_last_error(monkeypatch):
    """The peer's default conn_tries=1 tries once; after the last try the
    connection error propagates."""
    monkeypatch.setattr(backoff, "sleep", lambda s: None)
    transport = Scripted([_refused(), _refused(), _refused()])
    with pytest.raises(pvmex.ConnectionError, match="refused"):
        _session("h", "u", PASSWORD, conn_tries=2, transport=transport)
    assert len(transport.sent) == 2
    transport = Scripted([_refused()])
    with pytest.raises(pvmex.ConnectionError):
        _session("h", "u", PASSWORD, transport=transport)
    assert len(transport.sent) == 1


@pytest.mark.parametrize("failure, error", [
    (adapter.RawResponse(401, "Unauthorized", {}, b""), pvmex.HttpUnauth),
    (pvmex.ProtocolError("malformed reply"), pvmex.ProtocolError),
])
def test_a1_rev2_conn_tries_does_not_retry_a_refused_logon(failure, error):
    """A wrong password or a malformed reply is not "unreachable"."""
    transport = Scripted([failure, failure])
    with pytest.raises(error):
        _session("h", "u", PASSWORD, conn_tries=5, conn_delay=0,
                 transport=transport)
    assert len(transport.sent) == 1


@pytest.mark.parametrize("bad", [0, -1, True, "3"])
def test_a1_rev2_conn_tries_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="conn_tries"):
        _session("h", "u", PASSWORD, conn_tries=bad)


# -- A1 (rev 2): certpath / certext ----------------------------------------------------

def test_a1_rev2_certpath_folder_with_the_hosts_cert(tmp_path):
    """certpath a folder holding <host><certext>: that file is the CA."""
    own = tmp_path / "h.pem"
    own.write_text("x")
    sess = _session("h", "u", PASSWORD, certpath=str(tmp_path),
                    certext=".pem")
    assert sess.verify == str(own)
    (tmp_path / "h.crt").write_text("x")
    assert _session("h", "u", PASSWORD, certpath=str(tmp_path) + "/").verify \
        == str(tmp_path / "h.crt")


def test_a1_rev2_certpath_folder_file_or_prefix(tmp_path):
    """A folder without the host's file is a CA folder; a file is a CA
    file; else <certpath><host><certext> as the peer names it."""
    assert _session("h", "u", PASSWORD, certpath=tmp_path).verify == \
        str(tmp_path)
    bundle = tmp_path / "ca-bundle.pem"
    bundle.write_text("x")
    assert _session("h", "u", PASSWORD, certpath=str(bundle)).verify == \
        str(bundle)
    (tmp_path / "hmc-h.crt").write_text("x")
    assert _session("h", "u", PASSWORD,
                    certpath=str(tmp_path / "hmc-")).verify == \
        str(tmp_path / "hmc-h.crt")


def test_a1_rev2_certpath_refusals(tmp_path):
    """A certpath naming nothing, or with verify other than True, is a
    ValueError; over http certpath is ignored, as the peer ignores it."""
    with pytest.raises(ValueError, match="certpath must name"):
        _session("h", "u", PASSWORD, certpath=str(tmp_path / "none"))
    for verify in (False, str(tmp_path)):
        with pytest.raises(ValueError, match="certpath names the CA"):
            _session("h", "u", PASSWORD, certpath=str(tmp_path),
                     verify=verify)
    sess = _session("h", "u", PASSWORD, protocol="http",
                    certpath=str(tmp_path / "none"), trust_env=False)
    assert sess.verify is True


# -- A1 (rev 2): the peer's helper protocol on the Adapter -------------------------------

def _tracing(name, trace):
    def helper(func):
        def wrapper(*args, **kwargs):
            trace.append((name, "in", args[0]))
            resp = func(*args, **kwargs)
            trace.append((name, "out", resp.status))
            return resp
        return wrapper
    return helper


def test_a1_rev2_helpers_first_is_outermost_and_see_every_request():
    """Adapter(session, helpers=[a, b]): a sees each request first and its
    response last, as the peer stacks them; every Adapter method goes
    through them."""
    trace = []
    adp = adapter.Adapter(_session("h", "u", PASSWORD),
                          helpers=[_tracing("a", trace),
                                   _tracing("b", trace)])
    adp.read("LogicalPartition", "U1")
    assert trace == [("a", "in", "GET"), ("b", "in", "GET"),
                     ("b", "out", 200), ("a", "out", 200)]
    trace.clear()
    adp.read_by_href("https://h:12443/rest/api/uom/LogicalPartition/U1")
    adp.update(ENTRY_OBJECT, "7", "LogicalPartition", "U1")
    adp.create(ENTRY_OBJECT, "LogicalPartition")
    adp.delete("LogicalPartition", "U1")
    adp.delete_by_href("https://h:12443/rest/api/uom/LogicalPartition/U1")
    assert [m for n, io, m in trace if (n, io) == ("a", "in")] == [
        "GET", "POST", "PUT", "DELETE", "DELETE"]


ENTRY_OBJECT = (b'<LogicalPartition xmlns="' + c.UOM_NS.encode() + b'"/>')


def test_a1_rev2_helper_can_change_and_observe_the_request():
    """A helper gets the request's arguments and may change them (here a
    header) before the Session sends it, and sees the Response."""
    transport = Scripted()
    seen = []

    def add_header(func):
        def wrapper(method, path, **kwargs):
            kwargs["headers"] = dict(kwargs.get("headers") or {},
                                     **{"X-Trace": "t-1"})
            resp = func(method, path, **kwargs)
            seen.append((path, resp.etag))
            return resp
        return wrapper

    adp = adapter.Adapter(_session("h", "u", PASSWORD, transport=transport),
                          helpers=add_header)  # one helper, not a list
    resp = adp.read("LogicalPartition", "U1", etag="6")
    assert transport.sent[-1][2]["X-Trace"] == "t-1"
    assert transport.sent[-1][2][c.IF_NONE_MATCH] == "6"
    assert seen == [("/rest/api/uom/LogicalPartition/U1?group=None", "7")]
    assert resp.adapter is adp and resp.entry.uuid == "U1"


def test_a1_rev2_per_call_helpers_replace_the_adapters():
    """helpers= on a call replaces the Adapter's for that call ([]: none);
    Adapter.helpers is a copy."""
    trace = []
    adp = adapter.Adapter(_session("h", "u", PASSWORD),
                          helpers=[_tracing("a", trace)])
    adp.read("LogicalPartition", "U1", helpers=[_tracing("x", trace)])
    adp.read("LogicalPartition", "U1", helpers=[])
    assert [n for n, io, _m in trace if io == "in"] == ["x"]
    adp.helpers.append(_tracing("y", trace))
    assert len(adp.helpers) == 1


def test_a1_rev2_helper_may_answer_without_sending():
    """A helper that returns a Response itself (a cache, a fake) is
    obeyed; the Response gets the Adapter."""
    transport = Scripted()

    def canned(func):
        def wrapper(method, path, **kwargs):
            return adapter.Response(method, path, 200, "OK", {"ETag": "9"},
                                    body=ENTRY)
        return wrapper

    adp = adapter.Adapter(_session("h", "u", PASSWORD, transport=transport),
                          helpers=[canned])
    resp = adp.read("LogicalPartition", "U1")
    assert resp.etag == "9" and resp.adapter is adp
    assert [m for m, _t, _h, _b in transport.sent] == ["PUT"]  # logon only


def test_a1_rev2_adapter_refusals():
    """use_cache (the peer's) is refused: there is no cache; a helper that
    is not callable is a TypeError."""
    sess = _session("h", "u", PASSWORD)
    with pytest.raises(ValueError, match="no response cache"):
        adapter.Adapter(sess, use_cache=True)
    with pytest.raises(TypeError, match="helper"):
        adapter.Adapter(sess, helpers=["log"])
    with pytest.raises(TypeError, match="helper"):
        adapter.Adapter(sess).read("LogicalPartition", helpers=[42])


def test_a1_rev2_build_href_as_the_peers():
    """A1 (rev 2): Adapter.build_href takes the peer's arguments (service
    last) and gives the absolute href on the session's server; xag as on
    reads (None -> group=None, [] -> no group=)."""
    adp = adapter.Adapter(_session("hmc1", "u", PASSWORD))
    base = "https://hmc1:12443/rest/api/uom/"
    assert adp.build_href("LogicalPartition", "U1", xag=[]) == (
        base + "LogicalPartition/U1")
    assert adp.build_href("ManagedSystem", "S1", "LogicalPartition", "U1",
                          xag=[]) == (
        base + "ManagedSystem/S1/LogicalPartition/U1")
    assert adp.build_href("LogicalPartition", "U1") == (
        base + "LogicalPartition/U1?group=None")
    assert adp.build_href("VirtualIOServer", root_id="V1",
                          xag=["ViosSCSIMapping"]) == (
        base + "VirtualIOServer/V1?group=ViosSCSIMapping")
    assert adp.build_href("ManagementConsole", service="web", xag=[]) == (
        "https://hmc1:12443/rest/api/web/ManagementConsole")
    assert adapter.Adapter(_session("h2", "u", PASSWORD, protocol="http",
                                    port=8080)).build_href(
        "LogicalPartition", xag=[]) == (
        "http://h2:8080/rest/api/uom/LogicalPartition")
    assert list(inspect.signature(adapter.Adapter.build_href).parameters) == [
        "self", "root_type", "root_id", "child_type", "child_id",
        "suffix_type", "suffix_parm", "detail", "xag", "service"]


def test_a1_rev2_build_href_refuses_a_child_without_a_root_id():
    adp = adapter.Adapter(_session("hmc1", "u", PASSWORD))
    with pytest.raises(ValueError, match="child type needs a root id"):
        adp.build_href("ManagedSystem", child_type="LogicalPartition")


# -- A1.5: no password in reprs, logs or errors ------------------------------------------

def test_a1_5_password_never_in_repr_logs_or_errors(caplog, monkeypatch):
    """A1.5: the password appears in no repr, log line or exception, with
    helpers, conn_tries and a refused logon."""
    monkeypatch.setattr(backoff, "sleep", lambda s: None)
    caplog.set_level(logging.DEBUG)
    seen = []

    def spy(func):
        def wrapper(*args, **kwargs):
            seen.append(repr((args, kwargs)))
            return func(*args, **kwargs)
        return wrapper

    sess = _session("h", "admin", PASSWORD, "memo", conn_tries=3,
                    transport=Scripted([_refused()]))
    adp = adapter.Adapter(sess, helpers=[spy])
    adp.read("LogicalPartition", "U1")
    texts = [repr(sess), repr(adp), caplog.text] + seen
    refused = Scripted([adapter.RawResponse(401, "Unauthorized", {},
                                            b"bad " + PASSWORD.encode())])
    with pytest.raises(pvmex.HttpUnauth) as info:
        _session("h", "admin", PASSWORD, transport=refused)
    texts += [str(info.value), repr(info.value),
              str(info.value.response.reqbody), caplog.text]
    assert "Cannot log on" in caplog.text  # the conn_tries warning
    for text in texts:
        assert PASSWORD not in text


def test_a1_rev2_write_checks_run_inside_the_helpers():
    """The write checks of checked_writes run innermost, after the helpers:
    a helper that sends a POST again has it checked again; GETs are not
    checked; a failed check sends nothing."""
    transport = Scripted()
    checks = []

    def twice(func):
        def wrapper(method, path, **kwargs):
            func(method, path, **kwargs)
            return func(method, path, **kwargs)
        return wrapper

    adp = adapter.Adapter(_session("h", "u", PASSWORD, transport=transport),
                          helpers=[twice])
    with adapter.checked_writes(lambda: checks.append("check")):
        adp.read("LogicalPartition", "U1")
        adp.update(ENTRY_OBJECT, "7", "LogicalPartition", "U1")
    assert checks == ["check", "check"]
    assert [m for m, _t, _h, _b in transport.sent] == [
        "PUT", "GET", "GET", "POST", "POST"]

    def lost():
        raise RuntimeError("lock lost")

    with adapter.checked_writes(lost):
        with pytest.raises(RuntimeError, match="lock lost"):
            adp.delete("LogicalPartition", "U1")
    assert "DELETE" not in [m for m, _t, _h, _b in transport.sent]
