"""One classifier per process: its own rules first, then the shared Kafka and transport rules; one retry
policy factory."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaUnavailableError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    UnknownTopicOrPartitionError,
)

from schemas.errors import Classifier, ErrorClass, retry_policy


class Special(Exception):
    pass


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (KafkaConnectionError(), ErrorClass.RETRIABLE),
        (KafkaUnavailableError(), ErrorClass.RETRIABLE),
        (NotLeaderForPartitionError(), ErrorClass.RETRIABLE),
        (UnknownTopicOrPartitionError(), ErrorClass.NOT_READY),
        (MessageSizeTooLargeError(), ErrorClass.TERMINAL),
        (ConnectionRefusedError(), ErrorClass.RETRIABLE),
        (TimeoutError(), ErrorClass.RETRIABLE),
        (FileNotFoundError("kubeconfig"), ErrorClass.TERMINAL),
        (ValueError("bug"), ErrorClass.TERMINAL),
    ],
)
def test_shared_rules(error: BaseException, expected: ErrorClass) -> None:
    assert Classifier()(error) is expected


def test_a_process_rule_comes_first() -> None:
    def rule(error: BaseException) -> ErrorClass | None:
        if isinstance(error, Special | TimeoutError):
            return ErrorClass.NOT_READY
        return None

    classify = Classifier(rule)
    assert classify(Special()) is ErrorClass.NOT_READY
    assert classify(TimeoutError()) is ErrorClass.NOT_READY
    assert classify(KafkaConnectionError()) is ErrorClass.RETRIABLE


async def test_the_policy_retries_only_the_classes_it_is_told() -> None:
    calls: list[int] = []

    async def flaky(error: BaseException) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise error
        return "done"

    policy = retry_policy(Classifier(), what="t", initial=0.001, max_wait=0.001, jitter=0.0, attempts=5)
    assert await policy(flaky, KafkaConnectionError()) == "done" and len(calls) == 3
    calls.clear()
    with pytest.raises(UnknownTopicOrPartitionError):
        await policy(flaky, UnknownTopicOrPartitionError())
    assert len(calls) == 1
    calls.clear()
    patient = retry_policy(
        Classifier(),
        what="t",
        initial=0.001,
        max_wait=0.001,
        jitter=0.0,
        retry_on=(ErrorClass.RETRIABLE, ErrorClass.NOT_READY),
    )
    assert await patient(flaky, UnknownTopicOrPartitionError()) == "done"


async def test_the_policy_gives_up_after_its_attempts() -> None:
    calls: list[int] = []

    async def down() -> None:
        calls.append(1)
        raise KafkaConnectionError()

    policy = retry_policy(Classifier(), what="t", initial=0.001, max_wait=0.001, jitter=0.0, attempts=3)
    with pytest.raises(KafkaConnectionError):
        await policy(down)
    assert len(calls) == 3
