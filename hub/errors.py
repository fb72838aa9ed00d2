"""Errors, decided in one place: what the API answers for bad input, and which failures of Kafka or the
database are worth retrying (with bounded backoff) versus terminal."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, KafkaUnavailableError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    stop_never,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)


class HubError(Exception):
    """A request the hub refuses; `status` is the HTTP status the API answers with."""

    status = 400
    # Response headers the status calls for (a 401 must say which authentication scheme to use).
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or [message]


class Unauthorized(HubError):
    """No token, or one the hub does not accept (unknown, wrong secret, revoked, expired)."""

    status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class Forbidden(HubError):
    """A valid token without the role the request needs."""

    status = 403


class NotFound(HubError):
    status = 404


class Conflict(HubError):
    status = 409


class Invalid(HubError):
    status = 422


def is_retriable(error: BaseException) -> bool:
    """Transient: the broker or database is away or busy and the same call may succeed later.

    Everything else (a record the broker refuses, a constraint violated, a bug) is terminal: retrying
    would only repeat it, so it is reported and set aside instead.
    """
    if isinstance(error, KafkaError):
        return bool(error.retriable) or isinstance(
            error, KafkaConnectionError | KafkaTimeoutError | KafkaUnavailableError
        )
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True  # locked database, lost connection, server restarting
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return isinstance(error, OSError | asyncio.TimeoutError)


def _log_retry(what: str) -> Any:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0
        log.warning("%s failed (attempt %d), retrying in %.1fs: %r", what, state.attempt_number, delay, error)

    return before_sleep


def retrying(what: str, *, give_up_after: float | None, max_wait: float = 5.0) -> AsyncRetrying:
    """Retry transient failures with jittered exponential backoff, capped at `max_wait` per sleep.

    `give_up_after=None` is for background loops that must not drop their work (the outbox relay):
    they keep trying, never faster than the backoff allows; everything on a request path gives up.
    """
    return AsyncRetrying(
        retry=retry_if_exception(is_retriable),
        wait=wait_exponential_jitter(multiplier=0.1, max=max_wait, jitter=0.2),
        stop=stop_never if give_up_after is None else stop_after_delay(give_up_after),
        before_sleep=_log_retry(what),
        reraise=True,
    )
