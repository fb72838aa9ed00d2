"""The notifier: tails the audit log by id, turns each notifiable event into a delivery per matching
subscription (its body made now: the plan and the diff of an approval request included), and moves its
stored cursor (see cursor.py for ids committing out of order on PostgreSQL).

It never touches a rollout: it reads what rollouts recorded, in its own transactions, and writes only
deliveries and its cursor. Woken by `ctx.audit_signal` after each commit that may have added events; a
poll finds the rest (another replica's, the monitor's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import HubError, retrying
from hub.notifications import store
from hub.notifications.cursor import Cursor, advance
from hub.notifications.differs import ReleaseDiffer
from hub.notifications.events import WITH_DIFF, Event, is_notifiable
from hub.notifications.matching import Subject, matches, needs_applications, needs_clusters, wants
from hub.notifications.payloads import body, notification, plan_of
from hub.notifications.settings import NotificationSettings
from hub.rollouts.views import RolloutOut
from hub.selectors import SelectorError, parse_selector
from hub.services.context import ServiceContext
from schemas.v1.notifications import Plan

log = logging.getLogger(__name__)

# The cursor is written with the deliveries it covers, else at most this often: a hub restarted in
# between reads those events again, and the deliveries table keeps anyone from being told twice.
CURSOR_SAVE_SECONDS = 5.0

RolloutReader = Callable[[int], Awaitable[RolloutOut]]


@dataclass
class _Concerns:
    """Per pass: what runs' plans say, read once however many events of the run there are."""

    waves: dict[int, dict[str | None, list[str]]] = field(default_factory=dict)


class Notifier:
    def __init__(
        self,
        ctx: ServiceContext,
        settings: NotificationSettings,
        differ: ReleaseDiffer,
        rollout: RolloutReader,
        deliveries_signal: asyncio.Event,
        hub_url: str,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.differ = differ
        self.rollout = rollout
        self.deliveries_signal = deliveries_signal
        self.hub_url = hub_url
        # Monotonic time, for the settle window only: how long an id has been missing in real time.
        self.timer = timer
        self.cursor: Cursor | None = None
        self._saved = (0, -CURSOR_SAVE_SECONDS)  # position, monotonic time

    async def run(self) -> None:
        while True:
            self.ctx.audit_signal.clear()  # before looking: a wake-up from now on is not missed
            more = False
            try:
                async for attempt in retrying("notifying", give_up_after=None):
                    with attempt:
                        more = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier: unexpected failure; trying again at the next poll")
            if more:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ctx.audit_signal.wait(), timeout=self.settings.poll_interval_seconds)

    async def _start(self) -> Cursor:
        async with self.ctx.storing() as session:
            position = await store.cursor_position(session)
            if position is None:
                # First start: notify from now on, not the whole history of the audit log.
                position = await store.newest_audit_id(session)
                await store.save_cursor(session, position, self.ctx.clock())
        self._saved = (position, self.timer())
        return Cursor(position)

    async def step(self) -> bool:
        """One pass: events above the cursor (and ids still missing below it) to deliveries. Whether a
        full batch was read, so more may be waiting."""
        cursor = self.cursor if self.cursor is not None else await self._start()
        self.cursor = cursor
        limit = self.settings.batch_size
        async with self.ctx.reading() as session:
            new = await store.audit_after(session, cursor.top, limit)
            found = await store.audit_ids(session, list(cursor.gaps)) if cursor.gaps else []
            subscribers = [store.subscriber_of(row) for row in await store.live_subscriptions(session)]
        events = sorted(found + new, key=lambda e: e.id or 0)
        queued = await self._deliveries(events, subscribers)
        moved = advance(cursor, [e.id for e in events if e.id is not None], self.timer(), self.settings.settle_seconds)
        position, saved_at = self._saved
        due = moved.position != position and self.timer() - saved_at >= CURSOR_SAVE_SECONDS
        if queued or due:
            async with self.ctx.storing() as session:
                ids = {e.id for e, _s, _b in queued if e.id is not None}
                already = await store.existing_deliveries(session, ids)
                now = self.ctx.clock()
                for event, subscription, payload in queued:
                    if event.id is not None and (subscription, event.id) not in already:
                        session.add(store.new_delivery(subscription, event, payload, now))
                await store.save_cursor(session, moved.position, now)
            self._saved = (moved.position, self.timer())
        self.cursor = moved
        if queued:
            self.deliveries_signal.set()
        return len(new) == limit

    async def _deliveries(
        self, events: Sequence[Event], subscribers: Sequence[store.Subscriber]
    ) -> list[tuple[Event, int, bytes]]:
        """(event, subscription, body) for every match."""
        result: list[tuple[Event, int, bytes]] = []
        if not subscribers:
            return result
        concerns = _Concerns()
        for event in events:
            if not is_notifiable(event.type):
                continue
            candidates = [s for s in subscribers if wants(s.rule, event)]
            if not candidates:
                continue
            rules = [s.rule for s in candidates]
            async with self.ctx.reading() as session:
                subject = await self._subject(
                    session, event, concerns, applications=needs_applications(rules), clusters=needs_clusters(rules)
                )
                chosen = [s for s in candidates if matches(s.rule, event, subject)]
                if not chosen:
                    continue
                diff = await self._diff(session, event)
            plan = await self._plan(event)
            for subscriber in chosen:
                note = notification(event, subscriber.rule.id, self.hub_url, plan, diff)
                result.append((event, subscriber.rule.id, body(note, subscriber.format)))
        return result

    async def _subject(
        self, session: AsyncSession, event: Event, concerns: _Concerns, *, applications: bool, clusters: bool
    ) -> Subject:
        apps: set[str] = set()
        if applications:
            if event.application:
                apps.add(event.application)
            elif event.type == "campaign.finished":
                apps.update(str(a) for a in event.details.get("applications") or [])
            elif event.cluster:
                apps.update(await store.placed_applications(session, event.cluster))
        labels: dict[str, dict[str, str]] = {}
        if clusters:
            names: list[str] | None = []
            if event.cluster:
                names = [event.cluster]
            elif event.run_id is not None:
                if event.run_id not in concerns.waves:
                    concerns.waves[event.run_id] = await store.run_waves(session, event.run_id)
                waves = concerns.waves[event.run_id]
                names = waves[event.wave] if event.wave in waves else [c for cs in waves.values() for c in cs]
            elif event.type == "release.created":
                names = await self._selected(session, event)
            labels = await store.cluster_labels(session, names) if names else {}
        return Subject(frozenset(apps), labels)

    async def _selected(self, session: AsyncSession, event: Event) -> list[str]:
        """The clusters a new release's selector selects now."""
        try:
            selector = parse_selector(str(event.details.get("selector") or ""))
        except SelectorError:
            return []
        return [
            name for name, labels in (await store.cluster_labels(session, None)).items() if selector.matches(labels)
        ]

    async def _diff(self, session: AsyncSession, event: Event) -> str | None:
        if event.type not in WITH_DIFF or event.application is None or event.revision is None:
            return None
        try:
            return await self.differ(session, event.application, event.revision)
        except Exception:
            # A differ that breaks costs the notification its diff, never the notification.
            log.exception("notifier: no diff for %s revision %s", event.application, event.revision)
            return "(the diff could not be made; see the hub's log)"

    async def _plan(self, event: Event) -> Plan | None:
        if event.type != "rollout.approval-requested" or event.run_id is None:
            return None
        try:
            return plan_of(await self.rollout(event.run_id), event)
        except HubError:
            return None  # the run is gone: the notification goes without its plan
