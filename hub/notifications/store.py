"""Notifications in the database: subscriptions, deliveries, the notifier's cursor, and what the
notifier needs to know about an event's applications and clusters."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.notifications.events import Event
from hub.notifications.retries import DeliveryStatus, Verdict
from hub.notifications.spec import Format, Rule, rule
from hub.rollouts.spec import StrategySpec
from hub.rollouts.store import chunked
from hub.store import models

NOTIFIER_CURSOR = "notifier"


def event_of(row: models.AuditEvent) -> Event:
    return Event(
        id=row.id,
        type=row.action,
        time=row.time,
        actor=row.actor,
        application=row.application,
        cluster=row.cluster,
        strategy=row.strategy,
        run_id=row.run_id,
        revision=row.revision,
        digest=row.digest,
        reason=row.reason,
        details=dict(row.details or {}),
    )


# -- the cursor -------------------------------------------------------------------------------------


async def cursor_position(session: AsyncSession, name: str = NOTIFIER_CURSOR) -> int | None:
    row = await session.get(models.NotificationCursor, name)
    return row.position if row is not None else None


async def save_cursor(session: AsyncSession, position: int, now: datetime, name: str = NOTIFIER_CURSOR) -> None:
    row = await session.get(models.NotificationCursor, name)
    if row is None:
        session.add(models.NotificationCursor(name=name, position=position, updated_at=now))
    elif position > row.position:  # never backwards, whoever wrote last
        row.position = position
        row.updated_at = now


async def newest_audit_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(models.AuditEvent.id))) or 0)


async def audit_after(session: AsyncSession, after: int, limit: int) -> list[Event]:
    rows = await session.scalars(
        select(models.AuditEvent).where(models.AuditEvent.id > after).order_by(models.AuditEvent.id).limit(limit)
    )
    return [event_of(r) for r in rows]


async def audit_ids(session: AsyncSession, ids: Collection[int]) -> list[Event]:
    events: list[Event] = []
    for part in chunked(sorted(ids)):
        rows = await session.scalars(select(models.AuditEvent).where(models.AuditEvent.id.in_(part)))
        events += [event_of(r) for r in rows]
    return events


# -- subscriptions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    rule: Rule
    format: Format


async def live_subscriptions(session: AsyncSession) -> list[models.NotificationSubscription]:
    rows = await session.scalars(
        select(models.NotificationSubscription)
        .where(models.NotificationSubscription.deleted_at.is_(None))
        .order_by(models.NotificationSubscription.id)
    )
    return list(rows)


def subscriber_of(row: models.NotificationSubscription) -> Subscriber:
    return Subscriber(rule(row.id, row.events, row.applications, row.selector, row.created_at), Format(row.format))


# -- what an event concerns -------------------------------------------------------------------------


async def cluster_labels(session: AsyncSession, clusters: Iterable[str] | None) -> dict[str, dict[str, str]]:
    """Labels of the named clusters that are registered (of all, for None)."""
    query = select(models.Cluster.id, models.Cluster.labels)
    if clusters is None:
        return {name: dict(labels) for name, labels in await session.execute(query)}
    result: dict[str, dict[str, str]] = {}
    for part in chunked(sorted(set(clusters))):
        result.update(
            (name, dict(labels)) for name, labels in await session.execute(query.where(models.Cluster.id.in_(part)))
        )
    return result


async def placed_applications(session: AsyncSession, cluster: str) -> set[str]:
    rows = await session.scalars(
        select(models.Placement.application_id).where(
            models.Placement.cluster_id == cluster, models.Placement.active.is_(True)
        )
    )
    return set(rows)


async def run_waves(session: AsyncSession, run_id: int) -> dict[str | None, list[str]]:
    """The clusters of a run's plan by wave name (None: skipped, no wave selects them)."""
    run = await session.get(models.RolloutRun, run_id)
    if run is None:
        return {}
    version = await session.get(models.StrategyVersion, (run.strategy_name, run.strategy_version))
    names = [w.name for w in StrategySpec.model_validate(version.spec).waves] if version is not None else []
    targets = await session.scalars(
        select(models.RolloutTarget)
        .where(models.RolloutTarget.run_id == run_id)
        .order_by(models.RolloutTarget.wave, models.RolloutTarget.position)
    )
    waves: dict[str | None, list[str]] = {}
    for target in targets:
        wave = names[target.wave] if 0 <= target.wave < len(names) else None
        waves.setdefault(wave, []).append(target.cluster_id)
    return waves


# -- deliveries -------------------------------------------------------------------------------------


async def existing_deliveries(session: AsyncSession, event_ids: Collection[int]) -> set[tuple[int, int]]:
    """(subscription, event) pairs already delivered or queued, among these events."""
    pairs: set[tuple[int, int]] = set()
    delivery = models.NotificationDelivery
    for part in chunked(sorted(event_ids)):
        rows = await session.execute(
            select(delivery.subscription_id, delivery.event_id).where(delivery.event_id.in_(part))
        )
        pairs.update((s, e) for s, e in rows if e is not None)
    return pairs


