"""What an attempt's outcome means for a delivery: delivered, tried again later (when), or failed for
good. Pure; the deliverer supplies the outcome, the time and a random fraction for the jitter.

- 2xx: delivered.
- 408, 425, 429, 5xx, no answer (refused, reset, timed out): tried again after an exponential backoff
  (initial x 2^(attempt-1), capped, plus up to 20% jitter so receivers coming back are not stampeded;
  a Retry-After the receiver sends is honoured up to the cap), until the last attempt: failed.
- any other status (400, 401, 404, 410, a redirect, ...): failed at once, since sending the same body
  again gets the same answer; the error names the status so the operator can fix the receiver and send a
  test (`fleetcast notify test`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

RETRIABLE_STATUSES = frozenset({408, 425, 429})
JITTER = 0.2
MAX_ERROR = 500


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first attempt or a retry
    DELIVERED = "delivered"
    FAILED = "failed"  # refused for good, or out of attempts
    CANCELLED = "cancelled"  # its subscription was removed before it was delivered

    @property
    def finished(self) -> bool:
        return self is not DeliveryStatus.PENDING


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    initial: float  # seconds
    cap: float  # seconds


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (and the start of the body), or an error without one."""

    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from the receiver's Retry-After


@dataclass(frozen=True)
class Verdict:
    status: DeliveryStatus
    next_attempt_at: datetime | None
    error: str | None  # None when delivered

    @property
    def retried(self) -> bool:
        return self.status is DeliveryStatus.PENDING


def backoff(attempt: int, policy: Policy, jitter: float = 0.0, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 = the first); `jitter` in [0, 1)."""
    delay = min(policy.cap, policy.initial * 2.0 ** min(attempt - 1, 62))
    delay *= 1 + JITTER * min(max(jitter, 0.0), 1.0)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, retry_after)
    return min(delay, policy.cap)


def _error(outcome: Outcome) -> str:
    if outcome.status_code is None:
        return (outcome.error or "no answer")[:MAX_ERROR]
    text = f"the receiver answered {outcome.status_code}"
    if 300 <= outcome.status_code < 400:
        text += " (a redirect: deliveries do not follow redirects; give the subscription the final URL)"
    return (text + (f": {outcome.error}" if outcome.error else ""))[:MAX_ERROR]


def judge(attempt: int, outcome: Outcome, now: datetime, policy: Policy, jitter: float = 0.0) -> Verdict:
    """The delivery after attempt number `attempt` (1 = the first) ended with `outcome`."""
    code = outcome.status_code
    if code is not None and 200 <= code < 300:
        return Verdict(DeliveryStatus.DELIVERED, None, None)
    error = _error(outcome)
    retriable = code is None or code >= 500 or code in RETRIABLE_STATUSES
    if not retriable:
        return Verdict(DeliveryStatus.FAILED, None, error)
    if attempt >= policy.max_attempts:
        return Verdict(DeliveryStatus.FAILED, None, f"{error} (gave up after {attempt} attempt(s))"[: MAX_ERROR + 40])
    wait = backoff(attempt, policy, jitter, outcome.retry_after)
    return Verdict(DeliveryStatus.PENDING, now + timedelta(seconds=wait), error)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header: seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
