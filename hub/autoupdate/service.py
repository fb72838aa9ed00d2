"""Announced image versions: every opted-in application the version updates gets a release through an
image override, in one transaction, recorded in the audit log as automatic (who announced it, too)."""

from __future__ import annotations

from hub.auth.roles import system_actor
from hub.autoupdate.plan import Candidate, plan_updates
from hub.autoupdate.spec import AutoUpdatePolicy
from hub.autoupdate.views import AnnouncementResult, UpdateOut
from hub.errors import Invalid
from hub.images.references import ImageRefError, normalise_name
from hub.images.tags import parse_version
from hub.overrides.spec import parse_value
from hub.rollouts.service import RolloutService
from hub.services.applications import ApplicationService
from hub.services.context import ServiceContext
from hub.services.releases import current_releases
from hub.sources.store import release_objects
from hub.store import models

ACTOR = system_actor("auto-update")


class AutoUpdateService:
    def __init__(self, ctx: ServiceContext, applications: ApplicationService, rollouts: RolloutService) -> None:
        self.ctx = ctx
        self.applications = applications
        self.rollouts = rollouts

    async def announce(self, image: str, version_text: str, *, announced_by: str) -> AnnouncementResult:
        try:
            repository = normalise_name(image)
        except ImageRefError as error:
            raise Invalid(f"image {image!r}: {error}") from error
        try:
            tag, digest = parse_value(image, version_text)
        except ValueError as error:
            raise Invalid(str(error)) from error
        version = parse_version(tag) if tag else None
        if version is None:
            raise Invalid(
                f"version {version_text!r} of {image} is not a version tag (e.g. 1.27.5 or v2.1.0): "
                "auto-update never guesses the order of other tags"
            )
        async with self.ctx.writing() as session:
            candidates = [
                Candidate(
                    app.id,
                    await release_objects(session, release),
                    [AutoUpdatePolicy.model_validate(p) for p in app.auto_update],
                )
                for app, release in await current_releases(session)
                if app.auto_update
            ]
            decisions = plan_updates(candidates, repository, version, digest)
            updates: list[UpdateOut] = []
            for decision in decisions:
                revision = None
                if decision.override is not None:
                    if decision.strategy is not None:
                        await self.rollouts.check_strategy(session, decision.strategy)
                    target = await session.get(models.Application, decision.application)
                    assert target is not None
                    revision = await self.applications.release_with_overrides(
                        session,
                        target,
                        {repository: decision.override},
                        actor=ACTOR,
                        cause=f"auto-update: {repository} {version_text}, announced by {announced_by}",
                        run_strategy=decision.strategy,
                    )
                updates.append(
                    UpdateOut(
                        application=decision.application,
                        updated=revision is not None,
                        revision=revision,
                        strategy=decision.strategy,
                        reason=decision.reason,
                        found=decision.found,
                    )
                )
        return AnnouncementResult(image=repository, version=version_text, applications=updates)
