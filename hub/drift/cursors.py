"""The drift list's page cursor: an opaque token for (cluster, application, position). Pure."""

from __future__ import annotations

import base64
import json

from hub.drift.store import Position
from schemas.v1 import is_dns_label

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CursorError(ValueError):
    pass


def encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> Position | None:
    if text is None:
        return None
    try:
        if len(text) > 512:
            raise ValueError("too long")
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        cluster, application, position = value
        if not (is_dns_label(cluster) and is_dns_label(application)):
            raise ValueError("not a cluster and application")
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValueError("not a position")
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise CursorError(f"cursor {text[:64]!r} is not one this hub gave (pass next_cursor as it came)") from error
    return cluster, application, position
