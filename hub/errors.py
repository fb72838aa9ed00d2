"""Errors, decided in one place: what the API answers for bad input, and which failures of Kafka or the
database are worth retrying (with bounded backoff) versus terminal: the shared classes, Kafka and
transport rules and retry policy (schemas/errors.py) plus the database rules here."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from tenacity import AsyncRetrying

from schemas.errors import Classifier, ErrorClass, retry_policy


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


def database_rule(error: BaseException) -> ErrorClass | None:
    """The store's transient failures; Kafka and transport rules are the shared ones (schemas/errors.py)."""
    if isinstance(error, OperationalError | PoolTimeoutError):
        return ErrorClass.RETRIABLE  # locked database, lost connection, server restarting
    if isinstance(error, DBAPIError):
        return ErrorClass.RETRIABLE if error.connection_invalidated else ErrorClass.TERMINAL
    if isinstance(error, OSError):
        return ErrorClass.RETRIABLE  # the database server unreachable (refused, name not resolved)
    return None


classify = Classifier(database_rule)


def is_retriable(error: BaseException) -> bool:
    """Transient: the broker or database is away or busy (or a topic not there yet) and the same call
    may succeed later.

    Everything else (a record the broker refuses, a constraint violated, a bug) is terminal: retrying
    would only repeat it, so it is reported and set aside instead.
    """
    return classify(error) is not ErrorClass.TERMINAL


def retrying(what: str, *, give_up_after: float | None, max_wait: float = 5.0) -> AsyncRetrying:
    """Retry transient failures with jittered exponential backoff, capped at `max_wait` per sleep.

    `give_up_after=None` is for background loops that must not drop their work (the outbox relay):
    they keep trying, never faster than the backoff allows; everything on a request path gives up.
    """
    return retry_policy(
        classify,
        what=what,
        initial=0.1,
        max_wait=max_wait,
        jitter=0.2,
        give_up_after=give_up_after,
        retry_on=(ErrorClass.RETRIABLE, ErrorClass.NOT_READY),
    )
