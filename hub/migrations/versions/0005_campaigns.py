"""Image overrides, auto-update policies and fix campaigns.

Applications and releases carry image overrides (repository -> tag or digest); a release keeps its
source manifests when the overrides changed them, who made it and why. Applications carry auto-update
policies. Campaigns and the applications each one released.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("applications", sa.Column("image_overrides", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("applications", sa.Column("auto_update", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("releases", sa.Column("image_overrides", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("releases", sa.Column("source_manifests", sa.JSON(), nullable=True))
    op.add_column("releases", sa.Column("created_by", sa.String(63), nullable=True))
    op.add_column("releases", sa.Column("cause", sa.Text(), nullable=True))
    # The defaults only fill existing rows: the models write every value themselves.
    for table, column in (
        ("applications", "image_overrides"),
        ("applications", "auto_update"),
        ("releases", "image_overrides"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, server_default=None)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("image", sa.String(255), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("older_than", sa.String(128), nullable=False),
        sa.Column("strategy", sa.String(63), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("vulnerable_clusters", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
    )
    op.create_index("ix_campaigns_active", "campaigns", ["active"])
    op.create_table(
        "campaign_applications",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("found", sa.JSON(), nullable=False),
        sa.Column("override", sa.String(255), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("campaign_applications")
    op.drop_index("ix_campaigns_active", table_name="campaigns")
    op.drop_table("campaigns")
    for table, column in (
        ("releases", "cause"),
        ("releases", "created_by"),
        ("releases", "source_manifests"),
        ("releases", "image_overrides"),
        ("applications", "auto_update"),
        ("applications", "image_overrides"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
