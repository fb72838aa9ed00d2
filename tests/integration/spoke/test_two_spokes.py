"""Two spokes, for two clusters, in one process and one event loop, on the real fleet: each applies its
own desired state to its own cluster, reports as itself, and labels its metrics with its cluster in the
registry they share."""

from __future__ import annotations

import uuid

from prometheus_client import CollectorRegistry

from schemas.v1 import Health
from schemas.v1.topics import desired_topic_spec
from spoke.metrics import SpokeMetrics
from tests.integration.conftest import RunningFleet
from tests.integration.spoke.conftest import Fleet, configmap, create_topics, running_spoke


async def test_two_spokes_in_one_process_each_apply_and_report_as_their_cluster(
    fleet: Fleet, local_fleet: RunningFleet
) -> None:
    # The second spoke runs against another real cluster of the session fleet.
    other = fleet.with_cluster(f"it-{uuid.uuid4().hex[:8]}")
    other.kubeconfig = local_fleet.clusters[1].kubeconfig
    await create_topics(fleet.bootstrap, [desired_topic_spec(other.cluster)])
    registry = CollectorRegistry()
    metrics = SpokeMetrics(registry)
    apps = {fleet.cluster: f"one-{uuid.uuid4().hex[:6]}", other.cluster: f"two-{uuid.uuid4().hex[:6]}"}

    async with (
        running_spoke(fleet.settings(), metrics=metrics),
        running_spoke(other.settings(), metrics=metrics),
    ):
        for each in (fleet, other):
            app = apps[each.cluster]
            await each.publish_bundle(app, 1, [configmap(app, "default", who=each.cluster)])
        for each in (fleet, other):
            report = await each.status(
                apps[each.cluster], lambda r: r.health is Health.READY and r.last_applied_revision == 1
            )
            assert report.cluster == each.cluster
            heartbeat = await each.heartbeat()
            assert heartbeat.cluster == each.cluster
        # Each spoke applied to its own cluster only.
        assert await fleet.get("v1", "ConfigMap", apps[fleet.cluster], "default") is not None
        assert await fleet.gone("v1", "ConfigMap", apps[other.cluster], "default")
        for each in (fleet, other):
            labels = {"cluster": each.cluster, "result": "success"}
            assert (registry.get_sample_value("fleetcast_spoke_reconcile_total", labels) or 0) >= 1
            assert registry.get_sample_value("fleetcast_spoke_applications", {"cluster": each.cluster}) == 1
