"""Fleet-wide views: which versions and images run where."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import Invalid
from hub.fleetviews import ApplicationVersions, Deployment, ImageVersions, images_view, versions_view
from hub.selectors import Selector, SelectorError, parse_selector
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import Health


def _selector(text: str | None) -> Selector:
    try:
        return parse_selector(text)
    except SelectorError as error:
        raise Invalid(str(error)) from error


class FleetService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def _deployments(self, session: AsyncSession) -> list[Deployment]:
        labels = {c.id: c.labels for c in await session.scalars(select(models.Cluster))}
        statuses = {(s.cluster_id, s.application_id): s for s in await session.scalars(select(models.Status))}
        active = {
            (p.cluster_id, p.application_id)
            for p in await session.scalars(select(models.Placement).where(models.Placement.active.is_(True)))
        }
        deployments: list[Deployment] = []
        for key in sorted(set(statuses) | active):
            cluster, application = key
            if cluster not in labels:
                continue
            status = statuses.get(key)
            deployments.append(
                Deployment(
                    cluster=cluster,
                    cluster_labels=labels[cluster],
                    application=application,
                    observed_revision=status.observed_revision if status else None,
                    health=status.health if status else Health.UNKNOWN.value,
                    images=tuple(status.images) if status else (),
                    # Reported removed, or removal sent and the report of it not in yet.
                    removed=(status.removed if status else False) or key not in active,
                )
            )
        return deployments

    async def versions(self, selector: str | None, application: str | None) -> list[ApplicationVersions]:
        parsed = _selector(selector)
        async with self.ctx.reading() as session:
            apps = await session.scalars(select(models.Application).where(models.Application.deleted_at.is_(None)))
            revisions = {a.id: a.revision for a in apps}
            return versions_view(revisions, await self._deployments(session), parsed, application)

    async def images(self, name: str | None, selector: str | None) -> list[ImageVersions]:
        parsed = _selector(selector)
        async with self.ctx.reading() as session:
            return images_view(await self._deployments(session), parsed, name)
