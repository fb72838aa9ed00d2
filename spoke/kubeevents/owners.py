"""Which managed object an Event about an unmanaged one belongs to, through ownerReferences. Pure.

The Events an operator needs when a rollout is stuck are mostly about objects Fleetcast never applied:
Pods (ImagePullBackOff, FailedScheduling, BackOff, Unhealthy), ReplicaSets and Jobs (FailedCreate).
They are attributed to the managed object that owns them, by walking the controller ownerReferences:

    Pod -> ReplicaSet -> Deployment      Pod -> StatefulSet | DaemonSet      Pod -> Job -> CronJob

Only the kinds in FOLLOWED are ever read (their ownerReferences are what is looked up), so an Event
about anything else costs no request at all, and the spoke needs `get` on pods, replicasets and jobs
only. The walk stops at the first managed object, after MAX_HOPS owners, at an object without an owner,
at a kind it does not follow, or on a cycle. Owners are in the namespace of their dependant (Kubernetes
forbids a namespaced owner in another namespace; the kinds followed here are all namespaced).

The I/O shell asks `next_step(chain)` what to do, looks up what it is told to (OwnerCache first), and
asks again with the chain one owner longer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.v1 import ObjectRef

ApplicationOf = Callable[[ObjectRef], str | None]

# (api group, kind) whose controller owner is looked up: the dependants of the workload controllers.
FOLLOWED: frozenset[tuple[str, str]] = frozenset({("", "Pod"), ("apps", "ReplicaSet"), ("batch", "Job")})
# Pod -> ReplicaSet -> Deployment is two owners; one more leaves room for a managed object owning a
# Deployment-like owner without making a storm of events about one pod a storm of requests.
MAX_HOPS = 3


@dataclass(frozen=True)
class Link:
    """An object in an owner chain, with its uid when known (the cache key; ownerReferences carry it)."""

    ref: ObjectRef
    uid: str | None = None


@dataclass(frozen=True)
class Attributed:
    """Forward it for `application`; `owner` is the managed object, None when the event's own object is."""

    application: str
    owner: ObjectRef | None


@dataclass(frozen=True)
class LookUp:
    """The owner of `link` is needed (from the cache, or a GET of the object)."""

    link: Link


@dataclass(frozen=True)
class Unattributed:
    """Not forwarded: no managed object owns it (or none within reach)."""

    why: str


Step = Attributed | LookUp | Unattributed


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def followed(ref: ObjectRef) -> bool:
    """Whether an unmanaged object of this kind can be owned by a managed one (worth a lookup)."""
    return (_group(ref.api_version), ref.kind) in FOLLOWED


def next_step(chain: Sequence[Link], application_of: ApplicationOf, max_hops: int = MAX_HOPS) -> Step:
    """What to do with the chain so far: chain[0] is the event's object, each next one the owner of the
    one before it."""
    if not chain:
        return Unattributed("no object")
    last = chain[-1]
    application = application_of(last.ref)
    if application is not None:
        return Attributed(application, last.ref if len(chain) > 1 else None)
    if len(chain) > 1 and last in chain[:-1]:
        return Unattributed("ownerReferences form a cycle")
    if not followed(last.ref):
        return Unattributed("unmanaged" if len(chain) == 1 else f"owned by an unmanaged {last.ref.kind}")
    if len(chain) - 1 >= max_hops:
        return Unattributed(f"no managed owner within {max_hops} owners")
    return LookUp(last)


def controller_of(obj: Mapping[str, Any]) -> Link | None:
    """The owner an object's controller ownerReference names (the sole ownerReference when none is marked
    controller); None for an object without one."""
    metadata = obj.get("metadata") or {}
    references = [r for r in metadata.get("ownerReferences") or [] if isinstance(r, Mapping)]
    marked = [r for r in references if r.get("controller") is True]
    chosen = marked[0] if marked else references[0] if len(references) == 1 else None
    if chosen is None or not chosen.get("kind") or not chosen.get("name") or not chosen.get("apiVersion"):
        return None
    ref = ObjectRef(
        api_version=str(chosen["apiVersion"]),
        kind=str(chosen["kind"]),
        name=str(chosen["name"]),
        namespace=metadata.get("namespace") or None,
    )
    return Link(ref, str(chosen["uid"]) if chosen.get("uid") else None)


def is_the_same(link: Link, obj: Mapping[str, Any]) -> bool:
    """Whether the object read is the one the link names, not a newer one of the same name (a pod of a
    StatefulSet recreated): its owner would be a guess."""
    uid = (obj.get("metadata") or {}).get("uid")
    return link.uid is None or uid is None or str(uid) == link.uid


_NO_OWNER = Link(ObjectRef(api_version="v1", kind="-", name="-"))


class OwnerCache:
    """uid -> its controller owner (or none), least recently used forgotten first. An object's controller
    does not change (adoption aside, which only gives an orphan an owner), so entries never expire; an
    object without a uid is not cached."""

    def __init__(self, most: int = 4096) -> None:
        self.most = most
        self._owners: OrderedDict[str, Link] = OrderedDict()

    def __len__(self) -> int:
        return len(self._owners)

    def get(self, link: Link) -> tuple[bool, Link | None]:
        """(known, owner)."""
        if link.uid is None or link.uid not in self._owners:
            return False, None
        self._owners.move_to_end(link.uid)
        owner = self._owners[link.uid]
        return True, None if owner is _NO_OWNER else owner

    def put(self, link: Link, owner: Link | None) -> None:
        if link.uid is None:
            return
        self._owners[link.uid] = _NO_OWNER if owner is None else owner
        self._owners.move_to_end(link.uid)
        while len(self._owners) > self.most:
            self._owners.popitem(last=False)
