"""The one error the toolkit raises: it names the component and the log to read."""

from __future__ import annotations

from pathlib import Path


class ComponentError(RuntimeError):
    def __init__(self, component: str, problem: str, log: Path | None = None) -> None:
        self.component = component
        self.log = log
        where = f" (see {log})" if log else ""
        super().__init__(f"{component}: {problem}{where}")
