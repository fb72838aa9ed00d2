"""Waiting in tests with deadlines, never bare sleeps: poll until a check holds, or fail saying what.

The timeouts are safety nets, not thresholds: a wait returns as soon as its check holds, so they are
generous enough for a busy machine (tests must pass while something else loads every core)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T | None], what: str, timeout: float = 120.0, interval: float = 0.25) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` and the last value seen.
    An AssertionError from `check` counts as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except AssertionError as error:
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what} not within {timeout:.0f}s; last: {last!r}")


async def eventually_async(
    check: Callable[[], Awaitable[T | None]], timeout: float = 60.0, what: str = "condition", interval: float = 0.1
) -> T:
    """The same for coroutines: await `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s; last: {last!r}")
