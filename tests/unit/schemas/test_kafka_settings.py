"""One way to connect to Kafka: the aiokafka keyword arguments from KafkaClientSettings, and the
component settings that embed them under their own prefix."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from hub.settings import HubSettings
from schemas.kafka import KafkaClientSettings, admin_kwargs, consumer_kwargs, producer_kwargs
from spoke.settings import SpokeSettings


def test_plaintext_gives_brokers_and_an_id_and_no_security() -> None:
    settings = KafkaClientSettings(bootstrap="k:9092", client_id="fleetcast-hub")
    kwargs = consumer_kwargs(settings, "reports", group_id="g")
    assert kwargs == {
        "bootstrap_servers": "k:9092",
        "client_id": "fleetcast-hub-reports",
        "security_protocol": "PLAINTEXT",
        "group_id": "g",
    }


def test_sasl_ssl_gives_a_tls_context_and_the_sasl_fields() -> None:
    settings = KafkaClientSettings(
        bootstrap="k:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="hub",
        sasl_password=SecretStr("s3cret"),
        request_timeout=12.5,
    )
    for kwargs in (producer_kwargs(settings, "relay"), admin_kwargs(settings, "topics")):
        assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
        assert kwargs["security_protocol"] == "SASL_SSL"
        assert (kwargs["sasl_mechanism"], kwargs["sasl_plain_username"]) == ("SCRAM-SHA-512", "hub")
        assert kwargs["sasl_plain_password"] == "s3cret"
        assert kwargs["request_timeout_ms"] == 12500


def test_ssl_without_sasl_has_no_sasl_fields_and_sasl_plaintext_no_tls() -> None:
    tls = producer_kwargs(KafkaClientSettings(security_protocol="SSL"), "p")
    assert isinstance(tls["ssl_context"], ssl.SSLContext) and "sasl_mechanism" not in tls
    sasl = producer_kwargs(
        KafkaClientSettings(
            security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_username="u", sasl_password=SecretStr("p")
        ),
        "p",
    )
    assert "ssl_context" not in sasl and sasl["sasl_mechanism"] == "PLAIN"


def test_options_win_over_the_defaults() -> None:
    kwargs = admin_kwargs(KafkaClientSettings(request_timeout=30), "topics", request_timeout_ms=10_000)
    assert kwargs["request_timeout_ms"] == 10_000


@pytest.mark.parametrize(
    "fields",
    [
        {"security_protocol": "SASL_SSL"},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "sasl_username": "u"},
        {"ssl_certfile": Path("/c.pem")},
    ],
)
def test_incomplete_security_is_refused_naming_what_is_missing(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=r"sasl|ssl_keyfile"):
        KafkaClientSettings.model_validate(fields)


def test_components_keep_their_prefix_and_client_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_BOOTSTRAP", "hub-kafka:9092")
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_SASL_USERNAME", "hub")
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_SASL_PASSWORD", "pw")
    monkeypatch.setenv("FLEETCAST_SPOKE_KAFKA_BOOTSTRAP", "spoke-kafka:9092")
    hub = HubSettings().kafka()
    assert (hub.bootstrap, hub.security_protocol, hub.sasl_username, hub.client_id) == (
        "hub-kafka:9092",
        "SASL_SSL",
        "hub",
        "fleetcast-hub",
    )
    spoke = SpokeSettings(cluster_id="c1").kafka()
    assert (spoke.bootstrap, spoke.security_protocol, spoke.client_id) == (
        "spoke-kafka:9092",
        "PLAINTEXT",
        "fleetcast-spoke-c1",
    )


def test_a_component_with_incomplete_security_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETCAST_SPOKE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(ValidationError, match="sasl_mechanism"):
        SpokeSettings(cluster_id="c1")
