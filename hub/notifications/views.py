"""What the notifications API returns. A subscription's secret is never among it, except once: in the
answer to the request that made the hub generate it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hub.notifications.retries import DeliveryStatus
from hub.notifications.spec import Format, redacted_url
from hub.store import models


class SubscriptionOut(BaseModel):
    id: int
    url: str = Field(description="Scheme, host and first path segment; the rest is masked (it is often a secret).")
    events: list[str]
    applications: list[str]
    selector: str
    format: Format
    description: str | None
    created_at: datetime
    created_by: str
    deliveries: dict[str, int] = Field(
        default_factory=dict, description="Its deliveries by status (pending, delivered, failed, cancelled)."
    )


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(
        description="The signing secret the hub generated: shown in this answer only. Null when you gave one."
    )


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class DeliveryOut(BaseModel):
    id: int
    subscription: int
    event: str = Field(description="The event type.")
    event_id: int | None = Field(description="The audit event's id; null for a test notification.")
    application: str | None
    cluster: str | None
    run: int | None
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When it is tried next, while pending.")
    finished_at: datetime | None
    response_status: int | None = Field(description="The HTTP status of the last answer, if there was one.")
    last_error: str | None = Field(description="Why the last failed attempt failed (kept once delivered).")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut] = Field(description="Newest first.")
    next_before: int | None = Field(description="Pass as `before` for the next, older page; null when there is none.")


class EventTypeOut(BaseModel):
    type: str
    description: str


class EventTypeList(BaseModel):
    items: list[EventTypeOut]


def subscription_out(row: models.NotificationSubscription, counts: dict[str, int] | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        url=redacted_url(row.url),
        events=list(row.events),
        applications=list(row.applications),
        selector=row.selector,
        format=Format(row.format),
        description=row.description,
        created_at=row.created_at,
        created_by=row.created_by,
        deliveries=counts or {},
    )


def delivery_out(row: models.NotificationDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        subscription=row.subscription_id,
        event=row.event_type,
        event_id=row.event_id,
        application=row.application,
        cluster=row.cluster,
        run=row.run_id,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        next_attempt_at=row.next_attempt_at,
        finished_at=row.finished_at,
        response_status=row.response_status,
        last_error=row.last_error,
    )
