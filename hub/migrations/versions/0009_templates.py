"""Templates with constrained parameters, and the chart archives they (and chart applications) render
from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("chart_digest", sa.String(80), sa.ForeignKey("chart_archives.digest"), nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("origin", sa.JSON(), nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("templates")
