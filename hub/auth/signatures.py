"""HMAC-SHA256 request signatures, for callers that hold a shared secret instead of a token (a registry
or CI webhook) and for what the hub sends out.

    X-Fleetcast-Timestamp: <unix seconds>
    X-Fleetcast-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

Signing the timestamp with the body makes a captured request useless after `tolerance` seconds.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Fleetcast-Timestamp"
SIGNATURE_HEADER = "X-Fleetcast-Signature"
_SCHEME = "sha256="


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def signed_headers(secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: bytes, timestamp: str | None, signed: str | None, body: bytes, now: float, tolerance: float) -> str:
    """The problem with a signed request, or "" when it is good: a clear reason for a 401."""
    if not timestamp or not signed:
        return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}"
    try:
        when = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not a unix time in seconds"
    if abs(now - when) > tolerance:
        return f"{TIMESTAMP_HEADER} is more than {tolerance:.0f} s away from the hub's clock"
    if not hmac.compare_digest(signature(secret, when, body), signed.strip()):
        return f"{SIGNATURE_HEADER} does not match the body (HMAC-SHA256 of '<timestamp>.<body>')"
    return ""