def new_delivery(subscription: int, event: Event, body: bytes, now: datetime) -> models.NotificationDelivery:
    return models.NotificationDelivery(
        subscription_id=subscription,
        event_id=event.id,
        event_type=event.type,
        application=event.application,
        cluster=event.cluster,
        run_id=event.run_id,
        body=body,
        status=str(DeliveryStatus.PENDING),
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


@dataclass(frozen=True)
class Sending:
    """A due delivery with what sending it needs."""

    id: int
    subscription: int
    event_type: str
    attempts: int
    body: bytes
    url: str
    secret: str


def _startable(excluding: Collection[int], full: Collection[int]) -> list[ColumnElement[bool]]:
    """Not in flight already, and not for a subscription at its limit of deliveries in flight."""
    delivery = models.NotificationDelivery
    conditions = [delivery.status == str(DeliveryStatus.PENDING)]
    if excluding:
        conditions.append(delivery.id.not_in(sorted(excluding)))
    if full:
        conditions.append(delivery.subscription_id.not_in(sorted(full)))
    return conditions


async def due_deliveries(
    session: AsyncSession, now: datetime, limit: int, *, excluding: Collection[int] = (), full: Collection[int] = ()
) -> list[Sending]:
    """Due deliveries, oldest first, but none in flight (`excluding`) nor of a subscription at its limit
    (`full`): a receiver's backlog never hides the others' deliveries."""
    delivery, subscription = models.NotificationDelivery, models.NotificationSubscription
    query = (
        select(delivery, subscription.url, subscription.secret)
        .join(subscription, subscription.id == delivery.subscription_id)
        .where(*_startable(excluding, full), delivery.next_attempt_at <= now)
        .order_by(delivery.next_attempt_at, delivery.id)
        .limit(limit)
    )
    rows = await session.execute(query)
    return [Sending(d.id, d.subscription_id, d.event_type, d.attempts, d.body, url, secret) for d, url, secret in rows]


async def next_attempt(
    session: AsyncSession, *, excluding: Collection[int] = (), full: Collection[int] = ()
) -> datetime | None:
    """When the next delivery that could be started is due (see due_deliveries)."""
    delivery = models.NotificationDelivery
    found: datetime | None = await session.scalar(
        select(func.min(delivery.next_attempt_at)).where(*_startable(excluding, full))
    )
    return found


async def record_attempt(
    session: AsyncSession, delivery_id: int, verdict: Verdict, response_status: int | None, now: datetime
) -> bool:
    """The attempt's result on a delivery still pending (a subscription removed meanwhile cancelled it:
    then nothing changes). Whether it was recorded."""
    delivery = models.NotificationDelivery
    values: dict[str, object] = {
        "attempts": delivery.attempts + 1,
        "last_attempt_at": now,
        "status": str(verdict.status),
        "next_attempt_at": verdict.next_attempt_at,
        "response_status": response_status,
        "finished_at": None if verdict.retried else now,
    }
    if verdict.error is not None:  # a delivery that succeeds keeps the error of the attempt before
        values["last_error"] = verdict.error
    result = await session.execute(
        update(delivery)
        .where(delivery.id == delivery_id, delivery.status == str(DeliveryStatus.PENDING))
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def cancel_pending(session: AsyncSession, subscription: int, now: datetime, reason: str) -> int:
    delivery = models.NotificationDelivery
    result = await session.execute(
        update(delivery)
        .where(delivery.subscription_id == subscription, delivery.status == str(DeliveryStatus.PENDING))
        .values(status=str(DeliveryStatus.CANCELLED), finished_at=now, next_attempt_at=None, last_error=reason)
    )
    return int(getattr(result, "rowcount", 0))


async def prune(session: AsyncSession, now: datetime, keep_for: timedelta, keep_rows: int) -> int:
    """Forget finished deliveries older than `keep_for`, and beyond the newest `keep_rows`."""
    delivery = models.NotificationDelivery
    finished = delivery.status != str(DeliveryStatus.PENDING)
    removed = await session.execute(delete(delivery).where(finished, delivery.finished_at < now - keep_for))
    count = int(getattr(removed, "rowcount", 0))
    boundary = await session.scalar(
        select(delivery.id).where(finished).order_by(delivery.id.desc()).offset(keep_rows).limit(1)
    )
    if boundary is not None:
        removed = await session.execute(delete(delivery).where(and_(finished, delivery.id <= boundary)))
        count += int(getattr(removed, "rowcount", 0))
    return count


async def counts_by_subscription(session: AsyncSession, subscriptions: Sequence[int]) -> dict[int, dict[str, int]]:
    delivery = models.NotificationDelivery
    result: dict[int, dict[str, int]] = {s: {} for s in subscriptions}
    if not subscriptions:
        return result
    rows = await session.execute(
        select(delivery.subscription_id, delivery.status, func.count())
        .where(delivery.subscription_id.in_(subscriptions))
        .group_by(delivery.subscription_id, delivery.status)
    )
    for subscription, status, count in rows:
        result[subscription][status] = int(count)
    return result
