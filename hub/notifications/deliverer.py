"""The deliverer: POSTs due deliveries to their receivers, signed, a bounded number at once (and per
receiver), each with a deadline, and records every attempt: delivered, tried again later with backoff,
or failed (retries.py decides). Old finished deliveries are pruned as it goes.

Nothing waits for it: a receiver that hangs or refuses costs only its own slots and attempts, while
rollouts and the notifier carry on in their own tasks and transactions. Delivery is at least once (a
hub that dies mid-request sends again after it restarts); receivers can tell repeats apart by the
X-Fleetcast-Delivery header.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import httpx

from hub.auth.signatures import signed_headers
from hub.errors import retrying
from hub.metrics import HubMetrics
from hub.notifications import store
from hub.notifications.retries import Outcome, Policy, judge, retry_after_seconds
from hub.notifications.scheduling import Due, pick
from hub.notifications.settings import NotificationSettings
from hub.services.context import ServiceContext

log = logging.getLogger(__name__)

DELIVERY_HEADER = "X-Fleetcast-Delivery"
EVENT_HEADER = "X-Fleetcast-Event"
USER_AGENT = "fleetcast-hub/1"
PRUNE_EVERY_SECONDS = 60.0
# The start of a refusing receiver's answer kept as the delivery's error.
ANSWER_EXCERPT = 200


class Deliverer:
    def __init__(
        self,
        ctx: ServiceContext,
        settings: NotificationSettings,
        signal: asyncio.Event,
        metrics: HubMetrics | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        jitter: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.signal = signal
        self.metrics = metrics
        self.transport = transport
        self.jitter = jitter
        # Signatures carry real time: receivers compare it with theirs, whatever the hub's clock says.
        self.wall_clock = wall_clock
        self.policy = Policy(settings.max_attempts, settings.backoff_initial_seconds, settings.backoff_max_seconds)
        self.in_flight: dict[int, tuple[int, asyncio.Task[None]]] = {}  # delivery -> (subscription, task)
        self._http: httpx.AsyncClient | None = None
        self._pruned_at = -PRUNE_EVERY_SECONDS

    async def run(self) -> None:
        limits = httpx.Limits(
            max_connections=self.settings.concurrency, max_keepalive_connections=self.settings.concurrency
        )
        async with httpx.AsyncClient(
            timeout=self.settings.timeout_seconds, follow_redirects=False, limits=limits, transport=self.transport
        ) as http:
            self._http = http
            try:
                await self._loop()
            finally:
                tasks = [task for _s, task in self.in_flight.values()]
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _loop(self) -> None:
        while True:
            self.signal.clear()
            timeout = self.settings.poll_interval_seconds
            try:
                async for attempt in retrying("delivering notifications", give_up_after=None):
                    with attempt:
                        await self.fill()
                        await self._maybe_prune()
                        timeout = await self._until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deliverer: unexpected failure; trying again at the next poll")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.signal.wait(), timeout=timeout)

    def _busy(self) -> tuple[Counter[int], set[int]]:
        """Deliveries in flight by subscription, and the subscriptions at their limit."""
        busy = Counter(subscription for subscription, _task in self.in_flight.values())
        return busy, {s for s, count in busy.items() if count >= self.settings.per_receiver_concurrency}

    async def fill(self) -> int:
        """Start as many due deliveries as there is room for; how many were started."""
        started = 0
        while (free := self.settings.concurrency - len(self.in_flight)) > 0:
            busy, full = self._busy()
            async with self.ctx.reading() as session:
                # More than there is room for: one subscription may have many due, and gets its limit.
                due = await store.due_deliveries(
                    session, self.ctx.clock(), free * 4, excluding=set(self.in_flight), full=full
                )
            by_id = {d.id: d for d in due}
            chosen = pick([Due(d.id, d.subscription) for d in due], busy, free, self.settings.per_receiver_concurrency)
            if not chosen:
                break
            for item in chosen:
                sending = by_id[item.delivery]
                task = asyncio.create_task(self._attempt(sending), name=f"delivery-{sending.id}")
                self.in_flight[sending.id] = (sending.subscription, task)
            started += len(chosen)
        return started

    async def _until_next(self) -> float:
        """How long to sleep unless woken: until the next delivery that could start is due. Deliveries of
        subscriptions at their limit wait for a slot, which wakes the loop when it frees."""
        poll = self.settings.poll_interval_seconds
        if len(self.in_flight) >= self.settings.concurrency:
            return poll
        _busy, full = self._busy()
        async with self.ctx.reading() as session:
            following = await store.next_attempt(session, excluding=set(self.in_flight), full=full)
        if following is None:
            return poll
        seconds = (following - self.ctx.clock()).total_seconds()
        return min(poll, max(0.0, seconds))

    async def _attempt(self, sending: store.Sending) -> None:
        try:
            outcome = await self.send(sending)
            now = self.ctx.clock()
            verdict = judge(sending.attempts + 1, outcome, now, self.policy, self.jitter())
            async for attempt in retrying(f"recording delivery {sending.id}", give_up_after=60):
                with attempt:
                    async with self.ctx.storing() as session:
                        recorded = await store.record_attempt(session, sending.id, verdict, outcome.status_code, now)
            if recorded and self.metrics is not None:
                result = "retried" if verdict.retried else str(verdict.status)
                self.metrics.notification_deliveries.labels(result=result).inc()
            if not verdict.retried and verdict.error:
                log.warning(
                    "delivery %d to subscription %d failed: %s", sending.id, sending.subscription, verdict.error
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            # Not recorded: the delivery stays due and is tried again (at least once, never lost).
            log.exception("delivery %d: the attempt could not be recorded", sending.id)
        finally:
            self.in_flight.pop(sending.id, None)
            self.signal.set()  # a slot is free

    async def send(self, sending: store.Sending) -> Outcome:
        assert self._http is not None, "run() opens the HTTP client"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: str(sending.id),
            EVENT_HEADER: sending.event_type,
            **signed_headers(sending.secret.encode(), int(self.wall_clock()), sending.body),
        }
        timeout = self.settings.timeout_seconds
        try:
            # httpx's timeout bounds each phase; this bounds the whole exchange (a receiver that trickles).
            async with asyncio.timeout(timeout):
                response = await self._http.post(sending.url, content=sending.body, headers=headers)
        except TimeoutError:
            return Outcome(error=f"no answer within {timeout:g}s")
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return Outcome(error=f"{type(error).__name__}: {error}".rstrip(": ") or "request failed")
        if 200 <= response.status_code < 300:
            return Outcome(status_code=response.status_code)
        excerpt = " ".join(response.text.split())[:ANSWER_EXCERPT] or None
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), self.ctx.clock())
        return Outcome(status_code=response.status_code, error=excerpt, retry_after=retry_after)

    async def _maybe_prune(self) -> None:
        moment = time.monotonic()
        if moment - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = moment
        keep_for = timedelta(days=self.settings.retention_days)
        async with self.ctx.storing() as session:
            removed = await store.prune(session, self.ctx.clock(), keep_for, self.settings.retention_rows)
        if removed:
            log.info("pruned %d finished notification deliveries", removed)
