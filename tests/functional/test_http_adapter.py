"""Session, Adapter and wrappers over real HTTP against the emulator
(SPEC A1, A2, W1.4/W1.5 on the wire, E1)."""

import logging

import pytest

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.testing.emulator import Emulator
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR
from pypvm_tx.wrappers.virtual_io_server import VIOS

LPAR_T = c.LOGICAL_PARTITION


# -- A1.1 / A1.2 logon, token reuse, connection reuse ------------------------

def test_a1_1_logon_once_token_reused_one_connection(emulator, adapter):
    """A1.1/A1.2: one logon; later requests reuse the token and the same
    keep-alive connection."""
    for _ in range(5):
        adapter.read(LPAR_T)
    assert emulator.counters()["logons"] == 1
    assert emulator.count("PUT", "Logon", 200) == 1
    assert emulator.count("GET", LPAR_T, 200) == 5
    assert emulator.connections_opened == 1


def test_a1_1_wrong_password_is_a_clear_authentication_error(emulator):
    """A1.1/A1.5: a wrong password raises HttpUnauth that says so and does
    not contain the password."""
    with pytest.raises(pvmex.HttpUnauth) as info:
        emulator.session(password="not-the-password")
    assert "user name or password" in str(info.value)
    assert "not-the-password" not in str(info.value)
    assert emulator.count("PUT", "Logon", 401) == 1


def test_a1_1_request_without_token_is_401(emulator):
    """A1.1/§9: the emulator refuses a uom request without a token."""
    sess = emulator.session()
    sess._set_token("forged")
    with pytest.raises(pvmex.HttpUnauth):
        sess.request("GET", "/rest/api/uom/LogicalPartition", relogon=False)


def test_a1_6_logoff_invalidates_the_token(emulator):
    """A1.6: logoff DELETEs the logon; the old token is refused after."""
    with emulator.session() as sess:
        token = sess._token
        pvm_adapter.Adapter(sess).read(LPAR_T)
    assert emulator.count("DELETE", "Logon", 204) == 1
    other = emulator.session()
    other._set_token(token)
    with pytest.raises(pvmex.HttpUnauth):
        other.request("GET", "/rest/api/uom/LogicalPartition", relogon=False)


# -- A2.1 feeds and entries ----------------------------------------------------

@pytest.mark.parametrize("count", [0, 1, 7])
def test_a2_1_feed_of_0_1_n_entries(emulator, adapter, count):
    """A2.1/§9: a feed GET gives N wrappers with per-entry etags; an
    empty feed is answered 204 and reads as an empty feed."""
    emulator.seed(lpars=count, vioses=0)
    resp = adapter.read(LPAR_T)
    assert resp.status == (200 if count else 204)
    assert len(LPAR.wrap(resp)) == count  # A3 rev 2: a 204 has no feed
    wrappers = LPAR.wrap(resp) if count else []
    assert sorted(w.uuid for w in wrappers) == sorted(emulator.uuids())
    for wrapper in wrappers:
        assert wrapper.etag == emulator.etag(wrapper.uuid)


def test_a2_1_entry_get_root_and_child(emulator, adapter):
    """A2.1/§9: ROOT and CHILD entry GETs; SELF links keep the path form
    and the request's group= query; ETag header is the entry etag."""
    uuid = emulator.uuids()[0]
    # (A2.4 rev 2) the default xag=None sends group=None, as the peer.
    root = adapter.read(LPAR_T, uuid)
    assert root.entry.uuid == uuid
    assert root.entry.href == "%s/rest/api/uom/LogicalPartition/%s" \
        "?group=None" % (emulator.url, uuid)
    assert root.etag == emulator.etag(uuid)
    child = adapter.read(c.MANAGED_SYSTEM, emulator.ms_uuid, LPAR_T, uuid,
                         xag=[])
    assert child.entry.href == "%s/rest/api/uom/ManagedSystem/%s/" \
        "LogicalPartition/%s" % (emulator.url, emulator.ms_uuid, uuid)
    assert child.etag == emulator.etag(uuid, xag=[])
    lpar = LPAR.wrap(child)
    assert lpar.name == emulator.get_value(uuid, "PartitionName")
    assert lpar.mem_config.desired == int(emulator.get_value(
        uuid, "PartitionMemoryConfiguration/DesiredMemory"))


