"""The frozen plan of a run: which cluster goes in which wave, what it gets, and what it goes back to.
Pure; computed once, when the run starts, from what the store holds then.

Candidates are the clusters the release selects (they get its bundle) and the clusters that have the
application and are no longer selected (they get a removal), each with its baseline: the newest revision
it ran healthy, or, if none ever was, the revision it has; None when the application is not installed
there, so a rollback of it is a removal.

Waves take clusters in a stable order (the strategy's sort label, numbers numerically, then cluster
id): each wave from those still unplaced that its selector matches, at most `limit` of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hub.placements import Placement
from hub.rollouts.model import NO_WAVE, Action, Target, TargetState
from hub.rollouts.spec import StrategySpec, Unmatched
from hub.selectors import Selector, parse_selector

UNMATCHED_REASON = "no wave of the strategy selects it"


@dataclass(frozen=True)
class Candidate:
    cluster: str
    labels: Mapping[str, str]
    action: Action
    baseline: int | None


def candidates(
    selector: Selector,
    clusters: Mapping[str, Mapping[str, str]],
    placements: Mapping[str, Placement],
    last_healthy: Mapping[str, int],
) -> list[Candidate]:
    """Every cluster the release changes. `placements` and `last_healthy` are keyed by cluster."""
    result: list[Candidate] = []
    for cluster, labels in clusters.items():
        placement = placements.get(cluster)
        installed = placement is not None and placement.active
        baseline = (last_healthy.get(cluster) or placement.revision) if placement is not None and installed else None
        if selector.matches(labels):
            result.append(Candidate(cluster, labels, "bundle", baseline))
        elif installed:
            result.append(Candidate(cluster, labels, "removal", baseline))
    return result


def _natural(value: str) -> tuple[tuple[int, int | str], ...]:
    """`2` before `10`: runs of digits compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", value))


def ordered(candidates: Sequence[Candidate], sort_label: str | None) -> list[Candidate]:
    def key(candidate: Candidate) -> tuple[bool, tuple[tuple[int, int | str], ...], str]:
        value = candidate.labels.get(sort_label) if sort_label else None
        return (value is None, _natural(value or ""), candidate.cluster)

    return sorted(candidates, key=key)


def plan_waves(spec: StrategySpec, candidates: Sequence[Candidate]) -> list[Target]:
    """One target per candidate, in wave order then position; unmatched ones per `spec.unmatched`."""
    remaining = ordered(candidates, spec.sort_label)
    waves: list[list[Candidate]] = []
    for wave in spec.waves:
        selector = parse_selector(wave.selector)
        matching = [c for c in remaining if selector.matches(c.labels)]
        taken = matching if wave.limit is None else matching[: wave.limit.at_least_one_of(len(matching))]
        chosen = {c.cluster for c in taken}
        remaining = [c for c in remaining if c.cluster not in chosen]
        waves.append(taken)
    if remaining and spec.unmatched is Unmatched.LAST_WAVE:
        waves[-1] = waves[-1] + remaining
        remaining = []
    targets = [
        Target(cluster=c.cluster, wave=index, position=position, action=c.action, baseline=c.baseline)
        for index, members in enumerate(waves)
        for position, c in enumerate(members)
    ]
    targets += [
        Target(
            cluster=c.cluster,
            wave=NO_WAVE,
            position=position,
            action=c.action,
            baseline=c.baseline,
            state=TargetState.SKIPPED,
            reason=UNMATCHED_REASON,
        )
        for position, c in enumerate(remaining)
    ]
    return targets
