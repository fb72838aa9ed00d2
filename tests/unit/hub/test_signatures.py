"""Signatures (hub/auth/signatures.py, for deliveries and signed image-version announcements alike):
HMAC-SHA256 over "<timestamp>.<body>", checked in constant time with a tolerance on the timestamp; and
the verification snippet in docs/notifications.md accepts what the hub signs."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, signed_headers, verify

DOCS = Path(__file__).resolve().parents[3] / "docs" / "notifications.md"
BODY = b'{"event":"rollout.paused"}'
SECRET = "a-secret-of-enough-length"
KEY = SECRET.encode()


def test_the_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(KEY, 1700000000, BODY) == f"sha256={expected}"
    headers = signed_headers(KEY, 1700000000, BODY)
    assert headers == {TIMESTAMP_HEADER: "1700000000", SIGNATURE_HEADER: f"sha256={expected}"}


def test_verification_refuses_another_body_secret_or_an_old_timestamp() -> None:
    good = signature(KEY, 1000, BODY)

    def ok(secret: bytes, timestamp: str, body: bytes, now: int) -> bool:
        return verify(secret, timestamp, good, body, now=now, tolerance=300) == ""

    assert ok(KEY, "1000", BODY, now=1100)
    assert not ok(KEY, "1000", BODY + b" ", now=1100)
    assert not ok(b"another-secret-entirely", "1000", BODY, now=1100)
    assert not ok(KEY, "1000", BODY, now=2000)  # a replay, 1000 s later
    assert not ok(KEY, "soon", BODY, now=1000)
    assert not ok(KEY, "1001", BODY, now=1001)  # the timestamp is signed too
    assert "missing" in verify(KEY, None, good, BODY, now=1000, tolerance=300)


def test_the_snippet_in_the_docs_verifies_a_delivery() -> None:
    text = DOCS.read_text()
    found = re.search(r"```python\n(# verify.*?)```", text, re.DOTALL)
    assert found, "docs/notifications.md has a python block starting with '# verify'"
    namespace: dict[str, object] = {}
    exec(found.group(1), namespace)  # our own docs
    check = namespace["verified"]
    assert callable(check)
    headers = signed_headers(KEY, 1700000000, BODY)
    assert check(SECRET, headers, BODY, now=1700000010)
    assert not check(SECRET, headers, BODY + b"x", now=1700000010)
    assert not check(SECRET, headers, BODY, now=1700009999)
