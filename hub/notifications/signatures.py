"""Signing deliveries. Pure.

Every delivery carries

    X-Fleetcast-Timestamp: <unix seconds when it was sent>
    X-Fleetcast-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

so a receiver can tell the hub sent it (only the hub and the receiver know the secret), that the body is
the one signed, and, by refusing old timestamps, that it is not a replay. A retry is signed afresh.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Fleetcast-Timestamp"
SIGNATURE_HEADER = "X-Fleetcast-Signature"
SCHEME = "sha256"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str, body: bytes, signature_header: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (the docs show the same in a few lines): the signature matches, compared in
    constant time, and the timestamp is within `tolerance` seconds of `now`."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), signature_header)
