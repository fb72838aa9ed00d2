"""Dependencies between applications.

Applications say which others they depend on (`depends_on`, a JSON list of ids); a bundle whose
dependencies are not Ready on its cluster waits in `held_records` instead of the outbox.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("applications", sa.Column("depends_on", sa.JSON(), nullable=False, server_default="[]"))
    # The default only fills existing rows: the model writes every value itself.
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("depends_on", server_default=None)

    op.create_table(
        "held_records",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("waiting_for", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("held_records")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("depends_on")
