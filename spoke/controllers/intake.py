"""Intake: the cluster's desired topic -> DesiredStore, unreadable records -> the DLQ, and the
applications that changed -> the reconcile controller; offsets are committed once those are reconciled.

Level-triggered (invariant 2): a record only updates the desired store; reconciling compares desired
with live and acts, so replays and duplicates change nothing. Bootstrap reads the topic from its start
to its end, reconciles everything, commits and sets `bootstrapped`; then it follows the topic.
`run()` never gives up: after an unexpected failure it rebuilds from the topic start (replays change
nothing) after a bounded, growing delay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeAlias

from aiokafka import ConsumerRecord

from schemas.v1 import Bundle, WireError
from spoke.desired import DesiredStore, Verdict, interpret
from spoke.errors import api_message, classify
from spoke.metrics import ClusterMetrics

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


class DesiredSource(Protocol):
    """The cluster's desired topic (spoke/consumer.py `DesiredTopic`)."""

    @property
    def topic(self) -> str: ...

    async def wait_for_topic(self) -> None: ...

    async def rewind(self) -> int: ...

    async def position(self) -> int: ...

    async def poll(self) -> list[Record]: ...

    async def commit(self, offset: int) -> None: ...

    async def lag(self) -> int | None: ...


class DeadLetters(Protocol):
    async def dead_letter(self, record: Record, error: WireError) -> None: ...


ReconcileMany = Callable[[Iterable[str]], Awaitable[None]]


class Intake:
    def __init__(
        self,
        cluster: str,
        store: DesiredStore,
        source: DesiredSource,
        dead_letters: DeadLetters,
        reconcile_many: ReconcileMany,
        metrics: ClusterMetrics,
        *,
        restart_delay: float,
        max_restart_delay: float,
    ) -> None:
        self.cluster = cluster
        self.store = store
        self.source = source
        self.dead_letters = dead_letters
        self.reconcile_many = reconcile_many
        self.metrics = metrics
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.bootstrapped = asyncio.Event()

    async def run(self) -> None:
        delay = self.restart_delay
        while True:
            try:
                await self.consume()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.exception(
                    "consume loop failed (%s): %s; restarting in %.1fs", classify(error), api_message(error), delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_restart_delay)

    async def consume(self) -> None:
        """Bootstrap from the beginning of the topic, reconcile everything, then follow it."""
        source = self.source
        await source.wait_for_topic()
        end = await source.rewind()
        while await source.position() < end:
            for record in await source.poll():
                await self.absorb(record)
            await self._measure_lag()
        log.info("desired state rebuilt from %s: %d applications", source.topic, len(self.store.applications()))
        await self.reconcile_many(self.store.applications())
        await source.commit(await source.position())
        await self._measure_lag()
        self.bootstrapped.set()
        while True:
            records = await source.poll()
            if records:
                touched: set[str] = set()
                for record in records:
                    touched |= await self.absorb(record)
                await self.reconcile_many(sorted(touched))
                await source.commit(records[-1].offset + 1)
            await self._measure_lag()

    async def _measure_lag(self) -> None:
        lag = await self.source.lag()
        if lag is not None:
            self.metrics.consumer_lag.set(lag)

    async def absorb(self, record: Record) -> set[str]:
        """Feed one record to the store; returns the applications it changed."""
        try:
            application, desired = interpret(record.key, record.value, self.cluster)
        except WireError as error:
            log.warning(
                "malformed record at %s[%d]@%d (%s): %s; sent to the DLQ",
                record.topic,
                record.partition,
                record.offset,
                error.reason,
                error.detail,
            )
            self.metrics.events_total.labels("malformed").inc()
            self.metrics.dlq_total.labels(error.reason).inc()
            await self.dead_letters.dead_letter(record, error)
            return set()
        kind = "tombstone" if desired is None else ("bundle" if isinstance(desired, Bundle) else "removal")
        verdict = self.store.offer(application, desired)
        if verdict is not Verdict.ACCEPTED:
            log.info("ignoring %s %s for %s at offset %d", verdict, kind, application, record.offset)
            self.metrics.events_total.labels(str(verdict)).inc()
            return set()
        self.metrics.events_total.labels(kind).inc()
        return {application}
