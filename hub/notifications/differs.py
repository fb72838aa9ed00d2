"""Where the diff in an approval request comes from: any `ReleaseDiffer` the hub is given (the notifier
takes one as a constructor argument). `ManifestSummaryDiffer` compares a release's manifests with those
of the release before it: the field-level unified diff of hub/diffs (Secret values never shown), cut
to a length a chat message can hold."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.diffs.objects import release_diff
from hub.sources.store import release_objects
from hub.store import models

# Enough for a reviewer to see what changes; the API (fleetcast diff) shows all of it.
MAX_DIFF_LINES = 120


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
        # A chart or template release: every distinct object it renders for any cluster.
        old = await release_objects(session, previous) if previous is not None else None
        diff = release_diff(
            old,
            await release_objects(session, release),
            old_label=f"revision {previous.revision}" if previous is not None else "nothing",
            new_label=f"revision {revision}",
        )
        text = diff.render(max_lines=MAX_DIFF_LINES) or "no object changes"
        if previous is not None and previous.selector != release.selector:
            text += f"\nselector: {previous.selector or '(every cluster)'} -> {release.selector or '(every cluster)'}"
        return text
