"""The fleet as code: objects managed by sync.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "managed_objects",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("repository", sa.String(2048), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("file", sa.String(1024), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.Column("digest", sa.String(80), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("managed_objects")
