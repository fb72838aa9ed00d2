"""Tables of the hub. The migration in hub/migrations creates them; keep the two in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.store.types import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
OutboxId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # last_seen: the last heartbeat's time, never later than when it arrived; heartbeat_at: as sent.
    last_seen: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    # Since when heartbeats have come without a gap longer than the unreachable threshold: a health
    # gate's soak never spans a silence, even one that ended before the gate looked.
    reachable_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    selector: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    # The rollout strategy a new release goes out with; None: to every selected cluster at once.
    strategy: Mapped[str | None] = mapped_column(String(63))
    # The newest release rolled out to every cluster it selected: what a cluster that joins gets.
    stable_revision: Mapped[int | None] = mapped_column(Integer)
    # Image repository (canonical) -> tag or digest, applied to every release's manifests.
    image_overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Auto-update policies: [{image, constraint, strategy}]; an announced version a policy allows makes
    # a release through an image override.
    auto_update: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The drift policy (schemas.v1.drift.DriftPolicy as JSON) new releases carry; None: the default (correct).
    drift: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the application is made from when not plain manifests (hub.sources.spec.Source, stored form):
    # a chart or a template, with its values and per-cluster values. None: the release's manifests.
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # dependsOn (hub/dependencies): application ids whose bundles must be Ready on a cluster before this
    # one's is dispatched there; they need not exist (yet).
    depends_on: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Deleted applications keep their row and releases, so re-creating one continues its revisions.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Release(Base):
    """Immutable: revision N of an application's desired state."""

    __tablename__ = "releases"

    application_id: Mapped[str] = mapped_column(String(63), ForeignKey("applications.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What clusters get: the source manifests with the image overrides applied.
    manifests: Mapped[list[Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    selector: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    image_overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The manifests as given, when overrides changed them; None: the same as `manifests`.
    source_manifests: Mapped[list[Any] | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(63))
    # Why it was made when not by hand: "campaign 3", "auto-update: nginx 1.27.5".
    cause: Mapped[str | None] = mapped_column(Text)
    # The drift policy its bundles carry (DriftPolicy as JSON); None: the default (correct).
    drift: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A chart or template release (hub.sources.spec.Source, stored form): `manifests` is then empty and each
    # cluster's manifests are rendered for it (ReleaseRendering). None: `manifests` is what every cluster gets.
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Where it came from when synced from code (hub.sources.origin.Origin as JSON).
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Findings of `warn` policies when it was made (hub.policies FindingOut as JSON).
    warnings: Mapped[list[Any] | None] = mapped_column(JSON)


class ReleaseRendering(Base):
    """What one cluster gets of a chart or template release: rendered once per cluster (and again when the
    cluster's facts changed), so every dispatch of it sends the same bundle."""

    __tablename__ = "release_renderings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["application_id", "revision"], ["releases.application_id", "releases.revision"], ondelete="CASCADE"
        ),
    )

    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    # The cluster facts it was rendered with (ClusterFacts digest): other facts, another rendering.
    facts_digest: Mapped[str] = mapped_column(String(80))
    manifests: Mapped[list[Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class ChartArchiveRow(Base):
    """An uploaded chart, once per content digest (hub.charts.archive.ChartArchive.digest), as the packed
    .tgz: releases and templates refer to it by digest."""

    __tablename__ = "chart_archives"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(253))
    version: Mapped[str] = mapped_column(String(253))
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Placement(Base):
    """What was last sent for (cluster, application). No foreign keys on purpose: the generation must
    outlive a deregistration or deletion, so a re-registered cluster or re-created application goes on
    counting from where its spoke is."""

    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_application", "application_id"),)

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # bundle | removal
    reason: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class Status(Base):
    """The newest status report per (cluster, application)."""

    __tablename__ = "statuses"
    __table_args__ = (Index("ix_statuses_application", "application_id"),)

    cluster_id: Mapped[str] = mapped_column(String(63), ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    observed_generation: Mapped[int] = mapped_column(Integer)
    observed_revision: Mapped[int] = mapped_column(Integer)
    last_applied_revision: Mapped[int | None] = mapped_column(Integer)
    last_attempted_revision: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(80))
    removed: Mapped[bool] = mapped_column(Boolean)
    health: Mapped[str] = mapped_column(String(32))
    objects: Mapped[list[Any]] = mapped_column(JSON)
    images: Mapped[list[Any]] = mapped_column(JSON)
    errors: Mapped[list[Any]] = mapped_column(JSON)
    reported_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # When what a health gate looks at (generation, revisions, health, errors) last changed, by the
    # hub's clock; a re-delivered or merely re-timed report leaves it alone.
    health_since: Mapped[datetime | None]
    # The newest revision this cluster reported applied, Ready and without errors: a rollback's target.
    last_healthy_revision: Mapped[int | None] = mapped_column(Integer)


class OutboxRecord(Base):
    """A Kafka record to publish, written in the same transaction as the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "failed_at", "id"),)

    id: Mapped[int] = mapped_column(OutboxId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: a tombstone
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A record the broker refuses for good (too large, invalid topic) is set aside, not retried forever.
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """Rows taken FOR UPDATE to serialize writers across hub replicas on PostgreSQL (SQLite serializes
    every write transaction anyway)."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)


PLACEMENTS_LOCK = "placements"


class Token(Base):
    """An API bearer token. Only a hash of its secret is kept; the secret is shown once, at creation."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(63))  # who acts with it: recorded as the actor
    roles: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(63))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did what, when, to which application."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_application", "application", "id"),
        Index("ix_audit_time", "time"),
        Index("ix_audit_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(OutboxId, primary_key=True, autoincrement=True)
    time: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(64))
    application: Mapped[str | None] = mapped_column(String(63))
    cluster: Mapped[str | None] = mapped_column(String(63))
    strategy: Mapped[str | None] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class Strategy(Base):
    """A rollout strategy's current version. Deleted ones keep their row and versions, so re-creating
    one continues its version numbers."""

    __tablename__ = "strategies"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StrategyVersion(Base):
    """Immutable: version N of a strategy. A run refers to the version it started with."""

    __tablename__ = "strategy_versions"

    name: Mapped[str] = mapped_column(String(63), ForeignKey("strategies.name"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(63))


class RolloutRun(Base):
    """One release of an application going out under a strategy; at most one active per application."""

    __tablename__ = "rollout_runs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["strategy_name", "strategy_version"], ["strategy_versions.name", "strategy_versions.version"]
        ),
        Index("ix_rollout_runs_application", "application_id", "id"),
        Index("ix_rollout_runs_due", "active", "next_evaluation_at"),
        Index(
            "ux_rollout_runs_one_active",
            "application_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(63))
    revision: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    strategy_name: Mapped[str] = mapped_column(String(63))
    strategy_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    # Where the run is: wave index, phase (before | deploy | after), gate index within the phase, and
    # when the current gate opened. A rollback walks the waves backwards.
    wave: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(16))
    gate: Mapped[int] = mapped_column(Integer)
    gate_opened_at: Mapped[datetime | None]
    # A pause after a failure (not one asked for) re-arms the failed clusters on resume.
    paused_by_failure: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(63))
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # When the driver must look at it next (a soak ends, a deadline, a gate's wait); set to now by a
    # report or a control action. None: nothing can change it but an operator.
    next_evaluation_at: Mapped[datetime | None]
    superseded_by: Mapped[int | None] = mapped_column(Integer)


class RolloutTarget(Base):
    """One cluster in a run's frozen plan: its wave, what it gets, its baseline, and how it went."""

    __tablename__ = "rollout_targets"
    __table_args__ = (Index("ix_rollout_targets_cluster", "cluster_id"),)

    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("rollout_runs.id"), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    wave: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # bundle | removal
    # The newest revision healthy on the cluster when the run started; None: it had none installed.
    baseline_revision: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    dispatched_at: Mapped[datetime | None]
    generation: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    rollback_state: Mapped[str | None] = mapped_column(String(16))
    rollback_dispatched_at: Mapped[datetime | None]
    rollback_generation: Mapped[int | None] = mapped_column(Integer)
    rollback_finished_at: Mapped[datetime | None]
    rollback_reason: Mapped[str | None] = mapped_column(Text)


class RolloutApproval(Base):
    """Who let a gate open: bound to one run, wave, gate and release digest; never carried over."""

    __tablename__ = "rollout_approvals"
    __table_args__ = (UniqueConstraint("run_id", "wave", "phase", "gate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("rollout_runs.id"))
    wave: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(16))
    gate: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(63))
    role: Mapped[str] = mapped_column(String(63))
    decided_at: Mapped[datetime]
    comment: Mapped[str | None] = mapped_column(Text)


# -- notifications (hub/notifications) --------------------------------------------------------------


class NotificationSubscription(Base):
    """Event types x applications x clusters -> a webhook. Removed ones keep their row (deleted_at), so
    their deliveries stay readable in the log."""

    __tablename__ = "notification_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    applications: Mapped[list[str]] = mapped_column(JSON)
    selector: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    # Kept as given: the hub needs it to sign. Never returned by the API after creation.
    secret: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(63))
    deleted_at: Mapped[datetime | None]


class NotificationDelivery(Base):
    """One notification to one subscription: its body (made once), and how sending it went."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        # An event is delivered to a subscription once, however often the notifier looks at it.
        UniqueConstraint("subscription_id", "event_id", name="uq_notification_deliveries_event"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_subscription", "subscription_id", "id"),
        Index("ix_notification_deliveries_finished", "finished_at"),
    )

    id: Mapped[int] = mapped_column(OutboxId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(Integer, ForeignKey("notification_subscriptions.id"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the audit event; None: a test notification
    event_type: Mapped[str] = mapped_column(String(64))
    application: Mapped[str | None] = mapped_column(String(63))
    cluster: Mapped[str | None] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationCursor(Base):
    """How far the notifier has read the audit log (every event id up to `position` handled)."""

    __tablename__ = "notification_cursors"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class ClusterReachability(Base):
    """The state the cluster monitor last recorded for a cluster, and since when (it records
    cluster.unreachable and cluster.reachable when the derived state moves away from it)."""

    __tablename__ = "cluster_reachability"

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime]


# --- image index (issue 7: the vulnerable-version query) ---

# Bytewise comparison for the sortable version key: "C" on PostgreSQL; SQLite's default is BINARY.
VersionKeyText = String(64, collation="C").with_variant(String(64), "sqlite")


class ImageIndexEntry(Base):
    """One container image a spoke reports running: per (cluster, application) as many rows as its
    report has containers, replaced whenever a report of it is stored, gone with its status row.
    `version_key` is `hub.images.tags.sortable_key` of the tag, None when the tag is no version (or
    the reference has only a digest): such rows are listed apart, never ordered."""

    __tablename__ = "image_index"
    __table_args__ = (
        ForeignKeyConstraint(
            ["cluster_id", "application_id"],
            ["statuses.cluster_id", "statuses.application_id"],
            ondelete="CASCADE",
        ),
        # The query's shape: one repository, a version range, paged in this order; every column the
        # counts need is in the index.
        Index("ix_image_index_version", "repository", "version_key", "cluster_id", "application_id", "position"),
        # Distinct clusters of a repository counted in cluster order, with no sort or hash of their own.
        Index("ix_image_index_cluster", "repository", "cluster_id", "version_key", "application_id"),
    )

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The object and container; None for reports of older spokes, which name only the images.
    kind: Mapped[str | None] = mapped_column(Text)
    namespace: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    container: Mapped[str | None] = mapped_column(Text)
    container_type: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(Text)
    repository: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(128))
    version_key: Mapped[str | None] = mapped_column(VersionKeyText)
    variant: Mapped[str | None] = mapped_column(String(128))
    digest: Mapped[str | None] = mapped_column(String(255))


# -- fix campaigns (issue 7) -------------------------------------------------------------------------


class Campaign(Base):
    """A security fix rolled through every application that uses an image below a version."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_active", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image: Mapped[str] = mapped_column(String(255))  # canonical repository
    target: Mapped[str] = mapped_column(String(255))  # the tag or digest fixed applications run
    older_than: Mapped[str] = mapped_column(String(128))  # the version below which a reference is vulnerable
    strategy: Mapped[str | None] = mapped_column(String(63))  # None: each application's own
    state: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    vulnerable_clusters: Mapped[int | None] = mapped_column(Integer)  # as last evaluated
    # Applications it left to a person: [{application, references, reason}].
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(63))
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class CampaignApplication(Base):
    """One application a campaign released: what it used, what it got, and the run taking it out."""

    __tablename__ = "campaign_applications"

    campaign_id: Mapped[int] = mapped_column(Integer, ForeignKey("campaigns.id"), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    found: Mapped[list[str]] = mapped_column(JSON)  # the vulnerable references in its manifests
    override: Mapped[str] = mapped_column(String(255))
    revision: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer)


# -- drift and Kubernetes Events (issue 8: hub/drift, hub/kubeevents) --------------------------------


class DriftIndexEntry(Base):
    """One managed object a spoke reports drifted, or corrected at least once: per (cluster,
    application) replaced when a report of it is stored and its rows changed, gone with its status row."""

    __tablename__ = "drift_index"
    __table_args__ = (
        ForeignKeyConstraint(
            ["cluster_id", "application_id"],
            ["statuses.cluster_id", "statuses.application_id"],
            ondelete="CASCADE",
        ),
        # The fleet-wide list by application (the cluster-first order is the primary key's).
        Index("ix_drift_index_application", "application_id", "cluster_id", "position"),
    )

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_version: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str | None] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(253))
    # modified | deleted while it drifts; None: not drifting now, corrected before.
    drift: Mapped[str | None] = mapped_column(String(16))
    fields: Mapped[list[str]] = mapped_column(JSON)
    managers: Mapped[list[str]] = mapped_column(JSON)
    since: Mapped[datetime | None]
    mode: Mapped[str | None] = mapped_column(String(16))  # the policy the spoke applied
    corrections: Mapped[int] = mapped_column(Integer)
    last_correction: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class KubeEventRecord(Base):
    """A Kubernetes Event of a managed object, as a spoke forwarded it: per (cluster, application) the
    newest few kept, none older than the events topic's retention. A re-sent event (same series) updates
    its row: `series` is a digest of what identifies it."""

    __tablename__ = "kube_events"
    __table_args__ = (
        UniqueConstraint("cluster_id", "application_id", "series", name="uq_kube_events_series"),
        Index("ix_kube_events_newest", "application_id", "cluster_id", "last_time"),
        Index("ix_kube_events_time", "last_time"),
    )

    id: Mapped[int] = mapped_column(OutboxId, primary_key=True, autoincrement=True)
    cluster_id: Mapped[str] = mapped_column(String(63))
    application_id: Mapped[str] = mapped_column(String(63))
    series: Mapped[str] = mapped_column(String(64))
    api_version: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str | None] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(253))
    type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    first_time: Mapped[datetime | None]
    last_time: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(253))
    received_at: Mapped[datetime]
    # The managed object the event is attributed to when it is about one it owns (a Pod of a Deployment).
    owner_api_version: Mapped[str | None] = mapped_column(String(255))
    owner_kind: Mapped[str | None] = mapped_column(String(63))
    owner_namespace: Mapped[str | None] = mapped_column(String(63))
    owner_name: Mapped[str | None] = mapped_column(String(253))


