"""Which managed object an Event about an unmanaged one belongs to: the owner walk, pure."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.v1 import ObjectRef
from spoke.kubeevents.owners import (
    Attributed,
    Link,
    LookUp,
    OwnerCache,
    Unattributed,
    controller_of,
    followed,
    is_the_same,
    next_step,
)

DEPLOY = Link(ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop"), "u-deploy")
RS = Link(ObjectRef(api_version="apps/v1", kind="ReplicaSet", name="web-7d4b9", namespace="shop"), "u-rs")
POD = Link(ObjectRef(api_version="v1", kind="Pod", name="web-7d4b9-x2", namespace="shop"), "u-pod")
JOB = Link(ObjectRef(api_version="batch/v1", kind="Job", name="nightly-1", namespace="shop"), "u-job")
CRON = Link(ObjectRef(api_version="batch/v1", kind="CronJob", name="nightly", namespace="shop"), "u-cron")


def managed(*links: Link) -> Any:
    refs = {link.ref for link in links}
    return lambda ref: "shop" if ref in refs else None


def test_a_managed_object_is_attributed_to_its_application_without_an_owner() -> None:
    assert next_step([DEPLOY], managed(DEPLOY)) == Attributed("shop", None)


def test_a_pod_walks_up_to_the_managed_deployment() -> None:
    application_of = managed(DEPLOY)
    assert next_step([POD], application_of) == LookUp(POD)
    assert next_step([POD, RS], application_of) == LookUp(RS)
    assert next_step([POD, RS, DEPLOY], application_of) == Attributed("shop", DEPLOY.ref)


def test_a_job_pod_walks_up_to_the_managed_cronjob() -> None:
    application_of = managed(CRON)
    assert next_step([POD, JOB], application_of) == LookUp(JOB)
    assert next_step([POD, JOB, CRON], application_of) == Attributed("shop", CRON.ref)


def test_the_nearest_managed_owner_wins() -> None:
    # A managed ReplicaSet (applied on its own) owned by a managed Deployment: the ReplicaSet.
    assert next_step([POD, RS], managed(RS, DEPLOY)) == Attributed("shop", RS.ref)


def test_kinds_no_managed_object_can_own_cost_no_lookup() -> None:
    config = Link(ObjectRef(api_version="v1", kind="ConfigMap", name="c", namespace="shop"))
    node = Link(ObjectRef(api_version="v1", kind="Node", name="n1"))
    assert next_step([config], managed(DEPLOY)) == Unattributed("unmanaged")
    assert next_step([node], managed(DEPLOY)) == Unattributed("unmanaged")
    assert not followed(DEPLOY.ref) and not followed(CRON.ref)
    assert followed(POD.ref) and followed(RS.ref) and followed(JOB.ref)
    # A "Pod" of another API group is not a Pod.
    assert not followed(ObjectRef(api_version="example.com/v1", kind="Pod", name="p"))


def test_an_unmanaged_owner_that_owns_nothing_we_follow_ends_the_walk() -> None:
    step = next_step([POD, RS, DEPLOY], managed())
    assert step == Unattributed("owned by an unmanaged Deployment")


def test_the_walk_is_bounded_and_stops_on_a_cycle() -> None:
    assert next_step([POD, RS, POD], managed()) == Unattributed("ownerReferences form a cycle")
    chain = [POD, RS, JOB, Link(POD.ref, "other")]
    assert next_step(chain, managed(), max_hops=3) == Unattributed("no managed owner within 3 owners")
    assert next_step([POD], managed(), max_hops=0) == Unattributed("no managed owner within 0 owners")
    assert next_step([], managed()) == Unattributed("no object")


@given(st.lists(st.sampled_from([POD, RS, JOB, DEPLOY, CRON]), min_size=1, max_size=8), st.integers(0, 5))
def test_a_lookup_is_only_ever_asked_within_the_bound_for_a_followed_unmanaged_object(
    chain: list[Link], hops: int
) -> None:
    step = next_step(chain, managed(), max_hops=hops)
    assert not isinstance(step, Attributed)
    if isinstance(step, LookUp):
        assert step.link == chain[-1] and followed(step.link.ref) and len(chain) - 1 < hops
        assert chain[-1] not in chain[:-1]


def owned(kind: str, name: str, uid: str, *, controller: bool | None = True) -> dict[str, Any]:
    reference: dict[str, Any] = {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid}
    if controller is not None:
        reference["controller"] = controller
    return reference


def pod(*references: dict[str, Any], uid: str = "u-pod") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-7d4b9-x2", "namespace": "shop", "uid": uid, "ownerReferences": list(references)},
    }


def test_the_controller_reference_names_the_owner_in_the_same_namespace() -> None:
    obj = pod(owned("Thing", "other", "u-1", controller=False), owned("ReplicaSet", "web-7d4b9", "u-rs"))
    assert controller_of(obj) == RS
    assert controller_of(pod(owned("ReplicaSet", "web-7d4b9", "u-rs", controller=None))) == RS  # the only one
    assert controller_of(pod()) is None
    two_unmarked = pod(owned("A", "a", "1", controller=None), owned("B", "b", "2", controller=None))
    assert controller_of(two_unmarked) is None
    assert controller_of({"metadata": {"ownerReferences": [{"kind": "ReplicaSet"}]}}) is None


def test_a_newer_object_of_the_same_name_is_not_the_one_the_event_is_about() -> None:
    assert is_the_same(POD, pod(uid="u-pod"))
    assert not is_the_same(POD, pod(uid="u-pod-recreated"))
    assert is_the_same(Link(POD.ref), pod(uid="anything"))


def test_the_owner_cache_remembers_owners_and_their_absence_and_forgets_the_least_used() -> None:
    cache = OwnerCache(most=2)
    assert cache.get(POD) == (False, None)
    cache.put(POD, RS)
    cache.put(RS, None)
    assert cache.get(POD) == (True, RS) and cache.get(RS) == (True, None)
    cache.get(POD)  # POD used last: RS goes first
    cache.put(JOB, CRON)
    assert len(cache) == 2 and cache.get(RS) == (False, None) and cache.get(POD) == (True, RS)
    no_uid = Link(POD.ref)
    cache.put(no_uid, RS)
    assert cache.get(no_uid) == (False, None) and len(cache) == 2
