"""The spoke's view of live objects: a reconcile never overwrites what the watch delivered while it ran."""

from __future__ import annotations

from typing import Any, cast

from prometheus_client import CollectorRegistry

from schemas.v1 import ObjectRef
from spoke.agent import Spoke
from spoke.metrics import Metrics
from spoke.objects import key_of
from spoke.settings import SpokeSettings

REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")


def deployment(available: str, version: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": version},
        "status": {"conditions": [{"type": "Available", "status": available}]},
    }


def spoke() -> Spoke:
    # Nothing here talks to Kubernetes or Kafka: only the live view is exercised.
    nothing = cast(Any, None)
    return Spoke(SpokeSettings(cluster_id="c1"), nothing, nothing, Metrics(CollectorRegistry()))


def test_a_watch_update_during_a_reconcile_wins_over_its_read_back_copy() -> None:
    agent = spoke()
    started = agent._watch_updates  # the reconcile starts
    agent._on_watch_event("MODIFIED", deployment("True", "12"))  # the rollout finishes meanwhile
    agent._remember({REF: deployment("False", "11")}, started)  # the reconcile ends with its older copy
    assert agent.live[key_of(deployment("True", "12"))]["status"]["conditions"][0]["status"] == "True"


def test_a_reconcile_read_back_replaces_an_older_watch_copy() -> None:
    agent = spoke()
    agent._on_watch_event("MODIFIED", deployment("False", "11"))
    started = agent._watch_updates
    agent._remember({REF: deployment("True", "12")}, started)
    assert agent.live[key_of(deployment("True", "12"))]["metadata"]["resourceVersion"] == "12"
