"""The desired store: newer generations win; stale, duplicate and tombstone handling; record decoding."""

from __future__ import annotations

import pytest

from schemas.v1 import Bundle, BundleEvent, Removal, RemovalEvent, WireError, encode
from spoke.desired import DesiredStore, Verdict, interpret

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}


def bundle(generation: int, revision: int = 1, value: str = "x") -> Bundle:
    return Bundle.build("app", revision, generation, [{**CM, "data": {"v": value}}])


def removal(generation: int) -> Removal:
    return Removal(application="app", revision=1, generation=generation, reason="deleted")


def test_newer_generations_are_accepted_and_older_ones_are_stale() -> None:
    store = DesiredStore()
    assert store.offer("app", bundle(2)) is Verdict.ACCEPTED
    assert store.offer("app", bundle(1, revision=9)) is Verdict.STALE  # generation decides, not revision
    assert store.offer("app", bundle(2, value="other")) is Verdict.STALE
    assert store.offer("app", bundle(3)) is Verdict.ACCEPTED
    assert store.get("app") == bundle(3)


def test_a_redelivery_is_a_duplicate() -> None:
    store = DesiredStore()
    store.offer("app", bundle(1))
    assert store.offer("app", bundle(1)) is Verdict.DUPLICATE


def test_a_removal_replaces_a_bundle_and_a_later_bundle_reinstalls() -> None:
    store = DesiredStore()
    store.offer("app", bundle(1))
    assert store.offer("app", removal(2)) is Verdict.ACCEPTED
    assert store.installed() == []
    assert store.offer("app", bundle(3)) is Verdict.ACCEPTED
    assert store.installed() == ["app"]


def test_a_tombstone_removes_and_keeps_the_generation() -> None:
    store = DesiredStore()
    store.offer("app", bundle(4, revision=2))
    assert store.offer("app", None) is Verdict.ACCEPTED
    held = store.get("app")
    assert isinstance(held, Removal)
    assert (held.generation, held.revision) == (4, 2)
    assert store.offer("app", None) is Verdict.DUPLICATE
    assert store.offer("app", bundle(4, revision=2)) is Verdict.STALE  # replayed from before the tombstone
    assert store.offer("app", bundle(5)) is Verdict.ACCEPTED


def test_a_tombstone_for_an_unknown_application_still_removes() -> None:
    store = DesiredStore()
    assert store.offer("app", None) is Verdict.ACCEPTED
    assert isinstance(store.get("app"), Removal)
    assert store.offer("app", bundle(1)) is Verdict.ACCEPTED


def test_interpret_reads_bundles_removals_and_tombstones() -> None:
    event = BundleEvent(source="hub", cluster="c1", data=bundle(1))
    assert interpret(b"app", encode(event), "c1") == ("app", bundle(1))
    gone = RemovalEvent(source="hub", cluster="c1", data=removal(2))
    assert interpret(b"app", encode(gone), "c1") == ("app", removal(2))
    assert interpret(b"app", None, "c1") == ("app", None)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"app", b"{nope", "malformed-json"),
        (None, b"{}", "missing-key"),
        (b"app", b'{"type": "fleetcast.bundle"}', "invalid"),
        (b"other", encode(BundleEvent(source="hub", cluster="c1", data=bundle(1))), "key-mismatch"),
        (b"app", encode(BundleEvent(source="hub", cluster="c2", data=bundle(1))), "wrong-cluster"),
    ],
)
def test_interpret_rejects_what_cannot_be_acted_on(key: bytes | None, value: bytes, reason: str) -> None:
    with pytest.raises(WireError) as error:
        interpret(key, value, "c1")
    assert error.value.reason == reason
