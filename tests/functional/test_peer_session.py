"""Session and Adapter as Nova builds them, over real HTTP to the emulator
(A1 rev 2, A2.4 rev 2): conn_tries waits for a REST server that is still
starting; helpers see every request of a VIOS FeedTask read with its
mapping group."""

import socket
import threading

import pytest

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing.emulator import Emulator
from pypvm_tx.testing.emulator.common import DEFAULT_PASSWORD, DEFAULT_USER
from pypvm_tx.wrappers.virtual_io_server import VIOS


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a1_rev2_conn_tries_waits_for_the_server_to_start():
    """conn_tries: the first logon is retried while nothing listens yet,
    and succeeds once the emulator is up."""
    port = _free_port()
    emu = Emulator(port=port, lpars=1)
    starter = threading.Timer(0.4, emu.start)
    starter.start()
    try:
        sess = pvm_adapter.Session("127.0.0.1", DEFAULT_USER,
                                   DEFAULT_PASSWORD, protocol="http",
                                   port=port, conn_tries=40, conn_delay=0.05,
                                   retry_delay=None)
        assert sess.logged_on
        sess.logoff()
    finally:
        starter.join()
        emu.stop()


def test_a1_rev2_conn_tries_1_fails_at_once_when_nothing_listens():
    """The peer's default conn_tries=1: one try, a ConnectionError."""
    with pytest.raises(pvmex.ConnectionError):
        pvm_adapter.Session("127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD,
                            protocol="http", port=_free_port(),
                            retry_delay=None, timeout=5)


def test_a1_rev2_helpers_see_a_vios_feed_task_over_http(emulator):
    """Nova's shape: Adapter(session, helpers=[...]); a VIOS FeedTask read
    with the SCSI mapping group; the helper sees the feed GET and every
    POST, each answered as the emulator counts them."""
    seen = []

    def record(func):
        def wrapper(method, path, **kwargs):
            resp = func(method, path, **kwargs)
            seen.append((method, path.split("?")[1] if "?" in path else "",
                         resp.status))
            return resp
        return wrapper

    sess = pvm_adapter.Session("127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD,
                               "nova-test", protocol="http",
                               port=emulator.port, conn_tries=60,
                               retry_delay=None)
    adpt = pvm_adapter.Adapter(sess, helpers=[record])
    counted = []

    def count_mappings(vios):
        counted.append(len(vios.scsi_mappings))
        vios.name = vios.name + "-x"
        return True

    ftask = tx.FeedTask("vios", VIOS.getter(
        adpt, xag=[VIOS.xags.SCSI_MAPPING]))
    ftask.add_functor_subtask(count_mappings)
    ftask.execute()
    sess.logoff()
    assert len(counted) == 2 and all(n > 0 for n in counted)
    assert seen[0] == ("GET", "group=%s" % c.XAG.VIO_SMAP, 200)
    posts = [s for s in seen if s[0] == "POST"]
    assert posts == [("POST", "group=%s" % c.XAG.VIO_SMAP, 200)] * 2
    assert len(seen) == emulator.count(schema_type=c.VIRTUAL_IO_SERVER)


def test_a1_rev2_novas_storage_pattern_with_session_and_helpers(emulator):
    """Issue 9 acceptance, this library's side: the Session and Adapter
    built as Nova builds them (conn_tries=60, helpers=[...]), the
    system's MTMS string, and the active-VIOS FeedTask with a SCSI
    mapping subtask; the helpers see every request the emulator counts."""
    from pypvm_tx.tasks import partition as tpar
    from pypvm_tx.tasks import scsi_mapper
    from pypvm_tx.wrappers import managed_system as ms
    from pypvm_tx.wrappers import storage as stor

    seen = []

    def log_helper(func):
        def wrapper(*args, **kwargs):
            seen.append(args[0])
            return func(*args, **kwargs)
        return wrapper

    def busy_retry_helper(func):  # the shape of the peer's vios_busy
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except pvmex.HttpError as exc:
                if exc.response.status != 500:
                    raise
                return func(*args, **kwargs)
        return wrapper

    sess = pvm_adapter.Session("127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD,
                               protocol="http", port=emulator.port,
                               conn_tries=60, retry_delay=None)
    adpt = pvm_adapter.Adapter(sess, helpers=[log_helper, busy_retry_helper])
    before = emulator.count()
    host = ms.System.get(adpt)[0]
    mtms = host.mtms
    assert mtms.mtms_str == "%s-%s*%s" % (mtms.machine_type, mtms.model,
                                          mtms.serial)
    assert all((mtms.machine_type, mtms.model, mtms.serial))
    lpar_uuid = emulator.uuids(c.LOGICAL_PARTITION)[0]
    disk = stor.VDisk.bld_ref(adpt, "nova_disk")

    def attach(vios_w):
        mapping = scsi_mapper.build_vscsi_mapping(host.uuid, vios_w,
                                                  lpar_uuid, disk)
        return scsi_mapper.add_map(vios_w, mapping) is not None

    ftask = tpar.build_active_vio_feed_task(adpt)
    ftask.add_functor_subtask(attach)
    ftask.execute()
    sess.logoff()
    assert {o.status for o in ftask.outcomes.values()} == {"updated"}
    assert seen.count("POST") == len(ftask.outcomes) > 0
    assert len(seen) == emulator.count() - before - 1  # not the logoff
