"""Follows active campaigns: re-judges each one every few seconds (reports arrive all the time, and a
campaign is done only when the fleet says so). Costs one query per active campaign when nothing
changed; nothing at all when none is active. Runs next to the rollout driver, one per database."""

from __future__ import annotations

import asyncio
import logging

from hub.campaigns.service import CampaignService
from hub.errors import retrying

log = logging.getLogger(__name__)


class CampaignMonitor:
    def __init__(self, campaigns: CampaignService, interval: float) -> None:
        self._campaigns = campaigns
        self._interval = interval

    async def run(self) -> None:
        while True:
            try:
                async for attempt in retrying("following campaigns", give_up_after=None):
                    with attempt:
                        await self._campaigns.evaluate_active()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("campaign monitor: unexpected failure; trying again at the next look")
            await asyncio.sleep(self._interval)
