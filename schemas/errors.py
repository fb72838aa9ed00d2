"""The three classes of failure and the retry policy, shared by the hub and the spoke.

It lives in `schemas/` because that is the one package both may import (they never import each other);
like the wire contract, it is what both sides must agree on: what is worth retrying.

- retriable: the same request may well succeed in a moment (broker or server busy or away, connection
  lost, timeouts, Kafka's retriable errors). Retried at once with bounded exponential backoff.
- not-ready: something the request depends on is expected to appear (a topic the hub has not created
  yet, a CRD not yet established, a namespace not yet created). The work is requeued after a delay.
- terminal: the request is wrong (a record the broker refuses, a constraint violated, 4xx, a bug).
  Reported and set aside; retrying would only repeat it.

Each process makes the decision in one function: `Classifier(*own_rules)`: its own rules first (the
hub's database rules, the spoke's Kubernetes rules), then the Kafka and transport rules here; the first
rule with an answer decides, and anything no rule knows is terminal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from enum import StrEnum

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    KafkaUnavailableError,
    UnknownTopicOrPartitionError,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    stop_never,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

log = logging.getLogger(__name__)


class ErrorClass(StrEnum):
    RETRIABLE = "retriable"
    NOT_READY = "not-ready"
    TERMINAL = "terminal"


# A rule answers for the errors it knows and returns None for the others.
Rule = Callable[[BaseException], ErrorClass | None]


def kafka_rule(error: BaseException) -> ErrorClass | None:
    # Before the generic check: aiokafka marks an unknown topic retriable, but the hub creates topics,
    # which can take far longer than a backoff.
    if isinstance(error, UnknownTopicOrPartitionError):
        return ErrorClass.NOT_READY
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | KafkaUnavailableError):
        return ErrorClass.RETRIABLE
    if isinstance(error, KafkaError):
        return ErrorClass.RETRIABLE if error.retriable else ErrorClass.TERMINAL
    return None


def transport_rule(error: BaseException) -> ErrorClass | None:
    """No answer at all: the peer is away or slow. (Not every OSError: a missing file is terminal.)"""
    if isinstance(error, ConnectionError | TimeoutError | asyncio.TimeoutError):
        return ErrorClass.RETRIABLE
    return None


class Classifier:
    """One process's decision: its own rules, then Kafka's and the transport's; unknown is terminal."""

    def __init__(self, *rules: Rule) -> None:
        self.rules: tuple[Rule, ...] = (*rules, kafka_rule, transport_rule)

    def __call__(self, error: BaseException) -> ErrorClass:
        for rule in self.rules:
            decided = rule(error)
            if decided is not None:
                return decided
        return ErrorClass.TERMINAL


RETRY_NOW = frozenset({ErrorClass.RETRIABLE})


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0
        log.warning("%s failed (attempt %d), retrying in %.1fs: %r", what, state.attempt_number, delay, error)

    return before_sleep


def retry_policy(
    classify: Callable[[BaseException], ErrorClass],
    *,
    what: str,
    initial: float,
    max_wait: float,
    jitter: float,
    attempts: int | None = None,
    give_up_after: float | None = None,
    retry_on: Collection[ErrorClass] = RETRY_NOW,
) -> AsyncRetrying:
    """Retry the errors whose class is in `retry_on`, with jittered exponential backoff (`initial`,
    doubling, capped at `max_wait` per sleep), until `attempts` or `give_up_after` seconds (neither:
    never give up, for background loops that must not drop their work); anything else is raised at once."""
    stops: list[stop_base] = []
    if attempts is not None:
        stops.append(stop_after_attempt(attempts))
    if give_up_after is not None:
        stops.append(stop_after_delay(give_up_after))
    return AsyncRetrying(
        retry=retry_if_exception(lambda error: classify(error) in retry_on),
        wait=wait_exponential_jitter(multiplier=initial, max=max_wait, jitter=jitter),
        stop=stop_any(*stops) if stops else stop_never,
        before_sleep=_log_retry(what),
        reraise=True,
    )
