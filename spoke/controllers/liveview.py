"""Live view: the watches of the managed kinds and the cache of live objects they fill.

Other controllers hear of every change through `subscribe(on_event, on_list)`:
  - `on_event(event_type, obj)`: every watch event (ADDED, MODIFIED, DELETED) with the FULL object as the
    API server sent it (managedFields included: the drift detector needs them); the cache keeps a trimmed
    copy. An object that a re-list no longer contains was deleted while no watch was open: subscribers get
    a synthetic DELETED event for it, with the last (trimmed) copy the cache held.
  - `on_list(kind, items)`: the full snapshot after each (re-)list of a kind.
Callbacks run on the event loop, synchronously, in subscription order: keep them quick (schedule work).

The reconcile controller writes what an apply read back through `mark()`/`remember()`, so a reconcile
never overwrites a newer copy the watch delivered while it ran, and `forget()`s what it pruned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from schemas.v1 import ObjectRef
from spoke.objects import ObjectKey, group_of, key_of, key_of_ref
from spoke.watcher import Kind, OnEvent, OnList


class Watches(Protocol):
    """The watch tasks (spoke/watcher.py `Watcher`): started per kind, closed together."""

    def ensure(self, kinds: Iterable[Kind]) -> None: ...

    async def close(self) -> None: ...


# Builds the watches, given the callbacks the live view wants them to call.
WatchesFactory = Callable[[OnList, OnEvent], Watches]


def _ignore_list(_kind: Kind, _items: list[dict[str, Any]]) -> None:
    pass


def trimmed(obj: dict[str, Any]) -> dict[str, Any]:
    """What health needs of a live object: managedFields are often most of it, and never needed."""
    metadata = obj.get("metadata") or {}
    if "managedFields" not in metadata:
        return obj
    return {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}


class LiveView:
    def __init__(self, watches: WatchesFactory) -> None:
        self._watches = watches(self._on_list, self._on_watch_event)
        self.live: dict[ObjectKey, dict[str, Any]] = {}
        # Which watch update last wrote each live object, so a reconcile never overwrites what the
        # watch delivered while it ran (see remember).
        self._watch_updates = 0
        self._updated_by_watch: dict[ObjectKey, int] = {}
        self._on_event_subscribers: list[OnEvent] = []
        self._on_list_subscribers: list[OnList] = []

    def subscribe(self, on_event: OnEvent, on_list: OnList = _ignore_list) -> None:
        self._on_event_subscribers.append(on_event)
        self._on_list_subscribers.append(on_list)

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        return self.live.get(key_of_ref(ref))

    def ensure(self, kinds: Iterable[Kind]) -> None:
        self._watches.ensure(kinds)

    async def close(self) -> None:
        await self._watches.close()

    # -- written by reconciles --------------------------------------------------------------------

    def mark(self) -> int:
        """Taken before a reconcile starts; handed back to `remember`."""
        return self._watch_updates

    def remember(self, read_back: Mapping[ObjectRef, dict[str, Any]], since: int) -> None:
        """Keep the objects a reconcile read back, unless the watch updated them since it started.

        The watch's copy is then newer: a Deployment that became Available while the reconcile ran
        (kwok makes pods Ready in milliseconds) would otherwise be overwritten by the Progressing copy
        read right after the apply, and with no further change to watch, health would stay stale
        until the next resync. The watch delivers every change in order, so preferring it is safe."""
        for ref, obj in read_back.items():
            key = key_of_ref(ref)
            if self._updated_by_watch.get(key, -1) <= since:
                self.live[key] = trimmed(obj)

    def forget(self, refs: Iterable[ObjectRef]) -> None:
        for ref in refs:
            self.live.pop(key_of_ref(ref), None)

    # -- called by the watches ----------------------------------------------------------------------

    def _watched(self, key: ObjectKey) -> None:
        self._watch_updates += 1
        self._updated_by_watch[key] = self._watch_updates

    def _on_list(self, kind: Kind, items: list[dict[str, Any]]) -> None:
        group = group_of(kind[0])
        fresh = {key_of(item): item for item in items}
        for key in [k for k in self.live if k.group == group and k.kind == kind[1] and k not in fresh]:
            self._watched(key)
            gone = self.live.pop(key)
            for on_event in self._on_event_subscribers:
                on_event("DELETED", gone)
        for key, item in fresh.items():
            self._watched(key)
            self.live[key] = trimmed(item)
        for on_list in self._on_list_subscribers:
            on_list(kind, items)

    def _on_watch_event(self, event_type: str, obj: dict[str, Any]) -> None:
        key = key_of(obj)
        self._watched(key)
        if event_type == "DELETED":
            self.live.pop(key, None)
        else:
            self.live[key] = trimmed(obj)
        for on_event in self._on_event_subscribers:
            on_event(event_type, obj)
