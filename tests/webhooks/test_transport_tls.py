"""HTTPS deliveries pinned to the checked address still name the host: TLS server name (SNI) and
certificate check are for the name, so a certificate for another name is refused."""

from __future__ import annotations

import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from prm.webhooks import transport
from prm.webhooks.models import WebhookAttempt
from tests.deals.helpers import register
from tests.webhooks.helpers import Receiver, register_endpoint

pytestmark = pytest.mark.django_db


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, key, signing_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        # Python's default context checks strictly (X.509 strict mode): the issuer's key is named.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A test CA the transport trusts, and a way to serve HTTPS with a certificate for a name."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("PRM test CA", "PRM test CA", ca_key, ca_key, ca=True)
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setattr(transport, "ssl_context", lambda: ssl.create_default_context(cafile=str(ca_path)))
    servers: list[Receiver] = []

    def serve(certificate_name: str) -> tuple[Receiver, list[str]]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(certificate_name, "PRM test CA", key, ca_key, ca=False)
        cert_path, key_path = tmp_path / f"{certificate_name}.pem", tmp_path / f"{certificate_name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server_names: list[str] = []
        context.sni_callback = lambda sock, name, ctx: server_names.append(name)
        receiver = Receiver()
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        servers.append(receiver.start())
        return receiver, server_names

    yield serve
    for receiver in servers:
        receiver.stop()


def test_https_goes_to_the_checked_address_with_the_name_for_sni_and_the_certificate(
    cast, tls, dns, loopback, django_capture_on_commit_callbacks
):
    table, _calls = dns
    table["hooks.example.test"] = ["127.0.0.1"]
    receiver, server_names = tls("hooks.example.test")
    _endpoint, secret = register_endpoint(
        cast.a, f"https://hooks.example.test:{receiver.port}/hook", events=["deal.submitted"]
    )
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    (request,) = receiver.requests
    assert server_names == ["hooks.example.test"]
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    request.verified(secret)


def test_a_certificate_for_another_name_is_refused(
    cast, tls, dns, loopback, django_capture_on_commit_callbacks
):
    table, _calls = dns
    table["hooks.example.test"] = ["127.0.0.1"]
    receiver, _server_names = tls("elsewhere.example.test")
    register_endpoint(cast.a, f"https://hooks.example.test:{receiver.port}/hook", events=["deal.submitted"])
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    assert receiver.requests == []
    with cast.a.context():
        attempt = WebhookAttempt.objects.get()
        assert attempt.outcome == "failed" and attempt.status_code is None
        assert (
            attempt.error.startswith("TLS certificate not accepted") and "Hostname mismatch" in attempt.error
        )
