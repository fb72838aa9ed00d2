"""The hub's first schema: clusters, applications and releases, placements, statuses, outbox, locks.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("last_seen", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("selector", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("application_id", sa.String(63), sa.ForeignKey("applications.id"), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("manifests", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("selector", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "placements",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_placements_application", "placements", ["application_id"])
    op.create_table(
        "statuses",
        sa.Column("cluster_id", sa.String(63), sa.ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("observed_generation", sa.Integer(), nullable=False),
        sa.Column("observed_revision", sa.Integer(), nullable=False),
        sa.Column("last_applied_revision", sa.Integer(), nullable=True),
        sa.Column("last_attempted_revision", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(80), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("health", sa.String(32), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("reported_at", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("failed_at", WHEN, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "failed_at", "id"])
    op.create_table("locks", sa.Column("name", sa.String(63), primary_key=True))
    op.bulk_insert(sa.table("locks", sa.column("name", sa.String)), [{"name": "placements"}])


def downgrade() -> None:
    for table in ("locks", "outbox", "statuses", "placements", "releases", "applications", "clusters"):
        op.drop_table(table)
