"""Kubernetes Events attributed to the managed object that owns theirs.

A spoke forwards the Events of objects a managed one owns (a Pod of a Deployment, through its
ReplicaSet) for the owner's application, saying which managed object that is: kept next to the event's
own object, so describe shows them under the owner.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kube_events") as batch:
        batch.add_column(sa.Column("owner_api_version", sa.String(255), nullable=True))
        batch.add_column(sa.Column("owner_kind", sa.String(63), nullable=True))
        batch.add_column(sa.Column("owner_namespace", sa.String(63), nullable=True))
        batch.add_column(sa.Column("owner_name", sa.String(253), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kube_events") as batch:
        batch.drop_column("owner_name")
        batch.drop_column("owner_namespace")
        batch.drop_column("owner_kind")
        batch.drop_column("owner_api_version")
