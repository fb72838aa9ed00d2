"""Application sources: Helm charts and templates rendered per cluster.

Applications and releases say what they are made from (`source`: a chart or a template with values and
per-cluster values); releases say where they came from (`origin`, set by `fleetcast sync`) and which `warn`
policies they tripped (`warnings`). `release_renderings` keeps what each cluster gets of a chart or template
release; `chart_archives` keeps each uploaded chart once, by content digest.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("applications", sa.Column("source", sa.JSON(), nullable=True))
    op.add_column("releases", sa.Column("source", sa.JSON(), nullable=True))
    op.add_column("releases", sa.Column("origin", sa.JSON(), nullable=True))
    op.add_column("releases", sa.Column("warnings", sa.JSON(), nullable=True))
    op.create_table(
        "release_renderings",
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("facts_digest", sa.String(80), nullable=False),
        sa.Column("manifests", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id", "revision"],
            ["releases.application_id", "releases.revision"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "chart_archives",
        sa.Column("digest", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("version", sa.String(253), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chart_archives")
    op.drop_table("release_renderings")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("warnings")
        batch.drop_column("origin")
        batch.drop_column("source")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("source")
