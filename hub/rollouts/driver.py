"""The rollout driver: evaluates runs when they are due, and sleeps until the next one is.

Level-triggered from the database: a run is due when its `next_evaluation_at` has come (set by the
engine for a soak's end, a deadline or a timed gate, and set to now by a report, a heartbeat after a
silence, a control action or a cluster change). Woken at once in-process by a signal; a poll bounds
how late it notices work another hub replica queued. One driver per database (like the relay) until
leader election: `FLEETCAST_HUB_ROLLOUTS_ENABLED=false` on the other replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from hub.errors import is_retriable, retrying
from hub.rollouts.service import RolloutService

log = logging.getLogger(__name__)

# A run whose evaluation fails for a reason retrying will not fix (a bug, bad stored data) is looked at
# again this much later, so one broken run never spins the driver nor stops the others.
RETRY_BROKEN_AFTER_SECONDS = 30.0


class RolloutDriver:
    def __init__(
        self,
        rollouts: RolloutService,
        signal: asyncio.Event,
        clock: Callable[[], datetime],
        poll_interval: float,
    ) -> None:
        self._rollouts = rollouts
        self._signal = signal
        self._clock = clock
        self._poll_interval = poll_interval

    async def run(self) -> None:
        while True:
            # Cleared before looking: a wake-up from now on is not missed.
            self._signal.clear()
            try:
                async for attempt in retrying("evaluating rollouts", give_up_after=None):
                    with attempt:
                        await self.evaluate_due()
                timeout = await self._until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rollout driver: unexpected failure; trying again at the next poll")
                timeout = self._poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), timeout=timeout)

    async def evaluate_due(self) -> int:
        """Evaluate every run due now; how many were."""
        seen: set[int] = set()
        while True:
            # A run evaluated once in this pass waits for the next one, whatever its new due time.
            due = [run_id for run_id in await self._rollouts.due() if run_id not in seen]
            if not due:
                return len(seen)
            for run_id in due:
                seen.add(run_id)
                try:
                    await self._rollouts.evaluate(run_id)
                except Exception as error:
                    if is_retriable(error):
                        raise
                    log.exception("rollout run %d could not be evaluated; trying it again later", run_id)
                    await self._rollouts.postpone(run_id, RETRY_BROKEN_AFTER_SECONDS)

    async def _until_next(self) -> float:
        following = await self._rollouts.next_due()
        if following is None:
            return self._poll_interval
        seconds = (following - self._clock()).total_seconds()
        return min(self._poll_interval, max(0.0, seconds))
