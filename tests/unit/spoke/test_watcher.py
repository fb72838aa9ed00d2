"""The watcher re-opens watches and says why (the watch_restarts metric): expired when the server ended
a watch, gone on 410 (list again), error otherwise; every event reaches the callback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from spoke.settings import SpokeSettings
from spoke.watcher import Kind, Watcher
from tests.waiting import eventually_async

KIND = ("v1", "ConfigMap")


class ScriptedApi:
    """Plays the API server: each watch call takes the next step (a list of events, or an error)."""

    def __init__(self, steps: list[list[dict[str, Any]] | Exception]) -> None:
        self.steps = steps
        self.lists = 0

    async def resource(self, api_version: str, kind: str) -> Any:
        return (api_version, kind)

    async def list(self, resource: Any, label_selector: str | None = None) -> tuple[list[dict[str, Any]], str]:
        self.lists += 1
        return [], "1"

    async def watch(
        self, resource: Any, resource_version: str, label_selector: str | None, seconds: int
    ) -> AsyncIterator[dict[str, Any]]:
        if not self.steps:
            await asyncio.Event().wait()  # a quiet, open watch
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        for event in step:
            yield event


async def test_restarts_are_counted_by_reason_and_events_delivered() -> None:
    event = {"type": "ADDED", "object": {"metadata": {"name": "a", "resourceVersion": "2"}}}
    api = ScriptedApi([[event], ApiException(status=410, reason="Gone"), ApiException(status=500, reason="x")])
    restarts: list[str] = []
    events: list[str] = []
    lists: list[Kind] = []
    settings = SpokeSettings(cluster_id="c1", retry_initial=0.001, retry_max=0.001)
    watcher = Watcher(
        api, settings, lambda kind, _items: lists.append(kind), lambda t, _o: events.append(t), restarts.append
    )
    watcher.ensure([KIND])

    async def done() -> bool:
        return not api.steps and restarts == ["expired", "gone", "error"]

    await eventually_async(done, timeout=10, what="three restarts", interval=0.01)
    assert events == ["ADDED"]
    assert api.lists == 3  # the first list, again after 410, again after the error
    await watcher.close()
