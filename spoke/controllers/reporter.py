"""Reporter: status reports per application, built purely (spoke/reports.py) from the last reconcile's
state and the live view, sent when anything but the timestamp changed (`sent` dedup).

Triggers: `report(app)` after each reconcile (the reconcile controller calls it), and watch events
(`on_event`/`on_list`, subscribed to the live view), debounced so a burst of events makes one report.

Per-object extras (drift, conditions, corrections) come from provider callables, `extras(application,
ref) -> ObjectExtras | None`, given at construction or added later with `add_extras(provider)` (a
controller built after the reporter, e.g. the drift detector, which itself needs the reconcile controller);
several providers' extras of one object are merged. A provider whose answer changed calls
`touch(application)` for a (debounced) new report. A report is not "sent" until the broker acknowledged it:
a failed send is retried at the next change or resync.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from schemas.v1 import ObjectRef, Removal, StatusEvent, StatusReport, encode
from schemas.v1.topics import STATUS_TOPIC, status_key
from spoke.controllers.state import AppStates
from spoke.errors import api_message
from spoke.metrics import ClusterMetrics
from spoke.objects import APPLICATION_LABEL, labels_of
from spoke.reports import Extras, ObjectExtras, bundle_status, changed, merged, no_extras, removal_status
from spoke.watcher import Kind

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends one record and returns once the broker acknowledged it (spoke/consumer.py `Producer`)."""

    async def send(
        self, topic: str, key: bytes, value: bytes | None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None: ...


Live = Callable[[ObjectRef], Mapping[str, Any] | None]


class Reporter:
    def __init__(
        self,
        cluster: str,
        states: AppStates,
        live: Live,
        sender: Sender,
        metrics: ClusterMetrics,
        *,
        debounce: float,
        clock: Callable[[], datetime],
        extras: Extras = no_extras,
    ) -> None:
        self.cluster = cluster
        self.source = f"spoke/{cluster}"
        self.states = states
        self.live = live
        self.sender = sender
        self.metrics = metrics
        self.debounce = debounce
        self.clock = clock
        self._extras: list[Extras] = [extras]
        self.sent: dict[str, StatusReport] = {}
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- live view subscription -------------------------------------------------------------------

    def on_event(self, _event_type: str, obj: dict[str, Any]) -> None:
        self.touch(labels_of(obj).get(APPLICATION_LABEL))

    def on_list(self, _kind: Kind, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.touch(labels_of(item).get(APPLICATION_LABEL))

    def touch(self, application: str | None) -> None:
        """Debounced re-report: a burst of watch events makes one report."""
        if application is None or application not in self.states:
            return
        self._dirty.add(application)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                self.debounce, lambda: self._spawn(self._report_dirty())
            )

    async def _report_dirty(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for application in sorted(dirty):
            await self.report(application)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- reports ------------------------------------------------------------------------------------

    def status_of(self, application: str) -> StatusReport | None:
        state = self.states.get(application)
        if state is None:
            return None
        desired, now = state.outcome.desired, self.clock()
        if isinstance(desired, Removal):
            return removal_status(self.cluster, desired, state.outcome.objects, errors=state.outcome.errors, now=now)
        return bundle_status(
            self.cluster,
            desired,
            state.outcome.objects,
            self.live,
            last_applied_revision=state.last_applied_revision,
            errors=state.outcome.errors,
            now=now,
            extras=lambda ref: self._extras_of(application, ref),
        )

    def add_extras(self, provider: Extras) -> None:
        self._extras.append(provider)

    def _extras_of(self, application: str, ref: ObjectRef) -> ObjectExtras | None:
        found = [extra for provider in self._extras if (extra := provider(application, ref)) is not None]
        if len(found) <= 1:
            return found[0] if found else None
        return merged(found)

    async def report(self, application: str) -> None:
        report = self.status_of(application)
        if report is None or not changed(self.sent.get(application), report):
            return
        event = StatusEvent(source=self.source, cluster=self.cluster, data=report)
        try:
            await self.sender.send(STATUS_TOPIC, status_key(self.cluster, application), encode(event))
        except Exception as error:
            # Not recorded as sent: the next change or resync sends it again.
            log.warning("status report for %s not sent: %s", application, api_message(error))
            return
        self.sent[application] = report
        self.metrics.reports_total.labels("status").inc()
        log.info("reported %s: %s (revision %s)", application, report.health, report.observed_revision)

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
