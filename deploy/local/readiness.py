"""Waiting for a started component to become ready: one deadline loop for every component.

A probe says what is still wrong (None once ready). While waiting, a process that exits fails at once
instead of running out the clock, and the error names the component and the log to read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from deploy.local import processes
from deploy.local.errors import ComponentError

Probe = Callable[[], Awaitable[str | None]]


async def wait_ready(
    component: str,
    record: processes.ProcessRecord | None,
    probe: Probe,
    timeout: float,
    *,
    interval: float = 0.5,
    fail: Callable[[str], ComponentError] | None = None,
) -> float:
    """Seconds until `probe` found nothing wrong; raises (through `fail`, if given) otherwise."""

    def failure(problem: str) -> ComponentError:
        if fail is not None:
            return fail(problem)
        return ComponentError(component, problem, Path(record.log) if record else None)

    started = time.monotonic()
    problem = "no answer yet"
    while time.monotonic() < started + timeout:
        if record is None or not processes.is_alive(record):
            raise failure("exited during start-up")
        found = await probe()
        if found is None:
            return time.monotonic() - started
        problem = found
        await asyncio.sleep(interval)
    raise failure(f"not ready after {timeout:.0f}s: {problem}")


def http_probe(http: httpx.AsyncClient, url: str, body: str | None = None) -> Probe:
    """Ready when `url` answers 200 (and, if given, exactly `body`)."""

    async def probe() -> str | None:
        try:
            response = await http.get(url)
        except httpx.HTTPError as error:
            return str(error) or type(error).__name__
        if response.status_code == 200 and (body is None or response.text.strip() == body):
            return None
        return f"{url} answered {response.status_code}: {response.text[-300:]}"

    return probe
