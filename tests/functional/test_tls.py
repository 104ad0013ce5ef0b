"""HTTPS against the emulator with a self-signed certificate (SPEC A1.3).

The certificate is generated at test time with the ``openssl`` command.
These machines set ``REQUESTS_CA_BUNDLE``; the tests also set it
themselves, to show that an explicit ``verify`` wins over it.
"""

import shutil
import subprocess

import pytest

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.testing.emulator import Emulator

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="needs the openssl command")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """(certificate, key) of a self-signed CA-capable cert for 127.0.0.1."""
    where = tmp_path_factory.mktemp("tls")
    certfile, keyfile = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", str(keyfile), "-out", str(certfile)],
        check=True, capture_output=True, timeout=60)
    return str(certfile), str(keyfile)


@pytest.fixture
def https_emulator(cert):
    emu = Emulator(lpars=2, certfile=cert[0], keyfile=cert[1])
    with emu as url:
        assert url.startswith("https://127.0.0.1:")
        yield emu


def _session(emu, **kwargs):
    return pvm_adapter.Session("127.0.0.1", emu.user, "abc123",
                               port=emu.port, retry_delay=None, **kwargs)


def test_a1_3_default_verification_rejects_self_signed(https_emulator):
    """A1.3: https verifies by default: an unknown self-signed
    certificate fails with SSLError naming the method and URL."""
    with pytest.raises(pvmex.SSLError) as info:
        _session(https_emulator)
    assert "PUT https://127.0.0.1:%d/rest/api/web/Logon" % \
        https_emulator.port in str(info.value)


def test_a1_3_ca_bundle_path_verifies(https_emulator, cert, monkeypatch):
    """A1.3: passing the CA bundle makes the same server trusted, even
    with REQUESTS_CA_BUNDLE pointing elsewhere."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates"
                       ".crt")
    sess = _session(https_emulator, verify=cert[0])
    resp = pvm_adapter.Adapter(sess).read(c.LOGICAL_PARTITION)
    assert len(resp.feed.entries) == 2
    assert resp.feed.entries[0].href.startswith("https://127.0.0.1:")
    sess.logoff()


def test_a1_3_explicit_verify_beats_environment(https_emulator, cert,
                                                monkeypatch, tmp_path):
    """A1.3: with REQUESTS_CA_BUNDLE trusting the server, an explicit
    other CA bundle still wins (and fails); verify=True follows the
    environment as requests does."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert[0])
    other = tmp_path / "other.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=other", "-keyout", str(tmp_path / "k.pem"),
         "-out", str(other)], check=True, capture_output=True, timeout=60)
    with pytest.raises(pvmex.SSLError):
        _session(https_emulator, verify=str(other))
    _session(https_emulator).logoff()  # verify=True: env bundle trusted
    with pytest.raises(pvmex.SSLError):
        _session(https_emulator, trust_env=False)


def test_a1_3_verification_off_only_when_asked(https_emulator):
    """A1.3: verify=False connects to the self-signed server."""
    with pytest.warns(Warning):  # urllib3's InsecureRequestWarning
        sess = _session(https_emulator, verify=False)
        assert sess.logged_on
        sess.logoff()
