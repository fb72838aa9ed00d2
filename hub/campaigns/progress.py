"""Where a campaign stands, from its applications' runs and what the fleet reports: pure.

A campaign is done (`succeeded`) when no cluster reports a vulnerable version, no application it
released is still rolling out, and none of their desired manifests is vulnerable any more. It is
`stalled` when a rollout it started ended without getting there (failed, aborted, rolled back) while
clusters still run the vulnerable version: it needs a person, and finishes by itself once the fleet is
clean. Otherwise it is `running`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.rollouts.model import RunState


class CampaignState(StrEnum):
    RUNNING = "running"
    STALLED = "stalled"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class ApplicationProgress:
    application: str
    run_state: RunState | None  # None: released to every cluster at once (no run), or deleted
    desired_vulnerable: bool  # its current manifests still use a vulnerable reference


@dataclass(frozen=True)
class Verdict:
    state: CampaignState
    reason: str


_ENDED_SHORT = {RunState.FAILED, RunState.ABORTED, RunState.ROLLED_BACK}


def campaign_verdict(applications: Sequence[ApplicationProgress], vulnerable_clusters: int) -> Verdict:
    rolling = sorted(a.application for a in applications if a.run_state is not None and a.run_state.active)
    still_desired = sorted(a.application for a in applications if a.desired_vulnerable)
    short = sorted(a.application for a in applications if a.run_state in _ENDED_SHORT)
    if vulnerable_clusters == 0 and not rolling and not still_desired:
        return Verdict(CampaignState.SUCCEEDED, "no cluster reports a vulnerable version")
    clusters = f"{vulnerable_clusters} cluster{'s' if vulnerable_clusters != 1 else ''} still run a vulnerable version"
    if short and not rolling:
        return Verdict(CampaignState.STALLED, f"{clusters}; rollout ended without the fix: {', '.join(short)}")
    if rolling:
        return Verdict(CampaignState.RUNNING, f"{clusters}; rolling out: {', '.join(rolling)}")
    if still_desired:
        return Verdict(CampaignState.STALLED, f"{clusters}; desired state still vulnerable: {', '.join(still_desired)}")
    return Verdict(CampaignState.RUNNING, f"{clusters}; waiting for their reports")