def test_a2_1_child_of_the_wrong_system_is_404(emulator, adapter):
    """A2.3/§9: a CHILD path under an unknown system raises HttpNotFound."""
    with pytest.raises(pvmex.HttpNotFound) as info:
        adapter.read(c.MANAGED_SYSTEM, "0" * 8, LPAR_T, emulator.uuids()[0])
    assert "not found" in str(info.value)


def test_a2_4_vios_mappings_only_in_their_groups(emulator, adapter):
    """A2.4/§9: VIOS mappings come only with their group (or All / the
    default); the etag differs between representations."""
    uuid = emulator.uuids(c.VIRTUAL_IO_SERVER)[0]
    plain = VIOS.wrap(adapter.read(c.VIRTUAL_IO_SERVER, uuid))
    assert len(plain.scsi_mappings) == 0 and len(plain.vfc_mappings) == 0
    scsi = VIOS.wrap(adapter.read(c.VIRTUAL_IO_SERVER, uuid,
                                  xag=[c.XAG.VIO_SMAP]))
    assert len(scsi.scsi_mappings) > 0 and len(scsi.vfc_mappings) == 0
    full = VIOS.wrap(adapter.read(c.VIRTUAL_IO_SERVER, uuid,
                                  xag=[c.XAG.ALL]))
    assert len(full.scsi_mappings) > 0 and len(full.vfc_mappings) > 0
    assert full.media_repository is not None
    assert len({plain.etag, scsi.etag, full.etag}) == 3


def test_a2_4_rev2_xag_none_and_empty_on_the_wire(emulator, adapter):
    """A2.4 (rev 2), over HTTP: xag=None sends group=None and the VIOS
    comes without its mapping elements; xag=[] sends no group= and it
    comes with every group; a refresh of an href without group= asks for
    group=None (the mappings are gone), one with group= keeps it."""
    uuid = emulator.uuids(c.VIRTUAL_IO_SERVER)[0]
    none = adapter.read(c.VIRTUAL_IO_SERVER, uuid, xag=None)
    every = adapter.read(c.VIRTUAL_IO_SERVER, uuid, xag=[])
    assert none.reqpath.endswith("/%s?group=None" % uuid)
    assert every.reqpath.endswith("/%s" % uuid)
    smap = b"<VirtualSCSIMappings"
    fmap = b"<VirtualFibreChannelMappings"
    assert smap not in none.body and fmap not in none.body
    assert smap in every.body and fmap in every.body
    assert every.etag == emulator.etag(uuid, xag=[]) != none.etag

    sent = []
    adapter.session.event_hooks["request"].append(
        lambda method, url: sent.append(url))
    full = VIOS.wrap(every)
    assert full.href.endswith(uuid) and len(full.scsi_mappings) > 0
    fresh = full.refresh(use_etag=False)
    assert sent[-1].endswith("/%s?group=None" % uuid)
    assert len(fresh.scsi_mappings) == 0 and len(fresh.vfc_mappings) == 0

    scsi = VIOS.get(adapter, uuid=uuid, xag=[c.XAG.VIO_SMAP])
    again = scsi.refresh(use_etag=False)
    assert sent[-1].endswith("/%s?group=%s" % (uuid, c.XAG.VIO_SMAP))
    assert len(again.scsi_mappings) > 0


# -- W1.4 / W1.5 on the wire ------------------------------------------------------

