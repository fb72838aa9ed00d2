"""Request/reply over Kafka for live dry runs: the hub publishes a request to each cluster's request
topic and waits, up to a deadline, for the replies its spokes put on the shared reply topic.

Requests are ephemeral, not desired state: published directly (no outbox), never retried. Replies are
read without a consumer group, from the end of the topic as it was when the hub started, with every
partition assigned: each hub replica sees every reply and picks its own by request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from hub.diffs.replies import PendingReplies, Resolution
from hub.settings import HubSettings
from hub.topics import TopicManager
from schemas.kafka import consumer_kwargs, producer_kwargs, started
from schemas.v1 import DryRunReply, DryRunRequest, DryRunRequestEvent, WireError, decode_dry_run_reply, encode
from schemas.v1.topics import COMPRESSION, REPLIES_TOPIC, request_key, requests_topic, requests_topic_spec

log = logging.getLogger(__name__)

# Room for the key, headers and record overhead on top of the largest bundle the API lets in.
_RECORD_OVERHEAD_BYTES = 64 * 1024
SOURCE = "hub"


@dataclass(frozen=True)
class Unanswered:
    """Why a cluster has no reply: `timeout` (nothing by the deadline) or `error` (not even asked)."""

    state: Literal["timeout", "error"]
    reason: str


class DryRunChannel:
    def __init__(
        self,
        settings: HubSettings,
        topics: TopicManager,
        wall_clock: Callable[[], datetime],
        *,
        read_timeout_ms: int = 1000,
    ) -> None:
        """`wall_clock` must be real time, not a simulated one: the deadline it sets is read by the
        spokes' clocks."""
        self._settings = settings
        self._topics = topics
        self._clock = wall_clock
        self._read_timeout_ms = read_timeout_ms
        self._pending = PendingReplies()
        self._ready = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """Reading replies: a request sent now can be answered."""
        return self._ready.is_set()

    # -- replies ---------------------------------------------------------------------------------

    async def run(self, topics_ready: asyncio.Event) -> None:
        """Read replies until cancelled; after a failure, start again from the (new) end."""
        await topics_ready.wait()
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dry-run replies: reading failed; starting again")
                await asyncio.sleep(self._settings.relay_poll_interval_seconds)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            **consumer_kwargs(self._settings.kafka(), "dryrun-replies", enable_auto_commit=False, group_id=None)
        )
        try:
            await consumer.start()
            numbers = await self._topics.partitions(REPLIES_TOPIC)
            if not numbers:
                raise RuntimeError(f"topic {REPLIES_TOPIC} does not exist")
            partitions = [TopicPartition(REPLIES_TOPIC, p) for p in numbers]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for partition in partitions:
                # Resolved now, not at the first fetch: a reply to a request sent from here on is read.
                await consumer.position(partition)
            self._ready.set()
            log.info("reading dry-run replies from %s", REPLIES_TOPIC)
            while True:
                batches = await consumer.getmany(timeout_ms=self._read_timeout_ms)
                for records in batches.values():
                    for record in records:
                        self._take(record)
        finally:
            self._ready.clear()
            with contextlib.suppress(Exception):
                await consumer.stop()

    def _take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if record.value is None:
            return
        try:
            event = decode_dry_run_reply(record.value)
        except WireError as error:
            # Not dead-lettered: every replica reads every reply and would file the same one again; and
            # the request it answers times out, which the caller sees.
            log.warning("unreadable dry-run reply at %s@%d: %s", record.topic, record.offset, error)
            return
        if event.cluster != event.data.cluster:
            log.warning(
                "dry-run reply %s: envelope from %s, data from %s; dropped", event.id, event.cluster, event.data.cluster
            )
            return
        resolution = self._pending.resolve(event.data, self._clock())
        if resolution is Resolution.LATE:
            log.info("dry-run reply from %s came after its deadline; dropped", event.cluster)
        elif resolution is Resolution.WRONG_CLUSTER:
            log.warning("dry-run reply %s from %s, which was not asked; dropped", event.data.request_id, event.cluster)

    # -- requests --------------------------------------------------------------------------------

    async def _producer_started(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **producer_kwargs(
                        self._settings.kafka(),
                        "dryrun-requests",
                        acks="all",
                        compression_type=COMPRESSION,
                        max_request_size=self._settings.max_message_bytes + _RECORD_OVERHEAD_BYTES,
                        request_timeout_ms=10_000,
                    )
                )
                self._producer = await started(producer)
            return self._producer

    async def _wait_ready(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), seconds)
        return self.ready

    async def ask(
        self,
        application: str,
        manifests: Mapping[str, list[dict[str, Any]]],
        within: float,
        *,
        revision: int | None = None,
    ) -> dict[str, DryRunReply | Unanswered]:
        """Ask each cluster in `manifests` (cluster -> the bundle it would get; [] for a removal) to
        dry-run it, waiting at most `within` seconds; every cluster gets an answer: its reply, or why
        there is none."""
        if not manifests:
            return {}
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + within
        if not await self._wait_ready(within):
            return {
                c: Unanswered("error", "the hub cannot read dry-run replies (is Kafka reachable?)") for c in manifests
            }
        deadline = self._clock() + timedelta(seconds=max(0.0, give_up_at - loop.time()))
        results: dict[str, DryRunReply | Unanswered] = {}
        try:
            specs = [requests_topic_spec(c, self._settings.max_message_bytes) for c in manifests]
            await self._topics.ensure(specs, give_up_after=min(within, 5.0))
            producer = await self._producer_started()
        except Exception as error:
            log.warning("dry-run requests for %s not sent: %r", application, error)
            return {c: Unanswered("error", f"requests could not be sent: {error!r}") for c in manifests}

        ids: dict[str, uuid.UUID] = {}
        waiting: dict[asyncio.Future[DryRunReply], str] = {}
        try:
            sends: dict[str, asyncio.Future[object]] = {}
            for cluster, bundle in manifests.items():
                request = DryRunRequest(
                    request_id=uuid.uuid4(),
                    application=application,
                    revision=revision,
                    manifests=bundle,
                    deadline=deadline,
                )
                ids[cluster] = request.request_id
                waiting[self._pending.expect(request.request_id, cluster, deadline)] = cluster
                event = DryRunRequestEvent(source=SOURCE, cluster=cluster, data=request)
                try:
                    sends[cluster] = await producer.send(
                        requests_topic(cluster), encode(event), key=request_key(application)
                    )
                except Exception as error:
                    results[cluster] = Unanswered("error", f"request not sent: {error!r}")
            for cluster, sent in sends.items():
                try:
                    await sent
                except Exception as error:
                    results[cluster] = Unanswered("error", f"request not sent: {error!r}")
            open_futures = [f for f, c in waiting.items() if c not in results]
            if open_futures:
                await asyncio.wait(open_futures, timeout=max(0.0, give_up_at - loop.time()))
            for future, cluster in waiting.items():
                if cluster in results:
                    continue
                if future.done() and not future.cancelled():
                    results[cluster] = future.result()
                else:
                    results[cluster] = Unanswered("timeout", f"no answer within {within:g}s")
        finally:
            for request_id in ids.values():
                self._pending.forget(request_id)
        return results

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            with contextlib.suppress(Exception):
                await producer.stop()
