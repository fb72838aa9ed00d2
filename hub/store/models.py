"""Tables of the hub. The migration in hub/migrations creates them; keep the two in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
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
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    selector: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    # Deleted applications keep their row and releases, so re-creating one continues its revisions.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Release(Base):
    """Immutable: revision N of an application's desired state."""

    __tablename__ = "releases"

    application_id: Mapped[str] = mapped_column(String(63), ForeignKey("applications.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifests: Mapped[list[Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    selector: Mapped[str] = mapped_column(Text)
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
