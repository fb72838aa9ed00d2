"""/api/v1/notifications: subscriptions (admin to change, any token to read), the delivery log, and
the event types one can subscribe to. Thin: hub/notifications/service.py does the work.

Changing subscriptions is admin-only: a subscription sends plans and diffs of the fleet's manifests to
a URL of its maker's choosing, and a test makes the hub send a request there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from hub.api.deps import Admin, ServicesDep, Viewer
from hub.api.errors import ERROR_RESPONSES
from hub.notifications.events import EVENT_TYPES
from hub.notifications.retries import DeliveryStatus
from hub.notifications.spec import SubscriptionIn
from hub.notifications.views import (
    DeliveryOut,
    DeliveryPage,
    EventTypeList,
    EventTypeOut,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionOut,
)

# Ids as the database holds them: a number beyond them is a 422, not a failed query.
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The subscription's id.")]

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"], responses=ERROR_RESPONSES)


@router.get("/events")
async def event_types(_: Viewer) -> EventTypeList:
    """The event types a subscription can name (or match with a glob such as rollout.*)."""
    return EventTypeList(items=[EventTypeOut(type=t, description=d) for t, d in EVENT_TYPES.items()])


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
async def subscribe(body: SubscriptionIn, services: ServicesDep, principal: Admin) -> SubscriptionCreated:
    """Send the events matching the patterns, applications and cluster selector to the URL, signed with
    HMAC-SHA256 (X-Fleetcast-Signature). Without a `secret` the hub makes one and returns it in this
    answer only."""
    return await services.notifications.create(body, actor=principal.name)


@router.get("/subscriptions")
async def subscriptions(services: ServicesDep, _: Viewer) -> SubscriptionList:
    return SubscriptionList(items=await services.notifications.find())


@router.get("/subscriptions/{subscription}")
async def subscription(subscription: SubscriptionId, services: ServicesDep, _: Viewer) -> SubscriptionOut:
    return await services.notifications.get(subscription)


@router.delete("/subscriptions/{subscription}")
async def unsubscribe(subscription: SubscriptionId, services: ServicesDep, principal: Admin) -> SubscriptionOut:
    """Nothing more is sent to it; its pending deliveries are cancelled. Its log stays readable."""
    return await services.notifications.delete(subscription, actor=principal.name)


@router.post("/subscriptions/{subscription}/test", status_code=status.HTTP_202_ACCEPTED)
async def test(subscription: SubscriptionId, services: ServicesDep, principal: Admin) -> DeliveryOut:
    """Queue a test notification (event notification.test), signed like every other; follow it in the log."""
    return await services.notifications.test(subscription, actor=principal.name)


@router.get("/deliveries")
async def deliveries(
    services: ServicesDep,
    _: Viewer,
    subscription: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only this subscription's.")] = None,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    event: Annotated[
        str | None, Query(max_length=64, pattern=r"^[a-z0-9.-]+$", description="Only this event type.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="Only deliveries older than this id: the previous page's next_before."),
    ] = None,
) -> DeliveryPage:
    """What was sent, newest first: status, attempts, the last answer and error."""
    return await services.notifications.deliveries(
        subscription=subscription, status=delivery_status, event=event, limit=limit, before=before
    )
