"""What the spoke last did per application: written by the reconcile controller, read by the reporter
and the heartbeat. Pure (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from spoke.reconciler import Outcome


@dataclass(frozen=True)
class AppState:
    outcome: Outcome
    last_applied_revision: int | None


class AppStates:
    def __init__(self) -> None:
        self._states: dict[str, AppState] = {}

    def get(self, application: str) -> AppState | None:
        return self._states.get(application)

    def set(self, application: str, state: AppState) -> None:
        self._states[application] = state

    def __contains__(self, application: object) -> bool:
        return application in self._states

    def items(self) -> list[tuple[str, AppState]]:
        return list(self._states.items())
