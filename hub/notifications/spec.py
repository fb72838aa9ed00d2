"""A subscription as asked for, checked: which events (type patterns), which applications (names or
globs), which clusters (a label selector), where to (an http(s) URL), in which format, signed with which
secret. Pure: every problem is named at once, and nothing is stored unless all is well."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field

from hub.notifications.events import pattern_problem
from hub.selectors import Selector, SelectorError, parse_selector


class Format(StrEnum):
    JSON = "json"  # the versioned Fleetcast notification document (schemas/v1/notifications.py)
    SLACK = "slack"  # {"text": ..., "blocks": [...]}: Slack incoming webhooks and look-alikes (Mattermost, ...)


# An application name (DNS-1123 label) or a glob of one: web, shop-*, api-?, [ab]-front.
_APPLICATION_GLOB = re.compile(r"^[a-z0-9*?\[\]!-]{1,63}$")
MIN_SECRET_LENGTH = 16


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2000, description="Where deliveries are POSTed: http:// or https://.")
    events: list[str] = Field(
        max_length=50,
        description="Event types or globs of them (rollout.*, cluster.unreachable, *); GET "
        "/api/v1/notifications/events lists the types.",
    )
    applications: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Only events about these applications (names or globs such as shop-*); empty: any.",
    )
    selector: str = Field(
        default="",
        max_length=2000,
        description="Only events about clusters matching this label selector (env=prod); empty: any.",
    )
    format: Format = Field(default=Format.JSON, description="json (the Fleetcast document) or slack.")
    secret: str | None = Field(
        default=None,
        max_length=256,
        description=f"The HMAC-SHA256 key deliveries are signed with (at least {MIN_SECRET_LENGTH} characters); "
        "omitted: the hub makes one and returns it once, in this response only.",
    )
    description: str | None = Field(default=None, max_length=200, description="What it is for, for people.")


@dataclass(frozen=True)
class Rule:
    """What a stored subscription matches."""

    id: int
    events: tuple[str, ...]
    applications: tuple[str, ...]
    selector: Selector
    created_at: datetime


@dataclass(frozen=True)
class CheckedSubscription:
    url: str
    events: list[str]
    applications: list[str]
    selector: str  # normalized
    format: Format
    secret: str
    generated_secret: bool
    description: str | None


class SubscriptionError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as error:
        return f"url {url!r} cannot be read: {error}"
    if parts.scheme not in ("http", "https"):
        return f"url {url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"url {url!r} has no host"
    if parts.username or parts.password:
        return "url must not carry a user or password: receivers authenticate deliveries by their signature"
    return None


def _control_characters(spec: SubscriptionIn) -> list[str]:
    """Fields with control characters (a NUL cannot even be stored in PostgreSQL text)."""
    fields: dict[str, list[str]] = {
        "url": [spec.url],
        "events": spec.events,
        "applications": spec.applications,
        "selector": [spec.selector],
        "secret": [spec.secret or ""],
        "description": [spec.description or ""],
    }
    return [
        f"{name}: must not contain control characters"
        for name, values in fields.items()
        if any(ord(c) < 32 or ord(c) == 127 for value in values for c in value)
    ]


def check_subscription(spec: SubscriptionIn) -> CheckedSubscription:
    """The subscription to store, or a SubscriptionError naming every problem (field: why)."""
    problems = _control_characters(spec)
    if problems:
        raise SubscriptionError(problems)
    url = spec.url.strip()
    if (problem := url_problem(url)) is not None:
        problems.append(problem)
    events = sorted(set(spec.events))
    if not events:
        problems.append("events: name at least one event type or pattern (e.g. rollout.*)")
    problems += [f"events: {p}" for e in events if (p := pattern_problem(e)) is not None]
    applications = sorted(set(spec.applications))
    problems += [
        f"applications: {a!r} is neither an application name nor a glob of one (e.g. shop-*)"
        for a in applications
        if not _APPLICATION_GLOB.match(a)
    ]
    selector = ""
    try:
        selector = str(parse_selector(spec.selector))
    except SelectorError as error:
        problems.append(f"selector: {str(error).removeprefix('invalid selector: ')}")
    secret, generated = spec.secret, False
    if secret is None:
        secret, generated = secrets.token_urlsafe(32), True
    elif len(secret) < MIN_SECRET_LENGTH or secret != secret.strip():
        problems.append(
            f"secret: must be at least {MIN_SECRET_LENGTH} characters without leading or trailing blanks "
            "(or omit it and the hub makes one)"
        )
    if problems:
        raise SubscriptionError(problems)
    return CheckedSubscription(
        url=url,
        events=events,
        applications=applications,
        selector=selector,
        format=spec.format,
        secret=secret,
        generated_secret=generated,
        description=spec.description,
    )


def rule(subscription_id: int, events: list[str], applications: list[str], selector: str, created_at: datetime) -> Rule:
    return Rule(subscription_id, tuple(events), tuple(applications), parse_selector(selector), created_at)


def redacted_url(url: str) -> str:
    """The URL as the API shows it: scheme, host, port and the first path segment; the rest (where
    Slack and others put the webhook's own secret) and any query are masked."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    path = "/" + segments[0] if segments else ""
    if len(segments) > 1 or parts.query:
        path += "/***"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
