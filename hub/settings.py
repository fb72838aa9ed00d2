"""Hub settings: environment variables prefixed FLEETCAST_HUB_, overridden by command-line flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.notifications.settings import NotificationSettings
from schemas.kafka import KafkaClientFields, KafkaClientSettings


class HubSettings(BaseSettings, KafkaClientFields):
    model_config = SettingsConfigDict(env_prefix="FLEETCAST_HUB_", env_nested_delimiter="__", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./fleetcast-hub.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user:pw@host/db.",
    )
    # kafka_bootstrap, kafka_security_protocol, kafka_sasl_*, kafka_ssl_*: KafkaClientFields (schemas/kafka.py).
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)

    unreachable_after_seconds: float = Field(default=30.0, gt=0)

    relay_enabled: bool = Field(
        default=True,
        description="Publish the outbox. Off: changes are committed but never published (read-only replicas).",
    )
    relay_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="Fallback poll of the outbox; commits wake the relay at once."
    )
    relay_batch_size: int = Field(default=100, ge=1, le=10_000)

    reports_enabled: bool = Field(default=True, description="Consume status reports and heartbeats.")

    rollouts_enabled: bool = Field(
        default=True,
        description="Drive rollout runs. One driver per database: off on the other replicas (like the relay).",
    )
    rollout_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="Fallback look for due runs; reports and controls wake the driver at once."
    )
    report_group_id: str = "fleetcast-hub"
    metrics_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the gauges /metrics serves are refreshed from the store and the DLQ topic "
        "(one loop; a scrape never queries the store).",
    )

    topic_replication_factor: int = Field(default=1, ge=1)
    report_partitions: int = Field(default=1, ge=1)
    campaign_poll_interval_seconds: float = Field(
        default=2.0, gt=0, description="How often active fix campaigns are judged against what clusters report."
    )
    image_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of HMAC-signed image-version announcements (POST /api/v1/image-versions) "
        "from senders without a token; unset: announcements need a deployer token.",
    )
    image_webhook_tolerance_seconds: float = Field(
        default=300.0, gt=0, description="How far a signed announcement's timestamp may be from the hub's clock."
    )
    max_message_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        description=(
            "Largest desired-state record as compressed (zstd), set as the desired topics' max.message.bytes; "
            "bigger bundles are refused at the API."
        ),
    )
    max_bundle_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest desired-state event before compression (what the relay's producer sends and a spoke "
            "holds in memory); bigger bundles are refused at the API."
        ),
    )
    # Webhook notifications: FLEETCAST_HUB_NOTIFICATIONS__TIMEOUT_SECONDS=5 and so on (docs/notifications.md).
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    # Kubernetes Events forwarded by spokes (hub/kubeevents): consumed in group `<report_group_id>-events`.
    kube_events_enabled: bool = Field(default=True, description="Consume Kubernetes Events from the events topic.")
    kube_events_keep: int = Field(
        default=200, ge=1, le=100_000, description="Events kept per (cluster, application): the newest."
    )
    kube_events_max_age_seconds: float = Field(
        default=7 * 24 * 3600.0, gt=0, description="Events older than this are dropped (the events topic's retention)."
    )
    # Helm charts as applications (hub/charts, docs/charts.md): the Helm that renders them, per cluster.
    helm_binary: Path | None = Field(
        default=None,
        description="The helm binary that renders charts; unset: `helm` on PATH, then the pinned version "
        "in the build cache (`fleetcast dev tools helm` builds it).",
    )
    helm_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest one `helm template` may run before it is killed (a 422 then)."
    )
    helm_max_parallel: int = Field(default=4, ge=1, le=64, description="Helm processes rendering at once.")
    # dependsOn (hub/dependencies): held bundles are released when reports show their dependencies Ready.
    dependencies_poll_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Fallback look for held bundles whose dependencies became Ready (reports wake it at once).",
    )

    def kafka(self) -> KafkaClientSettings:
        """The hub's Kafka clients: ids `fleetcast-hub-<client>` unless a prefix is set."""
        return self.kafka_client("fleetcast-hub")
