"""Live diff preview on the spoke: read dry-run requests from this cluster's request topic, dry-run each
bundle against the cluster with server-side apply (dryRun=All, the same field manager and force as a
real apply), and answer on the reply topic with what the API server would change, object by object.

Separate from the agent (its own consumer, group and loop) so that a slow dry run never delays a real
apply. Nothing here writes to the cluster: the inventory is only read, applies are dry runs.

    DryRunner        one request -> one reply (Kubernetes I/O; the planner and the diff are pure)
    DryRunRequests   the request topic in, replies out; requests past their deadline are skipped
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic.exceptions import ResourceNotFoundError

from schemas.v1 import (
    Bundle,
    DryRunObject,
    DryRunReply,
    DryRunReplyEvent,
    DryRunRequest,
    ObjectRef,
    Removal,
    WireError,
    decode_dry_run_request,
    encode,
)
from schemas.v1.topics import REPLIES_TOPIC, reply_key, requests_topic
from spoke.consumer import ClusterTopic, Producer
from spoke.errors import api_message
from spoke.inventory import InventoryStore
from spoke.kube import Kube
from spoke.livediffs import live_diff
from spoke.metrics import ClusterMetrics
from spoke.objects import Manifest, ObjectKey, group_of, key_of_ref, ref_of
from spoke.planner import crd_scopes, decide, intend
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)


def group_id(cluster: str) -> str:
    return f"fleetcast-spoke-{cluster}-dryrun"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DryRunner:
    def __init__(self, kube: Kube, inventories: InventoryStore, cluster: str) -> None:
        self.kube = kube
        self.inventories = inventories
        self.cluster = cluster

    async def run(self, request: DryRunRequest, now: datetime) -> DryRunReply:
        try:
            objects = await self._objects(request)
        except Exception as error:
            log.warning("dry run of %s failed: %s", request.application, api_message(error))
            return DryRunReply(
                request_id=request.request_id,
                cluster=self.cluster,
                application=request.application,
                error=f"dry run failed: {api_message(error)}",
                time=now,
            )
        return DryRunReply(
            request_id=request.request_id,
            cluster=self.cluster,
            application=request.application,
            objects=objects,
            time=now,
        )

    async def _objects(self, request: DryRunRequest) -> list[DryRunObject]:
        # The real planner decides what would be applied (labelled, namespace defaulted, in order) and
        # pruned, from the same inventory the reconciler uses.
        desired: Bundle | Removal
        if request.manifests:
            desired = Bundle.build(
                request.application, request.revision or 1, request.generation or 1, request.manifests
            )
            for manifest in request.manifests:
                await self.kube.learn_scope(str(manifest.get("apiVersion")), str(manifest.get("kind")))
        else:
            desired = Removal(
                application=request.application,
                revision=request.revision or 0,
                generation=request.generation or 1,
                reason="unselected",
            )
        inventory = await self.inventories.read(request.application)
        intent = intend(desired, inventory, self.kube.known_scope)
        live: dict[ObjectKey, dict[str, Any] | None] = {
            key_of_ref(r): await self.kube.get(r) for r in intent.prune_candidates
        }
        the_plan = decide(intent, live)

        objects: list[DryRunObject] = []
        created_namespaces: set[str] = set()
        defined_kinds = set(crd_scopes(the_plan.apply))
        for manifest in the_plan.apply:
            result = await self._one(manifest, created_namespaces, defined_kinds)
            if result.ref.kind == "Namespace" and result.state == "created":
                created_namespaces.add(result.ref.name)
            objects.append(result)
        for ref in the_plan.prune:
            objects.append(
                DryRunObject(ref=ref, state="pruned", diff=live_diff(live.get(key_of_ref(ref)), None, str(ref)))
            )
        return objects

    async def _one(
        self, manifest: Manifest, created_namespaces: set[str], defined_kinds: set[tuple[str, str]]
    ) -> DryRunObject:
        ref = ref_of(manifest)
        try:
            current = await self.kube.get(ref)
            after = await self.kube.apply(manifest, dry_run=True)
        except Exception as error:
            why = _created_with_bundle(error, ref, created_namespaces, defined_kinds)
            if why is not None:
                # The API server cannot dry-run it before what it depends on exists: show it as sent.
                return DryRunObject(ref=ref, state="created", diff=live_diff(None, manifest, str(ref)), note=why)
            return DryRunObject(ref=ref, state="rejected", error=api_message(error))
        text = live_diff(current, after, str(ref))
        if current is None:
            return DryRunObject(ref=ref, state="created", diff=text)
        return DryRunObject(ref=ref, state="changed" if text else "unchanged", diff=text)


def _created_with_bundle(
    error: BaseException, ref: ObjectRef, created_namespaces: set[str], defined_kinds: set[tuple[str, str]]
) -> str | None:
    """Why the dry run could not be made, when it is only because the bundle itself creates what the
    object needs; None for a real rejection."""
    if isinstance(error, ResourceNotFoundError) and (group_of(ref.api_version), ref.kind) in defined_kinds:
        return "its kind is defined by a CustomResourceDefinition of this bundle; shown as it would be sent"
    if isinstance(error, ApiException) and error.status == 404 and ref.namespace in created_namespaces:
        return f"namespace {ref.namespace} is created by this bundle; shown as it would be sent"
    return None


class DryRunRequests:
    def __init__(
        self,
        settings: SpokeSettings,
        runner: DryRunner,
        producer: Producer,
        metrics: ClusterMetrics,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = settings
        self.cluster = settings.cluster_id
        self.source = f"spoke/{self.cluster}"
        self.runner = runner
        self.producer = producer
        self.metrics = metrics
        self.clock = clock
        # Latest when the group has no offset yet: a request made before this spoke first listened is
        # long past its deadline. Afterwards the committed offset: a restart skips by deadline.
        self.topic = ClusterTopic(
            settings,
            requests_topic(self.cluster),
            client="dryrun",
            group=group_id(self.cluster),
            offset_reset="latest",
            waiting="live diffs wait for the hub to create it",
        )

    async def start(self) -> None:
        await self.topic.start()

    async def stop(self) -> None:
        await self.topic.stop()

    async def run(self) -> None:
        """Answer requests until cancelled; an unexpected failure restarts the loop after a delay."""
        while True:
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.exception("dry-run requests: %s; starting again", api_message(error))
                await asyncio.sleep(self.settings.requeue_delay)

    async def _serve(self) -> None:
        # The hub creates the request topic (at registration, or at its start for older clusters).
        await self.topic.wait_for_topic()
        await self.topic.follow()
        log.info("answering dry-run requests from %s", self.topic.topic)
        while True:
            for record in await self.topic.poll():
                await self._handle(record)
                await self.topic.commit(record.offset + 1)

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if record.value is None:
            return
        try:
            event = decode_dry_run_request(record.value)
        except WireError as error:
            log.warning("malformed dry-run request at %s@%d: %s; sent to the DLQ", record.topic, record.offset, error)
            self.metrics.dry_runs_total.labels("malformed").inc()
            await self.producer.dead_letter(record, error)
            return
        request = event.data
        if event.cluster != self.cluster:
            log.warning(
                "dry-run request %s is for cluster %s, not this one; skipped", request.request_id, event.cluster
            )
            self.metrics.dry_runs_total.labels("malformed").inc()
            return
        if self.clock() > request.deadline:
            log.info("dry-run request %s for %s is past its deadline; skipped", request.request_id, request.application)
            self.metrics.dry_runs_total.labels("expired").inc()
            return
        reply = await self.runner.run(request, self.clock())
        self.metrics.dry_runs_total.labels("failed" if reply.error else "answered").inc()
        answer = DryRunReplyEvent(source=self.source, cluster=self.cluster, data=reply)
        await self.producer.send(REPLIES_TOPIC, reply_key(str(request.request_id)), encode(answer))
        counts = Counter(o.state for o in reply.objects)
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no objects"
        log.info("dry run of %s answered: %s", request.application, reply.error or summary)
