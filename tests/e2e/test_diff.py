"""Diff preview end to end, through `fleetcast`, on the real fleet: an application on two clusters, a
field changed by hand on ONE of them with another field manager, and `fleetcast diff --live` shows that
field on that cluster only; a registered cluster without a spoke is listed as not answering."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged, deploy, image_for
from tests.waiting import eventually

HAND_MADE = "changed-by-hand"


def change_by_hand(fleet: Fleetcast, cluster: str, namespace: str) -> None:
    """What an operator with kubectl would do: apply the field with a field manager of their own."""
    files = fleet.cluster_files(cluster)
    kube.create(
        files.kubeconfig,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web-config", "namespace": namespace},
            "data": {"GREETING": HAND_MADE},
        },
    )


def live_diff(fleet: Fleetcast, app: str, manifests: Path, selector: str) -> tuple[int, dict[str, Any]]:
    result = fleet.cli(
        "diff", app, "-f", str(manifests), "--selector", selector, "--live", "--timeout", "8", "-o", "json"
    )
    assert result.returncode in (0, 1), result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, body


def test_a_live_diff_shows_a_field_changed_by_hand_on_one_cluster(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    manifests = write(tmp_path / "v1.yaml", web_app(app_name, image_for(app_name, "1.0.0")))
    deploy(fleet, app_name, manifests)
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready on both")

    # The same manifests change nothing: exit 0.
    unchanged = fleet.cli("diff", app_name, "-f", str(manifests))
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert unchanged.stdout.rstrip().endswith("no changes")

    # A cluster registered without a spoke, selected by the new selector: it can only time out.
    ghost, ghost_env = f"ghost-{uuid.uuid4().hex[:6]}", f"ghost{uuid.uuid4().hex[:6]}"
    with fleet.client() as client:
        client.register_cluster(ghost, {"env": ghost_env})
    try:
        selector = f"env in (staging,prod,{ghost_env})"

        def drift_shown() -> tuple[int, dict[str, Any]] | None:
            # The spoke's periodic resync may revert the hand-made change before the diff looks: then
            # make it again and look again.
            change_by_hand(fleet, "cluster-1", app_name)
            code, body = live_diff(fleet, app_name, manifests, selector)
            cluster_1 = next(c for c in body["clusters"] if c["cluster"] == "cluster-1")
            changed = [o for o in cluster_1["live"]["objects"] if o["state"] != "unchanged"]
            return (code, body) if changed else None

        code, body = eventually(drift_shown, "the hand-made change in a live diff", timeout=120, interval=1)
        assert code == 1  # changes found
        by = {c["cluster"]: c for c in body["clusters"]}

        # cluster-1: its desired state is unchanged; live, the ConfigMap's field would be set back.
        assert by["cluster-1"]["change"] == "stay" and by["cluster-1"]["objects"] == []
        assert by["cluster-1"]["live"]["state"] == "answered"
        (drifted,) = [o for o in by["cluster-1"]["live"]["objects"] if o["state"] != "unchanged"]
        assert (drifted["identity"], drifted["state"]) == (f"ConfigMap/{app_name}/web-config", "changed")
        lines = drifted["diff"].splitlines()
        assert f"-  GREETING: {HAND_MADE}" in lines and "+  GREETING: hello" in lines
        assert {o["kind"] for o in by["cluster-1"]["live"]["objects"]} == {
            "Namespace",
            "ConfigMap",
            "Deployment",
            "Service",
        }

        # cluster-2: nothing changed by hand there, nothing to show.
        assert by["cluster-2"]["live"]["state"] == "answered"
        assert {o["state"] for o in by["cluster-2"]["live"]["objects"]} == {"unchanged"}

        # The cluster without a spoke: it would get everything, and it did not answer.
        assert by[ghost]["change"] == "enter"
        assert {o["change"] for o in by[ghost]["objects"]} == {"added"}
        assert by[ghost]["live"]["state"] == "timeout"
        assert body["summary"]["entering"] == [ghost]
        assert body["summary"]["live"]["answered"] == 2 and body["summary"]["live"]["timeout"] == 1
        assert not body["summary"]["complete"]

        # The same as text, through `apply --dry-run`: a preview, nothing applied.
        preview = fleet.cli("apply", app_name, "-f", str(manifests), "--selector", selector, "--dry-run")
        assert preview.returncode == 0, preview.stderr
        assert f"== {ghost} (enter): 4 added" in preview.stdout
        assert fleet.cli_json("status", app_name)["revision"] == 1
    finally:
        with fleet.client() as client:
            client.deregister_cluster(ghost)
            client.delete_application(app_name)
