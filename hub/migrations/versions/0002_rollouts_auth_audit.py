"""Staged rollouts, API tokens and the audit log.

Strategies and their immutable versions; rollout runs, their frozen plans (targets) and approvals;
bearer tokens (hashed); the append-only audit log (triggers refuse UPDATE and DELETE on both
databases). New columns: an application's strategy and stable revision, a status's health_since and
last healthy revision, a cluster's reachable_since, backfilled from what the rows already say.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]
_POSTGRES_APPEND_ONLY = [
    "CREATE FUNCTION fleetcast_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION fleetcast_audit_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION fleetcast_audit_append_only()",
]


def upgrade() -> None:
    op.add_column("clusters", sa.Column("reachable_since", WHEN, nullable=True))
    op.execute("UPDATE clusters SET reachable_since = last_seen")
    op.add_column("applications", sa.Column("strategy", sa.String(63), nullable=True))
    op.add_column("applications", sa.Column("stable_revision", sa.Integer(), nullable=True))
    # Until now every release went everywhere at once: the current one is the stable one.
    op.execute("UPDATE applications SET stable_revision = revision")
    op.add_column("statuses", sa.Column("health_since", WHEN, nullable=True))
    op.add_column("statuses", sa.Column("last_healthy_revision", sa.Integer(), nullable=True))
    # A rollout reads every status of one application at once.
    op.create_index("ix_statuses_application", "statuses", ["application_id"])
    op.execute("UPDATE statuses SET health_since = received_at")
    op.execute(
        "UPDATE statuses SET last_healthy_revision = observed_revision "
        "WHERE health = 'Ready' AND last_applied_revision = observed_revision"
    )

    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_used_at", WHEN, nullable=True),
    )

    op.create_table(
        "audit_events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("time", WHEN, nullable=False),
        sa.Column("actor", sa.String(63), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("application", sa.String(63), nullable=True),
        sa.Column("cluster", sa.String(63), nullable=True),
        sa.Column("strategy", sa.String(63), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_application", "audit_events", ["application", "id"])
    op.create_index("ix_audit_time", "audit_events", ["time"])
    op.create_index("ix_audit_run", "audit_events", ["run_id"])
    statements = _POSTGRES_APPEND_ONLY if op.get_bind().dialect.name == "postgresql" else _SQLITE_APPEND_ONLY
    for statement in statements:
        op.execute(statement)

    op.create_table(
        "strategies",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "strategy_versions",
        sa.Column("name", sa.String(63), sa.ForeignKey("strategies.name"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
    )

    op.create_table(
        "rollout_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(63), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("strategy_name", sa.String(63), nullable=False),
        sa.Column("strategy_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("gate", sa.Integer(), nullable=False),
        sa.Column("gate_opened_at", WHEN, nullable=True),
        sa.Column("paused_by_failure", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("next_evaluation_at", WHEN, nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["strategy_name", "strategy_version"], ["strategy_versions.name", "strategy_versions.version"]
        ),
    )
    op.create_index("ix_rollout_runs_application", "rollout_runs", ["application_id", "id"])
    op.create_index("ix_rollout_runs_due", "rollout_runs", ["active", "next_evaluation_at"])
    op.create_index(
        "ux_rollout_runs_one_active",
        "rollout_runs",
        ["application_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )

    op.create_table(
        "rollout_targets",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("rollout_runs.id"), primary_key=True),
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("baseline_revision", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("dispatched_at", WHEN, nullable=True),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rollback_state", sa.String(16), nullable=True),
        sa.Column("rollback_dispatched_at", WHEN, nullable=True),
        sa.Column("rollback_generation", sa.Integer(), nullable=True),
        sa.Column("rollback_finished_at", WHEN, nullable=True),
        sa.Column("rollback_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_rollout_targets_cluster", "rollout_targets", ["cluster_id"])

    op.create_table(
        "rollout_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("rollout_runs.id"), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("gate", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("actor", sa.String(63), nullable=False),
        sa.Column("role", sa.String(63), nullable=False),
        sa.Column("decided_at", WHEN, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.UniqueConstraint("run_id", "wave", "phase", "gate"),
    )


def downgrade() -> None:
    for table in (
        "rollout_approvals",
        "rollout_targets",
        "rollout_runs",
        "strategy_versions",
        "strategies",
        "audit_events",
        "tokens",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fleetcast_audit_append_only()")
    op.drop_index("ix_statuses_application", "statuses")
    for table, column in (
        ("statuses", "last_healthy_revision"),
        ("statuses", "health_since"),
        ("applications", "stable_revision"),
        ("applications", "strategy"),
        ("clusters", "reachable_since"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
