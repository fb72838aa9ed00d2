"""Policies on the release path: every release (a PUT, a fix campaign, an auto-update, a sync) is checked
against the enabled policies on what each target cluster would get, before anything is stored or
published (hub.services.applications ReleaseChecks)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import Invalid
from hub.policies.evaluate import FindingOut, evaluate
from hub.policies.service import PolicyService, refuse_denied
from hub.sources.facts import ClusterFacts


class ReleasePolicies:
    def __init__(self, policies: PolicyService) -> None:
        self.policies = policies

    async def __call__(
        self, session: AsyncSession, application: str, targets: list[tuple[ClusterFacts, list[dict[str, Any]]]]
    ) -> list[dict[str, Any]]:
        """The `warn` findings to store with the release; Invalid (422) listing every `deny` finding."""
        policies = await self.policies.active(session)
        if not policies or not targets:
            return []
        # CPU work (every object of every cluster): off the event loop, so reports and probes go on.
        findings = await asyncio.to_thread(evaluate, policies, targets)
        try:
            kept = refuse_denied(findings)
        except Invalid as refused:
            raise Invalid(f"application {application}: {refused.message}", refused.errors) from refused
        return [FindingOut.of(f).model_dump() for f in kept]