def test_w1_5_refresh_gets_304_and_returns_same_wrapper(emulator, adapter):
    """A2.1/W1.5: refresh() of an unchanged entry is a 304 -> same object;
    after an out-of-band change it is a new wrapper with the new etag."""
    lpar = LPAR.get(adapter, uuid=emulator.uuids()[0])
    assert lpar.refresh() is lpar
    assert emulator.count("GET", LPAR_T, 304) == 1
    emulator.change(lpar.uuid, "PartitionName", "renamed")
    fresh = lpar.refresh()
    assert fresh is not lpar
    assert fresh.name == "renamed" and fresh.etag != lpar.etag


def test_w1_4_update_gives_new_etag_and_stale_etag_is_412(emulator,
                                                          adapter):
    """A2.2/W1.4: update() POSTs with If-Match and returns the new etag;
    the old wrapper's etag is then stale -> HttpError 412 whose message
    carries the server's HttpErrorResponse Message."""
    lpar = LPAR.get(adapter, uuid=emulator.uuids()[1])
    lpar.name = "first"
    updated = lpar.update()
    assert updated.etag != lpar.etag
    assert updated.etag == emulator.etag(lpar.uuid)
    assert emulator.get_value(lpar.uuid, "PartitionName") == "first"
    lpar.name = "second"
    with pytest.raises(pvmex.HttpError) as info:
        lpar.update()
    assert info.value.response.status == 412
    assert "Etag mismatch" in str(info.value)
    assert emulator.get_value(lpar.uuid, "PartitionName") == "first"


def test_w1_4_update_with_group_keeps_other_groups(emulator, adapter):
    """W1.4/§9: a VIOS POSTed through group=None (mappings not shown)
    keeps its mappings on the server."""
    uuid = emulator.uuids(c.VIRTUAL_IO_SERVER)[0]
    before = len(VIOS.wrap(adapter.read(
        c.VIRTUAL_IO_SERVER, uuid, xag=[c.XAG.VIO_SMAP])).scsi_mappings)
    vios = VIOS.wrap(adapter.read(c.VIRTUAL_IO_SERVER, uuid, xag=[]))
    vios.name = "vios-renamed"
    vios.update()
    after = VIOS.wrap(adapter.read(c.VIRTUAL_IO_SERVER, uuid,
                                   xag=[c.XAG.VIO_SMAP]))
    assert after.name == "vios-renamed"
    assert len(after.scsi_mappings) == before > 0


def test_a2_2_create_and_delete(emulator, adapter):
    """A2.2: PUT creates (new UUID, 200 + entry); DELETE removes (204)."""
    template = LPAR.get(adapter, uuid=emulator.uuids()[0])
    template.name = "created-one"
    resp = adapter.create(template, c.MANAGED_SYSTEM, emulator.ms_uuid,
                          LPAR_T)
    created = LPAR.wrap(resp)
    assert created.uuid not in (template.uuid, None)
    assert created.name == "created-one"
    assert created.uuid in emulator.uuids()
    assert created.partition_uuid == created.uuid
    adapter.delete_by_href(created.href, etag=created.etag)
    assert created.uuid not in emulator.uuids()
    with pytest.raises(pvmex.HttpNotFound):
        adapter.read(LPAR_T, created.uuid)


# -- A1.4 session expiry ----------------------------------------------------------

def test_a1_4_expired_session_logs_on_again_once(emulator, adapter):
    """A1.4: after the server forgets the token, the next request gets a
    401, logs on again once, and succeeds."""
    adapter.read(LPAR_T)
    emulator.expire_sessions()
    for _ in range(3):
        assert adapter.read(LPAR_T).status == 200
    assert emulator.count("GET", LPAR_T, 401) == 1
    assert emulator.counters()["logons"] == 2


# -- A1.7 faults ---------------------------------------------------------------------

def test_a1_7_get_retried_on_503_and_dropped_connections(emulator, adapter):
    """A1.7: GETs survive injected 503s and dropped connections."""
    emulator.inject_fault("status", status=503, count=1, methods=["GET"])
    emulator.inject_fault("drop", count=1, methods=["GET"])
    assert adapter.read(LPAR_T).status == 200
    assert emulator.count("GET", LPAR_T, 503) == 1
    assert emulator.count("GET", LPAR_T, "dropped") == 1
    assert emulator.count("GET", LPAR_T, 200) == 1


