"""The image-version index: what spokes report running, one row per container image, by repository
and numeric version key.

Filled from the statuses already stored (their image names: object and container unknown until the
next report of each), since a spoke whose state does not change sends no new report for a long time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION_KEY = sa.String(64, collation="C").with_variant(sa.String(64), "sqlite")


def upgrade() -> None:
    op.create_table(
        "image_index",
        sa.Column("cluster_id", sa.String(63), primary_key=True),
        sa.Column("application_id", sa.String(63), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("namespace", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("container", sa.Text(), nullable=True),
        sa.Column("container_type", sa.String(16), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(128), nullable=True),
        sa.Column("version_key", VERSION_KEY, nullable=True),
        sa.Column("variant", sa.String(128), nullable=True),
        sa.Column("digest", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id", "application_id"],
            ["statuses.cluster_id", "statuses.application_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_image_index_version",
        "image_index",
        ["repository", "version_key", "cluster_id", "application_id", "position"],
    )
    op.create_index(
        "ix_image_index_cluster", "image_index", ["repository", "cluster_id", "version_key", "application_id"]
    )
    _backfill()


def _backfill() -> None:
    # The row builder of the time this migration was written; it takes image names only.
    from hub.images.index import rows_from_images

    connection = op.get_bind()
    statuses = sa.table(
        "statuses",
        sa.column("cluster_id", sa.String()),
        sa.column("application_id", sa.String()),
        sa.column("removed", sa.Boolean()),
        sa.column("images", sa.JSON()),
    )
    index = sa.table("image_index", *(sa.column(name) for name in _COLUMNS))
    rows = [
        row.values(cluster, application)
        for cluster, application, removed, images in connection.execute(
            sa.select(statuses.c.cluster_id, statuses.c.application_id, statuses.c.removed, statuses.c.images)
        )
        if not removed
        for row in rows_from_images(str(image) for image in images or [])
    ]
    if rows:
        connection.execute(sa.insert(index), rows)


_COLUMNS = (
    "cluster_id",
    "application_id",
    "position",
    "kind",
    "namespace",
    "name",
    "container",
    "container_type",
    "reference",
    "repository",
    "tag",
    "version_key",
    "variant",
    "digest",
)


def downgrade() -> None:
    op.drop_index("ix_image_index_cluster", table_name="image_index")
    op.drop_index("ix_image_index_version", table_name="image_index")
    op.drop_table("image_index")
