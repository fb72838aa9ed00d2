"""The health gate, defined in one place. Pure.

A dispatched cluster passes when, continuously for the wave's `minHealthy`, all of these hold:
  - its newest report is about this dispatch or a later one (observed generation >= the one sent),
    so a report from before the dispatch never counts;
  - it shows the target revision observed and applied, health Ready, and no errors;
  - its heartbeat is fresh.
"Continuously" is measured from the latest of: when the report last changed what it says (hub clock),
when the cluster's heartbeats last resumed after a silence, and the dispatch itself; any break moves it.
Silence, staleness or an unreachable cluster is never a pass. A cluster not healthy once its
`progressDeadline` after dispatch has passed fails; one the cluster rejected (Degraded with errors at
the dispatched generation) fails at once, since waiting will not fix it. A removal passes once the
cluster reports the application removed.

A restore (rollback) passes as soon as the baseline is healthy again (no soak: the old version is
known good), or, when the baseline is "not installed", once the removal is reported done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from hub.durations import format_duration
from hub.rollouts.model import Observation, Target
from schemas.v1 import Health

Outcome = Literal["passed", "failed", "healthy", "waiting", "skipped"]


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reason: str
    healthy_since: datetime | None = None
    # When the outcome can next change without a new report: a soak ends or a deadline passes.
    wake_at: datetime | None = None


def _ago(now: datetime, then: datetime | None) -> str:
    return "never" if then is None else f"{format_duration(now - then, whole_seconds=True)} ago"


def membership(target: Target, obs: Observation) -> str | None:
    """Why the cluster no longer belongs in the run, or None."""
    if not obs.registered:
        return "cluster deregistered"
    if target.action == "bundle" and not obs.selected:
        return "cluster left the release's selector"
    if target.action == "removal" and obs.selected:
        return "cluster selected by the release again"
    return None


def _state_of(
    obs: Observation, generation: int, revision: int | None, now: datetime
) -> tuple[bool, str, datetime | None, bool]:
    """(healthy now, what it shows if not, since when it has shown it, rejected) for revision `revision`
    (None: the application removed), sent at `generation`."""
    report = obs.report
    if report is None or report.observed_generation < generation:
        if not obs.reachable:
            return (
                False,
                f"unreachable (last heartbeat {_ago(now, obs.last_seen)}), no report since the dispatch",
                None,
                False,
            )
        return False, "no report since the dispatch yet", None, False
    if revision is None:
        if report.removed:
            return True, "removed", report.since, False
        rejected = report.health == Health.DEGRADED.value and bool(report.errors)
        return False, f"not removed yet ({report.health})", None, rejected
    if report.observed_revision != revision:
        return False, f"reports revision {report.observed_revision}, not {revision}", None, False
    rejected = report.health == Health.DEGRADED.value and bool(report.errors)
    if report.errors:
        return False, f"{report.health}: {report.errors[0]}", None, rejected
    if report.last_applied_revision != revision:
        return False, f"revision {revision} not applied yet ({report.health})", None, False
    if report.health != Health.READY.value:
        return False, f"reports {report.health}", None, False
    if not obs.reachable:
        return False, f"unreachable (last heartbeat {_ago(now, obs.last_seen)})", None, False
    return True, "Ready", report.since, False


def judge(
    obs: Observation,
    *,
    generation: int,
    revision: int | None,
    dispatched_at: datetime,
    min_healthy: timedelta,
    deadline: timedelta,
    now: datetime,
) -> Judgement:
    """Where one dispatched cluster stands: passed, failed, healthy (soaking), or waiting."""
    healthy, what, since, rejected = _state_of(obs, generation, revision, now)
    if rejected:
        return Judgement("failed", f"rejected by the cluster: {what}")
    if healthy:
        assert since is not None
        start = max(since, obs.reachable_since or since, dispatched_at)
        if now - start >= min_healthy:
            return Judgement(
                "passed",
                f"healthy for {format_duration(timedelta(seconds=int((now - start).total_seconds())))}",
                healthy_since=start,
            )
        left = format_duration(start + min_healthy - now, whole_seconds=True)
        return Judgement("healthy", f"healthy, {left} of soak left", healthy_since=start, wake_at=start + min_healthy)
    due = dispatched_at + deadline
    if now >= due:
        return Judgement("failed", f"not healthy within {format_duration(deadline)}: {what}")
    return Judgement("waiting", what, wake_at=due)


def judge_update(
    target: Target, obs: Observation, *, revision: int, min_healthy: timedelta, deadline: timedelta, now: datetime
) -> Judgement:
    why = membership(target, obs)
    if why is not None:
        return Judgement("skipped", why)
    assert target.dispatched_at is not None and target.generation is not None
    return judge(
        obs,
        generation=target.generation,
        revision=revision if target.action == "bundle" else None,
        dispatched_at=target.dispatched_at,
        min_healthy=min_healthy,
        deadline=deadline,
        now=now,
    )


def judge_restore(target: Target, obs: Observation, *, deadline: timedelta, now: datetime) -> Judgement:
    if not obs.registered:
        return Judgement("skipped", "cluster deregistered")
    assert target.restore_dispatched_at is not None and target.restore_generation is not None
    verdict = judge(
        obs,
        generation=target.restore_generation,
        revision=target.baseline,
        dispatched_at=target.restore_dispatched_at,
        min_healthy=timedelta(0),
        deadline=deadline,
        now=now,
    )
    if verdict.outcome != "passed":
        return verdict
    restored = "removed again" if target.baseline is None else f"revision {target.baseline} healthy again"
    return replace(verdict, reason=restored)
