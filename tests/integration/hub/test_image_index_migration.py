"""Migration 0003 fills the image index from the statuses already stored (image names only), on both
databases: a hub upgraded under a quiet fleet answers the version query at once."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from hub.store.database import alembic_config, create_engine, migrate
from hub.store.models import Cluster, ImageIndexEntry, Status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _status(cluster: str, application: str, images: list[str], removed: bool = False) -> dict[str, object]:
    return {
        "cluster_id": cluster,
        "application_id": application,
        "observed_generation": 1,
        "observed_revision": 1,
        "removed": removed,
        "health": "Ready",
        "objects": [],
        "images": images,
        "errors": [],
        "reported_at": NOW,
        "received_at": NOW,
    }


async def test_the_index_is_backfilled_from_stored_statuses(database_url: str) -> None:
    engine = create_engine(database_url)
    try:

        def before(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.execute(
                sa.insert(Cluster.__table__),
                [{"id": c, "labels": {}, "facts": {}, "created_at": NOW, "updated_at": NOW} for c in ("c1", "c2")],
            )
            connection.execute(
                sa.insert(Status.__table__),
                [
                    _status("c1", "web", ["nginx:1.27.3", "busybox", "Not A Reference"]),
                    _status("c2", "web", ["docker.io/library/nginx:1.27.10"]),
                    _status("c2", "gone", ["nginx:1.20"], removed=True),
                ],
            )

        async with engine.begin() as connection:
            await connection.run_sync(before)
        await migrate(engine)

        async with engine.connect() as connection:
            found = (
                await connection.execute(
                    sa.select(
                        ImageIndexEntry.cluster_id,
                        ImageIndexEntry.application_id,
                        ImageIndexEntry.position,
                        ImageIndexEntry.repository,
                        ImageIndexEntry.tag,
                        ImageIndexEntry.kind,
                        ImageIndexEntry.version_key.is_not(None),
                    ).order_by(ImageIndexEntry.cluster_id, ImageIndexEntry.position)
                )
            ).all()
        assert [tuple(row) for row in found] == [
            ("c1", "web", 0, "docker.io/library/nginx", "1.27.3", None, True),
            ("c1", "web", 1, "docker.io/library/busybox", "latest", None, False),
            ("c2", "web", 0, "docker.io/library/nginx", "1.27.10", None, True),
        ]
    finally:
        await engine.dispose()
