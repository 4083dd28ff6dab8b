"""The TLS listener against the real binary: HTTPS with a self-signed
certificate, plain HTTP refused, tls_min_version enforced, bad key files
reported at start."""
import http.client
import os
import socket
import ssl
import subprocess

import pytest

from harness import BINARY, TresorServer


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost, made by openssl."""
    d = tmp_path_factory.mktemp("tls")
    cert_file, key_file = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key_file, "-out", cert_file],
                   check=True, capture_output=True)
    return cert_file, key_file


def handshake(port, context):
    """A bare TLS handshake; returns the negotiated version or raises ssl.SSLError."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            return tls.version()


def client_context(cert_file, minimum=None, maximum=None):
    context = ssl.create_default_context(cafile=cert_file)
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


@pytest.fixture
def tls_server(cert):
    with TresorServer(tls=cert) as s:
        yield s


def test_https_with_the_certificate_as_ca(tls_server, cert):
    assert tls_server.address.startswith("https://")
    r = tls_server.api("GET", "sys/health", context=client_context(cert[0]))
    assert r.status == 501, r
    assert r.json["initialized"] is False
    r = tls_server.api("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1},
                       context=client_context(cert[0]))
    assert r.status == 200 and r.json["root_token"], r


def test_untrusted_certificate_is_rejected_by_a_verifying_client(tls_server):
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls_server.port, ssl.create_default_context())


def test_plain_http_to_the_tls_port_fails(tls_server, cert):
    conn = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=30)
    with pytest.raises((http.client.RemoteDisconnected, http.client.BadStatusLine,
                        ConnectionResetError, BrokenPipeError)):
        conn.request("GET", "/v1/sys/health")
        response = conn.getresponse()
        # A TLS server may answer with a TLS alert; it must not be an API answer.
        pytest.fail(f"plain HTTP got an answer: {response.status} {response.read()[:100]!r}")
    conn.close()
    # The listener still serves TLS clients afterwards.
    assert tls_server.api("GET", "sys/health", context=client_context(cert[0])).status == 501


def test_default_minimum_accepts_tls12(tls_server, cert):
    context = client_context(cert[0], maximum=ssl.TLSVersion.TLSv1_2)
    assert handshake(tls_server.port, context) == "TLSv1.2"
    assert tls_server.api("GET", "sys/health", context=context).status == 501


def test_tls13_minimum_refuses_a_tls12_only_client(cert):
    with TresorServer(tls=cert, listener_extra='  tls_min_version = "tls13"\n') as s:
        only_12 = client_context(cert[0], maximum=ssl.TLSVersion.TLSv1_2)
        with pytest.raises(ssl.SSLError):
            handshake(s.port, only_12)
        tls13 = client_context(cert[0], minimum=ssl.TLSVersion.TLSv1_3)
        assert handshake(s.port, tls13) == "TLSv1.3"
        assert s.api("GET", "sys/health", context=tls13).status == 501


def test_missing_key_file_stops_the_server_naming_the_file(cert, tmp_path):
    missing = str(tmp_path / "no-such-key.pem")
    s = TresorServer(tls=(cert[0], missing))
    try:
        proc = subprocess.run([BINARY, "server", f"-config={s.config_path}"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert missing in proc.stdout + proc.stderr
    finally:
        s.close()
    assert not os.path.exists(missing)
