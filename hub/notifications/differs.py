"""Where the diff in an approval request comes from: any `ReleaseDiffer` the hub is given (the notifier
takes one as a constructor argument). `ManifestSummaryDiffer` compares a release's manifests with those
of the release before it (objects added, removed and changed, and the changed fields); a field-level
differ against what each cluster has can take its place without the notifier changing."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.notifications.releasediff import describe_change
from hub.store import models


class ReleaseDiffer(Protocol):
    async def __call__(self, session: AsyncSession, application: str, revision: int) -> str | None:
        """What revision `revision` of `application` changes, as text; None when there is nothing to say
        (the release is gone)."""
        ...


class ManifestSummaryDiffer:
    """Revision N against the newest earlier revision of the same application."""

    async def __call__(self, session: AsyncSession, application: str, revision: int) -> str | None:
        release = await session.get(models.Release, (application, revision))
        if release is None:
            return None
        previous = await session.scalar(
            select(models.Release)
            .where(models.Release.application_id == application, models.Release.revision < revision)
            .order_by(models.Release.revision.desc())
            .limit(1)
        )
        old = list(previous.manifests) if previous is not None else None
        text = describe_change(old, list(release.manifests), previous.revision if previous else None, revision)
        if previous is not None and previous.selector != release.selector:
            text += f"\nselector: {previous.selector or '(every cluster)'} -> {release.selector or '(every cluster)'}"
        return text
