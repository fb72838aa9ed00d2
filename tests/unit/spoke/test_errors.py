"""Errors fall in three classes, decided in one place."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic.exceptions import ResourceNotFoundError, api_exception

from spoke.errors import ErrorClass, NotReadyError, api_message, classify


def http(status: int, message: str = "") -> ApiException:
    error = ApiException(status=status, reason="x")
    error.body = json.dumps({"kind": "Status", "message": message}).encode()
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (http(429), ErrorClass.RETRIABLE),
        (http(500), ErrorClass.RETRIABLE),
        (http(503), ErrorClass.RETRIABLE),
        (http(409), ErrorClass.RETRIABLE),
        (api_exception(http(504)), ErrorClass.RETRIABLE),
        (aiohttp.ClientConnectionError(), ErrorClass.RETRIABLE),
        (ConnectionRefusedError(), ErrorClass.RETRIABLE),
        (TimeoutError(), ErrorClass.RETRIABLE),
        (KafkaConnectionError(), ErrorClass.RETRIABLE),
        (NotLeaderForPartitionError(), ErrorClass.RETRIABLE),
        (ResourceNotFoundError("no Widget"), ErrorClass.NOT_READY),
        (NotReadyError("CRD not established"), ErrorClass.NOT_READY),
        (http(404, 'namespaces "x" not found'), ErrorClass.NOT_READY),
        (http(403, "unable to create new content in namespace x because it is being terminated"), ErrorClass.NOT_READY),
        (UnknownTopicOrPartitionError(), ErrorClass.NOT_READY),
        (http(400), ErrorClass.TERMINAL),
        (api_exception(http(422, "invalid")), ErrorClass.TERMINAL),
        (http(403, "forbidden"), ErrorClass.TERMINAL),
        (TopicAuthorizationFailedError(), ErrorClass.TERMINAL),
        (ValueError("bug"), ErrorClass.TERMINAL),
    ],
)
def test_classify(error: BaseException, expected: ErrorClass) -> None:
    assert classify(error) is expected


def test_api_message_is_the_servers_own_words() -> None:
    assert api_message(http(422, 'Service "s" is invalid')) == 'Service "s" is invalid'
    assert api_message(ValueError("plain")) == "plain"
