"""The spoke's view of live objects: a reconcile never overwrites what the watch delivered while it ran;
subscribers hear of every change with the full object."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schemas.v1 import ObjectRef
from spoke.controllers.liveview import LiveView
from spoke.objects import key_of
from spoke.watcher import Kind, OnEvent, OnList

REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")
KIND = ("apps/v1", "Deployment")


def deployment(available: str, version: str, name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "resourceVersion": version,
            "managedFields": [{"manager": "fleetcast"}],
        },
        "status": {"conditions": [{"type": "Available", "status": available}]},
    }


class FakeWatches:
    """Stands in for the watch tasks: the test plays the API server by calling the callbacks."""

    def __init__(self, on_list: OnList, on_event: OnEvent) -> None:
        self.on_list = on_list
        self.on_event = on_event
        self.kinds: set[Kind] = set()
        self.closed = False

    def ensure(self, kinds: Iterable[Kind]) -> None:
        self.kinds |= set(kinds)

    async def close(self) -> None:
        self.closed = True


def view() -> tuple[LiveView, FakeWatches]:
    made: list[FakeWatches] = []

    def factory(on_list: OnList, on_event: OnEvent) -> FakeWatches:
        made.append(FakeWatches(on_list, on_event))
        return made[0]

    live = LiveView(factory)
    return live, made[0]


def test_a_watch_update_during_a_reconcile_wins_over_its_read_back_copy() -> None:
    live, watches = view()
    started = live.mark()  # the reconcile starts
    watches.on_event("MODIFIED", deployment("True", "12"))  # the rollout finishes meanwhile
    live.remember({REF: deployment("False", "11")}, started)  # the reconcile ends with its older copy
    assert live.live[key_of(deployment("True", "12"))]["status"]["conditions"][0]["status"] == "True"


def test_a_reconcile_read_back_replaces_an_older_watch_copy() -> None:
    live, watches = view()
    watches.on_event("MODIFIED", deployment("False", "11"))
    started = live.mark()
    live.remember({REF: deployment("True", "12")}, started)
    assert live.live[key_of(deployment("True", "12"))]["metadata"]["resourceVersion"] == "12"


def test_subscribers_get_the_full_object_and_the_cache_keeps_it_trimmed() -> None:
    live, watches = view()
    heard: list[tuple[str, dict[str, Any]]] = []
    live.subscribe(lambda event_type, obj: heard.append((event_type, obj)))
    watches.on_event("ADDED", deployment("True", "1"))
    assert heard[0][0] == "ADDED" and "managedFields" in heard[0][1]["metadata"]
    assert "managedFields" not in (live.get(REF) or {})["metadata"]
    watches.on_event("DELETED", deployment("True", "2"))
    assert live.get(REF) is None and heard[-1][0] == "DELETED"


def test_an_object_missing_from_a_relist_is_a_deletion_for_subscribers() -> None:
    live, watches = view()
    events: list[tuple[str, str]] = []
    lists: list[tuple[Kind, int]] = []
    live.subscribe(
        lambda t, obj: events.append((t, obj["metadata"]["name"])), lambda k, items: lists.append((k, len(items)))
    )
    watches.on_list(KIND, [deployment("True", "1"), deployment("True", "1", name="api")])
    watches.on_list(KIND, [deployment("True", "2")])  # "api" was deleted while no watch was open
    assert events == [("DELETED", "api")]
    assert lists == [(KIND, 2), (KIND, 1)]
    assert live.get(REF) is not None


def test_forget_and_ensure_reach_the_cache_and_the_watches() -> None:
    live, watches = view()
    watches.on_event("ADDED", deployment("True", "1"))
    live.forget([REF])
    live.ensure([KIND])
    assert live.get(REF) is None and watches.kinds == {KIND}
