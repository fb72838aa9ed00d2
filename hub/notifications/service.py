"""Subscriptions and the delivery log, for the API: every change recorded in the audit log in its own
transaction (as notification.subscribed, notification.unsubscribed, notification.tested: not event
types, so the notifier never notifies about notifications)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from hub.audit.log import record
from hub.audit.query import next_before
from hub.errors import Invalid, NotFound
from hub.notifications import store
from hub.notifications.events import TEST_EVENT, Event
from hub.notifications.payloads import body, notification
from hub.notifications.retries import DeliveryStatus
from hub.notifications.spec import Format, SubscriptionError, SubscriptionIn, check_subscription, redacted_url
from hub.notifications.views import (
    DeliveryOut,
    DeliveryPage,
    SubscriptionCreated,
    SubscriptionOut,
    delivery_out,
    subscription_out,
)
from hub.services.context import ServiceContext
from hub.store import models

SUBSCRIBED = "notification.subscribed"
UNSUBSCRIBED = "notification.unsubscribed"
TESTED = "notification.tested"


class NotificationService:
    def __init__(self, ctx: ServiceContext, deliveries_signal: asyncio.Event, hub_url: str) -> None:
        self.ctx = ctx
        self.deliveries_signal = deliveries_signal
        self.hub_url = hub_url

    async def create(self, spec: SubscriptionIn, *, actor: str) -> SubscriptionCreated:
        try:
            checked = check_subscription(spec)
        except SubscriptionError as error:
            raise Invalid(f"invalid subscription: {error}", error.problems) from error
        async with self.ctx.storing() as session:
            now = self.ctx.clock()
            row = models.NotificationSubscription(
                url=checked.url,
                events=checked.events,
                applications=checked.applications,
                selector=checked.selector,
                format=str(checked.format),
                secret=checked.secret,
                description=checked.description,
                created_at=now,
                created_by=actor,
            )
            session.add(row)
            await session.flush()
            await record(
                session,
                time=now,
                actor=actor,
                action=SUBSCRIBED,
                details={"subscription": row.id, **_described(row)},
            )
        view = subscription_out(row)
        return SubscriptionCreated(**view.model_dump(), secret=checked.secret if checked.generated_secret else None)

    async def _live(self, session: Any, subscription: int) -> models.NotificationSubscription:
        row = await session.get(models.NotificationSubscription, subscription)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"notification subscription {subscription} does not exist (fleetcast notify list)")
        assert isinstance(row, models.NotificationSubscription)
        return row

    async def find(self) -> list[SubscriptionOut]:
        async with self.ctx.reading() as session:
            rows = await store.live_subscriptions(session)
            counts = await store.counts_by_subscription(session, [r.id for r in rows])
        return [subscription_out(r, counts[r.id]) for r in rows]

    async def get(self, subscription: int) -> SubscriptionOut:
        async with self.ctx.reading() as session:
            row = await self._live(session, subscription)
            counts = await store.counts_by_subscription(session, [row.id])
        return subscription_out(row, counts[row.id])

    async def delete(self, subscription: int, *, actor: str) -> SubscriptionOut:
        """Removed at once: nothing more is queued for it, and what is still pending is cancelled."""
        async with self.ctx.storing() as session:
            row = await self._live(session, subscription)
            now = self.ctx.clock()
            row.deleted_at = now
            cancelled = await store.cancel_pending(session, row.id, now, f"subscription removed by {actor}")
            await record(
                session,
                time=now,
                actor=actor,
                action=UNSUBSCRIBED,
                details={"subscription": row.id, "cancelled_deliveries": cancelled, **_described(row)},
            )
            counts = await store.counts_by_subscription(session, [row.id])
        return subscription_out(row, counts[row.id])

    async def test(self, subscription: int, *, actor: str) -> DeliveryOut:
        """Queue a test notification to the subscription's receiver, signed like any other."""
        async with self.ctx.storing() as session:
            row = await self._live(session, subscription)
            now = self.ctx.clock()
            event = Event(
                id=None,
                type=TEST_EVENT,
                time=now,
                actor=actor,
                details={"subscription": row.id, "events": list(row.events)},
            )
            note = notification(event, row.id, self.hub_url)
            delivery = store.new_delivery(row.id, event, body(note, Format(row.format)), now)
            session.add(delivery)
            await session.flush()
            await record(
                session,
                time=now,
                actor=actor,
                action=TESTED,
                details={"subscription": row.id, "delivery": delivery.id},
            )
        self.deliveries_signal.set()
        return delivery_out(delivery)

    async def deliveries(
        self,
        *,
        subscription: int | None = None,
        status: DeliveryStatus | None = None,
        event: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> DeliveryPage:
        if before is not None and before < 1:
            raise Invalid(f"before: {before} is not a delivery id (ids start at 1)")
        delivery = models.NotificationDelivery
        conditions: list[Any] = []
        if subscription is not None:
            conditions.append(delivery.subscription_id == subscription)
        if status is not None:
            conditions.append(delivery.status == str(status))
        if event:
            conditions.append(delivery.event_type == event)
        if before is not None:
            conditions.append(delivery.id < before)
        async with self.ctx.reading() as session:
            if subscription is not None and await session.get(models.NotificationSubscription, subscription) is None:
                raise NotFound(f"notification subscription {subscription} does not exist")
            rows = list(
                await session.scalars(select(delivery).where(*conditions).order_by(delivery.id.desc()).limit(limit))
            )
        return DeliveryPage(items=[delivery_out(r) for r in rows], next_before=next_before([r.id for r in rows], limit))


def _described(row: models.NotificationSubscription) -> dict[str, Any]:
    """For the audit log: what the subscription sends where, without its secret or the URL's secret part."""
    return {
        "url": redacted_url(row.url),
        "events": list(row.events),
        "applications": list(row.applications),
        "selector": row.selector,
        "format": row.format,
    }
