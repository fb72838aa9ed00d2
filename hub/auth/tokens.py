"""The bearer token format and its secret's hash. Pure.

A token reads `fct_<id>_<secret>`: `id` (12 hex digits) names the row to look up, and is safe to show
and log; `secret` (from `secrets.token_urlsafe(32)`, 256 bits) is shown once and only its SHA-256 is
kept. A plain hash suffices (no slow KDF): the secret is random and long, not a password a person chose.
Comparisons take constant time, so response times do not leak how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

PREFIX = "fct"
_TOKEN = re.compile(rf"^{PREFIX}_(?P<id>[0-9a-f]{{12}})_(?P<secret>[A-Za-z0-9_-]{{20,128}})$")

# How stale a token's last_used_at may get: refreshing it on every request would turn every read into a
# write.
TOUCH_INTERVAL = timedelta(minutes=1)


class MalformedToken(ValueError):
    """Not a Fleetcast token at all."""


@dataclass(frozen=True)
class NewToken:
    id: str
    secret: str

    @property
    def bearer(self) -> str:
        """What the client sends (and the only time the secret is seen)."""
        return f"{PREFIX}_{self.id}_{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)


def new_token() -> NewToken:
    return NewToken(id=secrets.token_hex(6), secret=secrets.token_urlsafe(32))


def parse_token(bearer: str) -> tuple[str, str]:
    """(id, secret) of `fct_<id>_<secret>`."""
    match = _TOKEN.match(bearer.strip())
    if match is None:
        raise MalformedToken(
            f"malformed bearer token: expected {PREFIX}_<id>_<secret>, as printed by `fleetcast token create` "
            "or `fleetcast hub token create`"
        )
    return match["id"], match["secret"]


def hash_secret(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret).encode(), secret_hash.encode())


def expiry(created_at: datetime, expires_in: timedelta | None) -> datetime | None:
    return created_at + expires_in if expires_in is not None else None


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def should_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """Record a use only when the last recorded one is older than TOUCH_INTERVAL."""
    return last_used_at is None or now - last_used_at >= TOUCH_INTERVAL
