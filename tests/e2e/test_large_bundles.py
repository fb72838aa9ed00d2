"""An application of several MB — big CRDs, as monitoring stacks ship — deploys to real clusters through
`fleetcast apply`; one that no record could hold even compressed is refused, naming the limit, and
nothing of it reaches Kafka."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from schemas.v1 import decode_desired
from schemas.v1.topics import DEFAULT_MAX_MESSAGE_BYTES, desired_topic
from tests import kube
from tests.crds import crds_of_size
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import BOTH, converged, deploy
from tests.kafka import read_all
from tests.waiting import eventually

MIB = 1024 * 1024
CLUSTERS = ("cluster-1", "cluster-2")


def test_an_application_of_several_mb_of_crds_deploys_and_is_reported_applied(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    group = f"{app_name}.fleetcast.test"
    # ~4 MB of YAML in ~10 CRDs of ~400 KB: four times what a record held before compression.
    path = tmp_path / "crds.yaml"
    path.write_text(crds_of_size(4 * MIB, group, embeds=100))
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(path.read_text())]
    assert path.stat().st_size > 4 * MIB and len(names) >= 8

    applied = deploy(fleet, app_name, path)
    assert applied["revision"] == 1
    eventually(lambda: converged(fleet, app_name, 1, set(CLUSTERS)), "the CRDs applied and Ready", timeout=240)
    for cluster in CLUSTERS:
        kubeconfig = fleet.cluster_files(cluster).kubeconfig
        for name in (names[0], names[-1]):
            live = kube.get(kubeconfig, "apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            assert live is not None, f"{name} missing on {cluster}"
            established = [c for c in live["status"]["conditions"] if c["type"] == "Established"]
            assert established and established[0]["status"] == "True"

    # Uninstalled again, so the clusters do not carry ten big CRDs through the rest of the session (their
    # removal takes the API servers the better part of a minute: not waited for here).
    result = fleet.cli("delete", app_name)
    assert result.returncode == 0, result.stderr


def test_an_application_too_big_even_compressed_is_refused_and_nothing_is_published(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    # Random data hardly compresses (base64 of it: to 3/4): six ConfigMaps of 300 KB (each one fine for
    # Kubernetes), 1.8 MB in all, ~1.35 MB compressed.
    configmaps = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"blob-{index}", "namespace": "default"},
            "data": {"blob": base64.b64encode(os.urandom(225_000)).decode()},
        }
        for index in range(6)
    ]
    path = tmp_path / "blobs.yaml"
    path.write_text(yaml.safe_dump_all(configmaps))

    result = fleet.cli("apply", app_name, "-f", str(path), "--selector", BOTH)
    assert result.returncode == 1
    assert "422" in result.stderr and f"application {app_name}, cluster cluster-" in result.stderr
    assert f"more than the {DEFAULT_MAX_MESSAGE_BYTES} bytes a desired-state message may have" in result.stderr

    # Nothing stored, nothing on any desired topic.
    assert fleet.cli("status", app_name).returncode == 1
    for cluster in CLUSTERS:
        for record in read_all(fleet.infra.kafka_bootstrap, desired_topic(cluster)):
            assert record.key != app_name.encode(), decode_desired(record.value or b"")
