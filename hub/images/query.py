"""What a version query asks, validated, and its page cursors. Pure.

`fleetcast versions --image nginx --older-than 1.27.4 --not 1.27.3-hotfix` asks for the containers
running `docker.io/library/nginx` at a version below 1.27.4, except tag `1.27.3-hotfix`. Rows whose
tag is no version (`latest`, `stable`) or that have only a digest cannot be ordered: they are
listed apart, whatever the bounds.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

from hub.images.references import ImageRefError, normalise_name
from hub.images.tags import VersionError, VersionKey, sortable_key, version_key

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A query that cannot be answered as asked; the message names the problem."""


@dataclass(frozen=True)
class VersionQuery:
    repository: str
    older_than: VersionKey | None = None
    newer_than: VersionKey | None = None
    # Tags or digests (`sha256:...`) to leave out, wherever they are listed.
    excluded: frozenset[str] = field(default_factory=frozenset)
    application: str | None = None
    selector: str | None = None
    # The bounds as the user wrote them, for messages.
    older_than_text: str | None = None
    newer_than_text: str | None = None

    @property
    def upper(self) -> str | None:
        """Sortable key the version must be below."""
        return sortable_key(self.older_than) if self.older_than is not None else None

    @property
    def lower(self) -> str | None:
        """Sortable key the version must be above."""
        return sortable_key(self.newer_than) if self.newer_than is not None else None

    @property
    def excluded_tags(self) -> list[str]:
        return sorted(e for e in self.excluded if not _is_digest(e))

    @property
    def excluded_digests(self) -> list[str]:
        return sorted(e for e in self.excluded if _is_digest(e))

    def describe(self) -> str:
        """`older than 1.27.4, newer than 1.20`, or `at any version`."""
        parts = []
        if self.older_than is not None:
            parts.append(f"older than {self.older_than_text or self.older_than}")
        if self.newer_than is not None:
            parts.append(f"newer than {self.newer_than_text or self.newer_than}")
        if self.excluded:
            parts.append("except " + ", ".join(sorted(self.excluded)))
        return ", ".join(parts) if parts else "at any version"


def _is_digest(text: str) -> bool:
    return ":" in text


def _bound(text: str | None, name: str) -> VersionKey | None:
    if text is None or not text.strip():
        return None
    try:
        return version_key(text)
    except VersionError as error:
        raise QueryError(f"{name}: {error}") from error


def version_query(
    image: str,
    *,
    older_than: str | None = None,
    newer_than: str | None = None,
    excluded: list[str] | None = None,
    application: str | None = None,
    selector: str | None = None,
) -> VersionQuery:
    """The query, or QueryError naming what is wrong with it."""
    try:
        repository = normalise_name(image)
    except ImageRefError as error:
        raise QueryError(f"image: {error}") from error
    upper, lower = _bound(older_than, "older_than"), _bound(newer_than, "newer_than")
    if upper is not None and lower is not None and lower >= upper:
        raise QueryError(f"no version is both newer than {newer_than} and older than {older_than}")
    excluded_set = frozenset(e.strip() for e in excluded or [] if e.strip())
    return VersionQuery(
        repository=repository,
        older_than=upper,
        newer_than=lower,
        excluded=excluded_set,
        application=application or None,
        selector=selector or None,
        older_than_text=older_than.strip() if upper is not None and older_than else None,
        newer_than_text=newer_than.strip() if lower is not None and newer_than else None,
    )


def page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit: {limit} is not between 1 and {MAX_LIMIT}")
    return limit


# A row's place in the index order: (version key or "" for rows apart, cluster, application, position).
Position = tuple[str, str, str, int]


def encode_cursor(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, name: str = "cursor") -> Position | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, cluster, application, position = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise QueryError(f"{name}: {cursor!r} is not a cursor this query returned") from error
    if not (
        isinstance(key, str) and isinstance(cluster, str) and isinstance(application, str) and isinstance(position, int)
    ):
        raise QueryError(f"{name}: {cursor!r} is not a cursor this query returned")
    return key, cluster, application, position
