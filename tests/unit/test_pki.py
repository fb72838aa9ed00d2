from __future__ import annotations

import base64
import ipaddress

import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deploy.local import pki


def load(cert_pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert_pem)


def test_serving_certificate_is_valid_for_loopback_and_in_cluster_names() -> None:
    ca = pki.make_ca("test-ca")
    cert = load(pki.issue_serving(ca, "10.0.0.1").cert_pem)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("10.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    cert.verify_directly_issued_by(load(ca.cert_pem))


def test_client_certificate_names_user_and_groups() -> None:
    ca = pki.make_ca("test-ca")
    identity = pki.ClientIdentity("admin", "fleetcast-admin", ("system:masters",))
    cert = load(pki.issue_client(ca, identity).cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "fleetcast-admin"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    cert.verify_directly_issued_by(load(ca.cert_pem))


def test_certificates_of_another_ca_do_not_verify() -> None:
    ours, theirs = pki.make_ca("ours"), pki.make_ca("theirs")
    cert = load(pki.issue_client(theirs, pki.ClientIdentity("x", "x")).cert_pem)
    try:
        cert.verify_directly_issued_by(load(ours.cert_pem))
    except Exception:
        return
    raise AssertionError("a certificate of another CA verified")


def test_kubeconfig_embeds_server_ca_and_client_credentials() -> None:
    ca = pki.make_ca("ca")
    client = pki.issue_client(ca, pki.ClientIdentity("u", "user"))
    doc = yaml.safe_load(pki.kubeconfig("c1", "https://127.0.0.1:6443", ca.cert_pem, client, "user"))
    assert doc["current-context"] == "c1"
    cluster = doc["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == ca.cert_pem
    user = doc["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == client.cert_pem
    assert base64.b64decode(user["client-key-data"]) == client.key_pem
