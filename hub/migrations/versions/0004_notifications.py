"""Notification subscriptions and deliveries.

Subscriptions (event types x applications x cluster selector -> webhook, with the signing secret),
deliveries (one notification to one subscription: body, status, attempts, last error), the notifier's
cursor over the audit log, and the state the cluster monitor last recorded per cluster.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notification_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("applications", sa.JSON(), nullable=False),
        sa.Column("selector", sa.Text(), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("secret", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.Integer(), sa.ForeignKey("notification_subscriptions.id"), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("application", sa.String(63), nullable=True),
        sa.Column("cluster", sa.String(63), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("last_attempt_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_notification_deliveries_event"),
    )
    op.create_index("ix_notification_deliveries_due", "notification_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_notification_deliveries_subscription", "notification_deliveries", ["subscription_id", "id"])
    op.create_index("ix_notification_deliveries_finished", "notification_deliveries", ["finished_at"])
    op.create_table(
        "notification_cursors",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "cluster_reachability",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", WHEN, nullable=False),
    )


def downgrade() -> None:
    for table in ("cluster_reachability", "notification_cursors", "notification_deliveries"):
        op.drop_table(table)
    op.drop_table("notification_subscriptions")
