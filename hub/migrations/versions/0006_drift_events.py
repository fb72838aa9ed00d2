"""Drift policies, the drift index and Kubernetes Events.

Applications and releases carry a drift policy (None: the default, correct). The drift index holds, per
(cluster, application), the objects a spoke reports drifted or corrected. Kubernetes Events of managed
objects are kept bounded, with the count of those a spoke dropped.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("applications", sa.Column("drift", sa.JSON(), nullable=True))
    op.add_column("releases", sa.Column("drift", sa.JSON(), nullable=True))

    op.create_table(
        "drift_index",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("api_version", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(63), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=True),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("drift", sa.String(16), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("managers", sa.JSON(), nullable=False),
        sa.Column("since", WHEN, nullable=True),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("last_correction", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id", "application_id"],
            ["statuses.cluster_id", "statuses.application_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_drift_index_application", "drift_index", ["application_id", "cluster_id", "position"])

    op.create_table(
        "kube_events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("cluster_id", sa.String(63), nullable=False),
        sa.Column("application_id", sa.String(63), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("api_version", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(63), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=True),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_time", WHEN, nullable=True),
        sa.Column("last_time", WHEN, nullable=False),
        sa.Column("source", sa.String(253), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.UniqueConstraint("cluster_id", "application_id", "series", name="uq_kube_events_series"),
    )
    op.create_index("ix_kube_events_newest", "kube_events", ["application_id", "cluster_id", "last_time"])
    op.create_index("ix_kube_events_time", "kube_events", ["last_time"])

    op.create_table(
        "kube_event_drops",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("dropped", sa.BigInteger(), nullable=False),
        sa.Column("last_dropped_at", WHEN, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("kube_event_drops")
    op.drop_index("ix_kube_events_time", table_name="kube_events")
    op.drop_index("ix_kube_events_newest", table_name="kube_events")
    op.drop_table("kube_events")
    op.drop_index("ix_drift_index_application", table_name="drift_index")
    op.drop_table("drift_index")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("drift")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("drift")
