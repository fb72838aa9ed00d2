"""The three classes of failure, decided in one place.

- retriable: the same request may well succeed in a moment (HTTP 429/5xx, connection errors, Kafka's
  retriable errors). Retried at once with bounded exponential backoff.
- not-ready-yet: something this request depends on is expected to appear (a CRD not yet established,
  a namespace not yet created or still terminating, the desired topic not created by the hub yet).
  The work is requeued after a delay instead of being hammered.
- terminal: the request is wrong (400/422/invalid, 403). Reported, and not retried until the desired
  state changes or the periodic resync comes round.
"""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Any

import aiohttp
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, UnknownTopicOrPartitionError
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic.exceptions import ResourceNotFoundError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from spoke.settings import SpokeSettings


class ErrorClass(StrEnum):
    RETRIABLE = "retriable"
    NOT_READY = "not-ready"
    TERMINAL = "terminal"


class NotReadyError(Exception):
    """Something the work depends on does not exist yet; try again later."""


def classify(exc: BaseException) -> ErrorClass:
    if isinstance(exc, NotReadyError | ResourceNotFoundError):
        # ResourceNotFoundError: discovery does not know the kind (even after a refresh), which for a
        # custom resource means its CRD is not installed or not established yet.
        return ErrorClass.NOT_READY
    if isinstance(exc, ApiException):
        return _classify_status(exc.status, api_message(exc))
    # Before the generic Kafka check: aiokafka marks an unknown topic retriable, but the hub creates
    # topics, which can take far longer than a backoff.
    if isinstance(exc, UnknownTopicOrPartitionError):
        return ErrorClass.NOT_READY
    if isinstance(exc, KafkaTimeoutError | KafkaConnectionError):
        return ErrorClass.RETRIABLE
    if isinstance(exc, KafkaError):
        return ErrorClass.RETRIABLE if exc.retriable else ErrorClass.TERMINAL
    if isinstance(exc, aiohttp.ClientError | ConnectionError | TimeoutError | asyncio.TimeoutError):
        return ErrorClass.RETRIABLE
    return ErrorClass.TERMINAL


def _classify_status(status: int | None, message: str) -> ErrorClass:
    if status is None or status == 0:
        return ErrorClass.RETRIABLE  # no HTTP answer at all: a transport problem
    if status == 404:
        # Applying into a namespace that does not exist (yet), or a kind whose CRD was just removed.
        return ErrorClass.NOT_READY
    if status == 403 and "being terminated" in message:
        # "unable to create new content in namespace x because it is being terminated"
        return ErrorClass.NOT_READY
    if status in (409, 429) or status >= 500:
        return ErrorClass.RETRIABLE
    if status == 401:
        return ErrorClass.RETRIABLE  # credentials may be rotated under us
    return ErrorClass.TERMINAL


def api_message(exc: BaseException) -> str:
    """The API server's own words (the Status message), not the whole HTTP dump."""
    if isinstance(exc, ApiException):
        body: Any = exc.body
        if isinstance(body, bytes):
            body = body.decode(errors="replace")
        if isinstance(body, str) and body:
            try:
                message = json.loads(body).get("message")
            except (ValueError, AttributeError):
                message = None
            return str(message) if message else body[:500]
        return f"{exc.status} {exc.reason}"
    return str(exc) or type(exc).__name__


def backoff(settings: SpokeSettings) -> wait_exponential_jitter:
    initial = settings.retry_initial
    return wait_exponential_jitter(multiplier=initial, max=settings.retry_max, jitter=initial)


def retrying(settings: SpokeSettings) -> AsyncRetrying:
    """Bounded backoff for retriable errors only; anything else is raised at once."""
    return AsyncRetrying(
        retry=retry_if_exception(lambda exc: classify(exc) is ErrorClass.RETRIABLE),
        stop=stop_after_attempt(settings.retry_attempts),
        wait=backoff(settings),
        reraise=True,
    )
