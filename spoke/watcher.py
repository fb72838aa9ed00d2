"""Watches the kinds the spoke manages (only objects labelled managed-by=fleetcast) and hands every
change to a callback, so health is re-reported when it changes — no polling.

One task per kind: list, then watch from the list's resourceVersion; a watch the server ends is
re-opened from the last version seen; 410 Gone (that version is compacted away) means list again;
any other failure backs off exponentially (with jitter, bounded) and lists again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Protocol

from kubernetes_asyncio.client.exceptions import ApiException

from spoke.errors import api_message
from spoke.objects import MANAGED_SELECTOR
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)

Kind = tuple[str, str]  # (api_version, kind)
OnList = Callable[[Kind, list[dict[str, Any]]], None]
OnEvent = Callable[[str, dict[str, Any]], None]
# Told why a watch is re-opened: expired (the server ended it, as it does), gone (410: list again), error.
OnRestart = Callable[[str], None]


class WatchApi(Protocol):
    """The API server's list and watch (spoke/kube.py `Kube`)."""

    async def resource(self, api_version: str, kind: str) -> Any: ...

    async def list(self, resource: Any, label_selector: str | None = None) -> tuple[list[dict[str, Any]], str]: ...

    def watch(
        self, resource: Any, resource_version: str, label_selector: str | None, seconds: int
    ) -> AsyncIterator[dict[str, Any]]: ...


class Watcher:
    def __init__(
        self, kube: WatchApi, settings: SpokeSettings, on_list: OnList, on_event: OnEvent, on_restart: OnRestart
    ) -> None:
        self.kube = kube
        self.settings = settings
        self.on_list = on_list
        self.on_event = on_event
        self.on_restart = on_restart
        self._tasks: dict[Kind, asyncio.Task[None]] = {}

    def ensure(self, kinds: Iterable[Kind]) -> None:
        for kind in kinds:
            if kind not in self._tasks:
                self._tasks[kind] = asyncio.create_task(self._run(kind), name=f"watch {kind[0]} {kind[1]}")

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _run(self, kind: Kind) -> None:
        delay = self.settings.retry_initial
        while True:
            try:
                resource = await self.kube.resource(*kind)
                items, version = await self.kube.list(resource, MANAGED_SELECTOR)
                self.on_list(kind, items)
                delay = self.settings.retry_initial
                while True:
                    async for event in self.kube.watch(
                        resource, version, MANAGED_SELECTOR, self.settings.watch_timeout
                    ):
                        obj = event.get("object") or {}
                        version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                        if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                            self.on_event(str(event["type"]), obj)
                    self.on_restart("expired")
            except asyncio.CancelledError:
                raise
            except ApiException as error:
                if error.status == 410:
                    log.info("watch %s %s: resourceVersion too old, listing again", *kind)
                    self.on_restart("gone")
                    continue
                self.on_restart("error")
                log.warning("watch %s %s failed: %s; retrying in %.1fs", *kind, api_message(error), delay)
            except Exception as error:
                self.on_restart("error")
                log.warning("watch %s %s failed: %s; retrying in %.1fs", *kind, api_message(error), delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.settings.retry_max * 6)
