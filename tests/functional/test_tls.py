"""HTTPS against the emulator with a self-signed certificate (SPEC A1.3).

The certificates are generated at test time with ``cryptography`` (a
test extra), so no system tool is needed.
These machines set ``REQUESTS_CA_BUNDLE``; the tests also set it
themselves, to show that an explicit ``verify`` wins over it.
"""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.testing.emulator import Emulator


def self_signed(where, common_name, ip=None):
    """Write a self-signed, CA-capable certificate and its key; return
    their paths as strings."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                              critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    certfile, keyfile = where / (common_name + ".pem"), where / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(certfile), str(keyfile)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """(certificate, key) of a self-signed CA-capable cert for 127.0.0.1."""
    return self_signed(tmp_path_factory.mktemp("tls"), "127.0.0.1",
                       ip="127.0.0.1")


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
    other, _ = self_signed(tmp_path, "other")
    with pytest.raises(pvmex.SSLError):
        _session(https_emulator, verify=other)
    _session(https_emulator).logoff()  # verify=True: env bundle trusted
    with pytest.raises(pvmex.SSLError):
        _session(https_emulator, trust_env=False)


def test_a1_3_verification_off_only_when_asked(https_emulator):
    """A1.3: verify=False connects to the self-signed server."""
    with pytest.warns(Warning):  # urllib3's InsecureRequestWarning
        sess = _session(https_emulator, verify=False)
        assert sess.logged_on
        sess.logoff()
