"""How every Fleetcast process connects to Kafka: one settings model and the aiokafka keyword arguments
built from it, for consumers, producers and admin clients alike.

It lives in `schemas/` because the hub and the spoke may share nothing else (they never import each other)
and both must connect to the same brokers the same way; tests and the local fleet use it too.

The hub and the spoke embed the fields (`KafkaClientFields`) in their own settings, so the variables keep
their component's prefix: `FLEETCAST_HUB_KAFKA_BOOTSTRAP`, `FLEETCAST_SPOKE_KAFKA_SECURITY_PROTOCOL`,
`..._KAFKA_SASL_MECHANISM`, `..._KAFKA_SASL_USERNAME`, `..._KAFKA_SASL_PASSWORD`, `..._KAFKA_SSL_CAFILE`,
`..._KAFKA_SSL_CERTFILE`, `..._KAFKA_SSL_KEYFILE`, `..._KAFKA_CLIENT_ID`, `..._KAFKA_REQUEST_TIMEOUT`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from aiokafka.helpers import create_ssl_context
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaClientSettings(BaseModel):
    """Where the brokers are and how to authenticate to them."""

    model_config = ConfigDict(frozen=True)

    bootstrap: str = Field(default="127.0.0.1:9092", description="host:port[,host:port] of the brokers.")
    client_id: str = Field(default="fleetcast", description="Prefix of every client id (brokers log and quota by it).")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(default=None, description="CA bundle to verify the brokers (default: system).")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate, for mutual TLS.")
    ssl_keyfile: Path | None = None
    request_timeout: float | None = Field(
        default=None, gt=0, description="Seconds a request to a broker may take (default: aiokafka's, 40 s)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaClientSettings:
        if self.security_protocol.startswith("SASL_"):
            missing = [
                name
                for name, value in (
                    ("sasl_mechanism", self.sasl_mechanism),
                    ("sasl_username", self.sasl_username),
                    ("sasl_password", self.sasl_password),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"security_protocol {self.security_protocol} needs {', '.join(missing)}")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


def client_kwargs(settings: KafkaClientSettings, client: str) -> dict[str, Any]:
    """What every client takes: brokers, client id `<prefix>-<client>`, timeout, TLS and SASL."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap,
        "client_id": f"{settings.client_id}-{client}" if client else settings.client_id,
        "security_protocol": settings.security_protocol,
    }
    if settings.request_timeout is not None:
        kwargs["request_timeout_ms"] = int(settings.request_timeout * 1000)
    if settings.uses_tls:
        kwargs["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile, certfile=settings.ssl_certfile, keyfile=settings.ssl_keyfile
        )
    if settings.security_protocol.startswith("SASL_"):
        assert settings.sasl_password is not None  # checked by the model
        kwargs["sasl_mechanism"] = settings.sasl_mechanism
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return kwargs


def consumer_kwargs(settings: KafkaClientSettings, client: str, **options: Any) -> dict[str, Any]:
    """AIOKafkaConsumer(*topics, **consumer_kwargs(...)); `options` (group_id, offsets, fetch sizes) win."""
    return client_kwargs(settings, client) | options


def producer_kwargs(settings: KafkaClientSettings, client: str, **options: Any) -> dict[str, Any]:
    """AIOKafkaProducer(**producer_kwargs(...)); `options` (acks, idempotence, sizes) win."""
    return client_kwargs(settings, client) | options


def admin_kwargs(settings: KafkaClientSettings, client: str, **options: Any) -> dict[str, Any]:
    """AIOKafkaAdminClient(**admin_kwargs(...))."""
    return client_kwargs(settings, client) | options


class _Client(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ClientT = TypeVar("ClientT", bound=_Client)


async def started(client: ClientT) -> ClientT:
    """`client` (an aiokafka consumer or producer) started; stopped again if starting fails, which would
    otherwise leave its connections and background tasks behind."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise
    return client


class KafkaClientFields(BaseModel):
    """The Kafka fields a component's settings embed (flat, so the variables keep their prefix:
    FLEETCAST_HUB_KAFKA_BOOTSTRAP, FLEETCAST_SPOKE_KAFKA_SASL_USERNAME, ...)."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_client_id: str | None = Field(default=None, description="Client id prefix; default: the component's.")
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    kafka_request_timeout: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _kafka_consistent(self) -> KafkaClientFields:
        self.kafka_client("fleetcast")  # SASL without credentials, a certificate without its key: at load
        return self

    def kafka_client(self, default_client_id: str) -> KafkaClientSettings:
        return KafkaClientSettings(
            bootstrap=self.kafka_bootstrap,
            client_id=self.kafka_client_id or default_client_id,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
            request_timeout=self.kafka_request_timeout,
        )