class KubeEventDrops(Base):
    """Events a spoke did not forward (its rate limit), per (cluster, application): so a quiet list is
    never taken for a quiet cluster."""

    __tablename__ = "kube_event_drops"

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    dropped: Mapped[int] = mapped_column(BigInteger)
    last_dropped_at: Mapped[datetime | None]


# -- templates (issue 9: hub/templates; their charts are ChartArchiveRow) ---------------------------


class TemplateRevision(Base):
    """Revision N of a template, immutable once made; the newest revision is the template. Deleting the
    template marks its newest revision deleted (publishing again continues the revision numbers)."""

    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The spec's digest (TemplateSpec.digest): an unchanged PUT makes no new revision.
    digest: Mapped[str] = mapped_column(String(80))
    chart_digest: Mapped[str] = mapped_column(String(80), ForeignKey("chart_archives.digest"))
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime]
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None]


# -- Policies (issue 9) ------------------------------------------------------------------------------


class Policy(Base):
    """A CEL policy every release's rendered objects are checked against (hub/policies). `spec` is the
    normalized spec (PolicySpec.dump()); a disabled policy is kept but not applied."""

    __tablename__ = "policies"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Where the last change came from when it came from code (hub/sources/origin.py); None: by hand.
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# The fleet as code (issue 9, hub/fleetcode/): what each sync source manages.
class ManagedObject(Base):
    """An object a sync of (repository, path) made or took over: a later sync of the same source with
    prune may delete it; objects made by hand or by another source are never pruned."""

    __tablename__ = "managed_objects"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    repository: Mapped[str] = mapped_column(String(2048))
    path: Mapped[str] = mapped_column(String(1024))
    commit: Mapped[str | None] = mapped_column(String(64))
    file: Mapped[str | None] = mapped_column(String(1024))
    synced_at: Mapped[datetime]
    # The hub's own id of the object when it is not the name (a notification subscription's number).
    ref: Mapped[str | None] = mapped_column(String(64))
    # sha256 of the spec last synced, for kinds the hub keeps no digest of (subscriptions).
    digest: Mapped[str | None] = mapped_column(String(80))


# -- dependencies between applications (issue 9: hub/dependencies) ---------------------------------


class HeldRecord(Base):
    """A desired-state record (a bundle) kept back because the application depends on others not yet
    Ready on the cluster: moved to the outbox, as it is, when they are. At most one per (cluster,
    application): a newer message replaces it; a removal drops it."""

    __tablename__ = "held_records"

    cluster_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    # What it waits for, one dependency a line: "db (Progressing)".
    waiting_for: Mapped[str] = mapped_column(Text)
