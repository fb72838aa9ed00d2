"""The inventory record round-trips through its ConfigMap; kind order; dead-letter headers; settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.v1 import ObjectRef
from spoke.inventory import Inventory, from_configmap, inventory_name, merge_refs, to_configmap
from spoke.kinds import apply_order, kind_rank, prune_order
from spoke.main import settings_from

NS = ObjectRef(api_version="v1", kind="Namespace", name="ns")
CM = ObjectRef(api_version="v1", kind="ConfigMap", name="cfg", namespace="ns")
DEPLOY = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="ns")


def test_inventory_round_trip() -> None:
    inventory = Inventory("app", (NS, CM, DEPLOY), revision=3, generation=7, digest="sha256:x")
    configmap = to_configmap(inventory, "fleetcast-system")
    assert configmap["metadata"] == {
        "name": "fleetcast-inv-app",
        "namespace": "fleetcast-system",
        "labels": {"fleetcast.io/inventory": "app", "app.kubernetes.io/part-of": "fleetcast"},
    }
    assert "app.kubernetes.io/managed-by" not in configmap["metadata"]["labels"]  # never pruned or watched
    assert from_configmap(configmap) == inventory
    assert inventory_name("app") == "fleetcast-inv-app"


def test_merge_is_a_union_by_identity_in_apply_order() -> None:
    moved = DEPLOY.model_copy(update={"api_version": "apps/v1beta2"})
    assert merge_refs([DEPLOY, CM], [NS, moved]) == (NS, CM, moved)


def test_kind_order() -> None:
    assert kind_rank("CustomResourceDefinition") < kind_rank("Namespace") < kind_rank("ConfigMap")
    assert kind_rank("Service") < kind_rank("Deployment") < kind_rank("ValidatingWebhookConfiguration")
    assert kind_rank("Widget") > kind_rank("MutatingWebhookConfiguration")
    kinds = ["Deployment", "Namespace", "Widget", "Service"]
    assert apply_order(kinds, str, str) == ["Namespace", "Service", "Deployment", "Widget"]
    assert prune_order(kinds, str, str) == ["Widget", "Deployment", "Service", "Namespace"]


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETCAST_SPOKE_CLUSTER_ID", "from-env")
    monkeypatch.setenv("FLEETCAST_SPOKE_KAFKA_BOOTSTRAP", "env:9092")
    settings = settings_from(["--cluster-id", "from-flag", "--kubeconfig", "/k", "--metrics-port", "9100"])
    assert settings.cluster_id == "from-flag"
    assert settings.kafka_bootstrap == "env:9092"
    assert settings.kubeconfig == Path("/k") and settings.metrics_port == 9100
    assert settings.inventory_namespace == "fleetcast-system" and settings.heartbeat_interval == 10


def test_a_cluster_id_must_be_a_dns_label(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETCAST_SPOKE_CLUSTER_ID", raising=False)
    with pytest.raises(ValidationError):
        settings_from(["--cluster-id", "Not_A_Label"])
