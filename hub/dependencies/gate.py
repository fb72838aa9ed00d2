"""Whether an application's bundle may go to a cluster now: pure. It may when every application it
depends on is Ready there, as of the newest message the hub sent that cluster for it (a report about
an older generation says nothing about what is being applied now: stale status never opens a gate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from schemas.v1 import Health


@dataclass(frozen=True)
class DependencyState:
    """What the hub knows of one dependency on one cluster."""

    exists: bool  # a live application of that name
    generation: int | None = None  # of the newest message sent for it there while installed; None: not placed
    held: bool = False  # its own bundle waits there for its dependencies
    reported_generation: int | None = None  # of its newest status report from there
    health: str | None = None
    removed: bool = False


NO_SUCH_APPLICATION = DependencyState(exists=False)


def is_ready(state: DependencyState) -> bool:
    return (
        state.exists
        and state.generation is not None
        and not state.held
        and state.reported_generation is not None
        and state.reported_generation >= state.generation
        and state.health == Health.READY.value
        and not state.removed
    )


def why_waiting(state: DependencyState) -> str | None:
    """Why a dependency in this state holds a bundle back, or None when it is Ready."""
    if is_ready(state):
        return None
    if not state.exists:
        return "no such application"
    if state.generation is None:
        return "not on this cluster"
    if state.held:
        return "waiting for its own dependencies"
    if state.reported_generation is None or state.reported_generation < state.generation:
        return "not applied yet"
    if state.removed:
        return "removed"
    return state.health or Health.UNKNOWN.value


def waiting_for(deps: Sequence[str], states: Mapping[str, DependencyState]) -> list[str]:
    """What a bundle of an application depending on `deps` waits for on a cluster, given the states of
    those there (a dependency missing from `states` is no such application): ["db (Progressing)", ...],
    in the order of `deps`; [] when it may go."""
    waits: list[str] = []
    for dep in dict.fromkeys(deps):
        reason = why_waiting(states.get(dep, NO_SUCH_APPLICATION))
        if reason is not None:
            waits.append(f"{dep} ({reason})")
    return waits


def may_go(deps: Sequence[str], states: Mapping[str, DependencyState]) -> bool:
    return not waiting_for(deps, states)