def test_a1_7_post_503_is_surfaced_not_retried(emulator, adapter):
    """A1.7: a 503 on POST raises HttpError and is not repeated."""
    lpar = LPAR.get(adapter, uuid=emulator.uuids()[0])
    emulator.inject_fault("status", status=503, count=1, methods=["POST"])
    lpar.name = "x"
    with pytest.raises(pvmex.HttpError) as info:
        lpar.update()
    assert info.value.response.status == 503
    assert emulator.count("POST") == 1
    assert emulator.version(lpar.uuid) == 1


def test_a1_7_post_dropped_after_apply_is_surfaced_once(emulator, adapter):
    """A1.7: a POST whose reply is lost raises ConnectionError and is not
    sent again: the server applied it exactly once."""
    lpar = LPAR.get(adapter, uuid=emulator.uuids()[0])
    emulator.inject_fault("drop_after", count=1, methods=["POST"])
    lpar.name = "applied-once"
    with pytest.raises(pvmex.ConnectionError) as info:
        lpar.update()
    assert "POST" in str(info.value)
    assert emulator.count("POST") == 1
    assert emulator.version(lpar.uuid) == 2
    assert emulator.get_value(lpar.uuid, "PartitionName") == "applied-once"
    assert adapter.read(LPAR_T).status == 200  # the session still works


def test_a1_7_request_past_its_timeout_is_timeout_error(emulator, adapter):
    """A1.7: a response slower than the request's timeout raises
    TimeoutError naming the method and URL."""
    emulator.inject_fault("slow", delay=2.0, count=1, methods=["GET"])
    with pytest.raises(pvmex.TimeoutError) as info:
        adapter.read(LPAR_T, timeout=0.2)
    assert "GET" in str(info.value)
    assert "/rest/api/uom/LogicalPartition" in str(info.value)


def test_a1_7_unreachable_server_is_connection_error(emulator):
    """A1.7: nothing listening -> ConnectionError naming method and URL."""
    port = emulator.port
    emulator.stop()
    with pytest.raises(pvmex.ConnectionError) as info:
        pvm_adapter.Session("127.0.0.1", "u", "p", protocol="http",
                            port=port, get_retries=1, retry_delay=None)
    assert "PUT http://127.0.0.1:%d/rest/api/web/Logon" % port \
        in str(info.value)


# -- A1.5 secrets in logs --------------------------------------------------------------

def test_a1_5_debug_logs_hold_neither_password_nor_token(caplog):
    """A1.5: with DEBUG logging on everywhere, a logon, requests, a 412, a
    re-logon and a logoff log neither the password nor any token."""
    password = "Very-Secret-Pw-123"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="pypvm_tx")
    emu = Emulator(lpars=2, password=password)
    with emu:
        sess = emu.session(retry_delay=None)
        tokens = {sess._token}
        adp = pvm_adapter.Adapter(sess)
        lpar = LPAR.get(adp, uuid=emu.uuids()[0])
        lpar.update()
        with pytest.raises(pvmex.HttpError):
            lpar.update()
        emu.expire_sessions()
        adp.read(LPAR_T)
        tokens.add(sess._token)
        sess.logoff()
    assert len(tokens) == 2 and caplog.records
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert password not in logged
    for token in tokens:
        assert token not in logged


def test_w1_wrap_of_feed_through_getter(emulator, adapter):
    """W2/A2.1: a FeedGetter over HTTP returns every entry once."""
    getter = ewrap.FeedGetter(adapter, LPAR, parent_class=c.MANAGED_SYSTEM,
                              parent_uuid=emulator.ms_uuid)
    assert sorted(w.uuid for w in getter.get()) == sorted(emulator.uuids())
