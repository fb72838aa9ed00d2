"""Settings of the spoke: who it is, where its cluster and Kafka are, and how patient it is."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.kafka import KafkaClientFields, KafkaClientSettings
from schemas.v1.names import ClusterId


class SpokeSettings(BaseSettings, KafkaClientFields):
    """`FLEETCAST_SPOKE_*` environment variables override every field; command-line flags override those."""

    model_config = SettingsConfigDict(env_prefix="FLEETCAST_SPOKE_", extra="ignore")

    cluster_id: ClusterId
    # None: the in-cluster service-account configuration, as when the spoke runs as a pod.
    kubeconfig: Path | None = None
    # Kafka: FLEETCAST_SPOKE_KAFKA_BOOTSTRAP, _KAFKA_SECURITY_PROTOCOL, _KAFKA_SASL_*, _KAFKA_SSL_* (schemas/kafka.py).

    metrics_host: str = "127.0.0.1"
    # 0 picks a free port; the one chosen is logged.
    metrics_port: int = Field(default=0, ge=0, le=65535)

    heartbeat_interval: float = Field(default=10.0, gt=0)
    # Watch events come in bursts (a rollout touches an object many times a second): one report per burst.
    report_debounce: float = Field(default=0.2, ge=0)
    # Level-triggered safety net: everything is re-applied this often, +-10 % so spokes do not align.
    resync_interval: float = Field(default=300.0, gt=0)
    inventory_namespace: str = "fleetcast-system"

    # Retriable errors (429, 5xx, connection): bounded exponential backoff within one reconcile.
    retry_attempts: int = Field(default=5, ge=1)
    retry_initial: float = Field(default=0.2, gt=0)
    retry_max: float = Field(default=5.0, gt=0)
    # Not-ready-yet (CRD not established, namespace missing, topic not created) and exhausted retries:
    # the whole application is tried again after this long.
    requeue_delay: float = Field(default=5.0, gt=0)
    # How long to wait for an applied CRD to become Established before its custom resources.
    crd_established_timeout: float = Field(default=30.0, gt=0)
    # Longest a consumer poll blocks; also bounds how quickly shutdown is noticed.
    poll_timeout: float = Field(default=1.0, gt=0)
    # A watch is re-opened this often even when healthy (the API server ends long watches anyway).
    watch_timeout: int = Field(default=300, gt=0)
    # Most bytes (as stored: compressed) one fetch of the desired topic brings. Not a limit on a record:
    # Kafka hands over a bigger batch whole. Large enough that a rebuild reads several big bundles at once.
    fetch_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Largest record the spoke produces, before compression: a dead letter carries a desired record as it
    # came, and those may be as big as the hub's FLEETCAST_HUB_MAX_BUNDLE_BYTES.
    max_record_bytes: int = Field(default=16 * 1024 * 1024 + 64 * 1024, ge=1024)

    # Kubernetes Events of managed objects forwarded to the hub (spoke/kubeevents/): Warnings always,
    # Normal ones only when this is set; per application at most `events_per_second` on average and
    # `events_burst` at once (the rest is counted as dropped), sent in batches this often.
    forward_normal_events: bool = False
    events_per_second: float = Field(default=1.0, gt=0)
    events_burst: int = Field(default=20, ge=1)
    events_flush_interval: float = Field(default=1.0, gt=0)
    # At start, Events up to this old are forwarded too (a restart does not replay the cluster's past).
    events_backfill: float = Field(default=300.0, ge=0)
    # Events about objects a managed one owns (a Pod of a Deployment) are attributed to it through
    # ownerReferences (spoke/kubeevents/owners.py): at most this many owners followed, and this many
    # objects' owners remembered (uid -> owner) so a recurring event about a pod costs no request.
    events_owner_hops: int = Field(default=3, ge=0, le=5)
    events_owner_cache: int = Field(default=4096, ge=1)

    # Drift under `correct` (spoke/drift/): after `drift_corrections_free` corrections of one object within
    # `drift_correction_window` seconds (another controller fighting us), wait before the next one:
    # `drift_backoff_initial` seconds, doubling, at most `drift_backoff_max`.
    drift_corrections_free: int = Field(default=3, ge=1)
    drift_correction_window: float = Field(default=60.0, gt=0)
    drift_backoff_initial: float = Field(default=5.0, gt=0)
    drift_backoff_max: float = Field(default=300.0, gt=0)

    def kafka(self) -> KafkaClientSettings:
        """This spoke's Kafka clients: ids `fleetcast-spoke-<cluster>-<client>` unless a prefix is set."""
        return self.kafka_client(f"fleetcast-spoke-{self.cluster_id}")
