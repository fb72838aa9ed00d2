"""The spoke's error decisions: the shared classes and Kafka/transport rules (schemas/errors.py) plus the
Kubernetes rules here, made in one function, `classify`.

- not-ready: a kind discovery does not know (its CRD not installed or established yet), 404 (a namespace
  that does not exist yet), 403 from a namespace being terminated, `NotReadyError`.
- retriable: 409, 429, 5xx, 401 (credentials may be rotated under us), no HTTP answer, aiohttp errors.
- terminal: any other 4xx (invalid, forbidden).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic.exceptions import ResourceNotFoundError
from tenacity import AsyncRetrying

from schemas.errors import Classifier, ErrorClass, retry_policy
from spoke.settings import SpokeSettings

__all__ = ["ErrorClass", "NotReadyError", "api_message", "classify", "retrying"]


class NotReadyError(Exception):
    """Something the work depends on does not exist yet; try again later."""


def kubernetes_rule(exc: BaseException) -> ErrorClass | None:
    if isinstance(exc, NotReadyError | ResourceNotFoundError):
        # ResourceNotFoundError: discovery does not know the kind (even after a refresh), which for a
        # custom resource means its CRD is not installed or not established yet.
        return ErrorClass.NOT_READY
    if isinstance(exc, ApiException):
        return _classify_status(exc.status, api_message(exc))
    if isinstance(exc, aiohttp.ClientError):
        return ErrorClass.RETRIABLE
    return None


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


classify = Classifier(kubernetes_rule)


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


def retrying(settings: SpokeSettings, what: str = "request", attempts: int | None = None) -> AsyncRetrying:
    """Bounded backoff for retriable errors only; anything else is raised at once."""
    return retry_policy(
        classify,
        what=what,
        initial=settings.retry_initial,
        max_wait=settings.retry_max,
        jitter=settings.retry_initial,
        attempts=attempts or settings.retry_attempts,
    )
