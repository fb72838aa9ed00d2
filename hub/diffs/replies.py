"""Dry-run requests waiting for their reply, by request id.

Every hub replica reads every reply (no consumer group), so a reply nobody here waits for is simply
another replica's. A reply after its request's deadline, or from a cluster the request was not sent to,
is dropped: the caller has listed that cluster as not answering, and nothing may change that afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schemas.v1 import DryRunReply


class Resolution(StrEnum):
    ACCEPTED = "accepted"
    LATE = "late"
    UNKNOWN = "unknown"  # another replica's, or one this hub stopped waiting for
    WRONG_CLUSTER = "wrong-cluster"


@dataclass(frozen=True)
class _Waiting:
    cluster: str
    deadline: datetime
    future: asyncio.Future[DryRunReply]


class PendingReplies:
    def __init__(self) -> None:
        self._waiting: dict[uuid.UUID, _Waiting] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def expect(self, request_id: uuid.UUID, cluster: str, deadline: datetime) -> asyncio.Future[DryRunReply]:
        future: asyncio.Future[DryRunReply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = _Waiting(cluster, deadline, future)
        return future

    def resolve(self, reply: DryRunReply, now: datetime) -> Resolution:
        waiting = self._waiting.get(reply.request_id)
        if waiting is None or waiting.future.done():
            return Resolution.UNKNOWN
        if reply.cluster != waiting.cluster:
            return Resolution.WRONG_CLUSTER
        if now > waiting.deadline:
            return Resolution.LATE
        waiting.future.set_result(reply)
        return Resolution.ACCEPTED

    def forget(self, request_id: uuid.UUID) -> None:
        waiting = self._waiting.pop(request_id, None)
        if waiting is not None and not waiting.future.done():
            waiting.future.cancel()
