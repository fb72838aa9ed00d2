"""The security-fix path end to end, through `fleetcast`, on four real clusters with the hub and spokes
as processes: a fix campaign takes two applications (each under its own strategy) from a vulnerable
image to the fixed one on every cluster, and follows what the spokes report down to zero vulnerable
clusters; an announced image version deploys to staging only, and production waits for an approver.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged
from tests.e2e.test_staged_rollouts import ALL, STAGING, live_image, strategy, until, waves
from tests.waiting import eventually

REGISTRY = "registry.example.test:5000"


def deploy(fleet: Fleetcast, app: str, image: str, tmp_path: Path, *extra: str) -> None:
    path = write(tmp_path / f"{app}.yaml", web_app(app, image))
    result = fleet.cli("apply", app, "-f", str(path), "--selector", "ring", *extra)
    assert result.returncode == 0, result.stderr


def test_a_campaign_fixes_two_applications_through_their_strategies_down_to_zero_vulnerable_clusters(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    image = f"{REGISTRY}/{app_name}/nginx"
    front, back = f"{app_name}-front", f"{app_name}-back"
    deploy(fleet, front, f"{image}:1.27.3", tmp_path)
    deploy(fleet, back, f"{image}:1.26.0", tmp_path)
    for app in (front, back):
        eventually(lambda app=app: converged(fleet, app, 1, ALL), f"{app} Ready on all four clusters", timeout=120)
    # Each application rolls out under its own strategy: staging, canary, then prod.
    soak = {"minHealthy": "2s", "progressDeadline": "2m"}
    strategy(fleet, tmp_path, f"{app_name}-a", {"waves": waves(staging=soak, canary=soak, prod=soak)})
    strategy(fleet, tmp_path, f"{app_name}-b", {"waves": [{"name": "all", "selector": "ring", **soak}]})
    for app, name in ((front, f"{app_name}-a"), (back, f"{app_name}-b")):
        set_strategy = fleet.cli(
            "apply", app, "-f", str(tmp_path / f"{app}.yaml"), "--selector", "ring", "--strategy", name
        )
        assert set_strategy.returncode == 0, set_strategy.stderr

    dry = fleet.cli_json("fix", image, "--to", "1.27.4", "--dry-run")
    assert dry["dry_run"] is True and dry["campaign"] is None
    assert {f["application"]: f["found"] for f in dry["plan"]["fixes"]} == {
        front: [f"{image}:1.27.3"],
        back: [f"{image}:1.26.0"],
    }
    assert fleet.cli_json("status", front)["revision"] == 1, "a dry run changes nothing"

    started = fleet.cli_json("fix", image, "--to", "1.27.4")
    campaign = started["campaign"]
    assert {a["application"] for a in campaign["applications"]} == {front, back}
    assert all(a["run_id"] is not None for a in campaign["applications"])

    watched = fleet.cli("campaign", "status", str(campaign["id"]), "--watch", "--interval", "1", timeout=600)
    assert watched.returncode == 0, (watched.stdout, watched.stderr)
    assert "vulnerable cluster(s)" in watched.stdout
    done = fleet.cli_json("campaign", "status", str(campaign["id"]))
    assert done["state"] == "succeeded" and done["vulnerable_clusters"] == 0, done
    assert {a["run_state"] for a in done["applications"]} == {"succeeded"}
    for app in (front, back):
        for cluster in ALL:
            assert live_image(fleet, cluster, app) == f"{image}:1.27.4"
    # Each went out under its own strategy, in waves.
    front_run = fleet.cli_json("rollout", "status", front)
    assert front_run["strategy"] == f"{app_name}-a" and [w["name"] for w in front_run["waves"]] == [
        "staging",
        "canary",
        "prod",
    ]
    finished = [e for e in fleet.cli_json("audit", "--action", "campaign.", "--limit", "100")]
    assert any(e["action"] == "campaign.finished" and e["details"]["campaign"] == campaign["id"] for e in finished)


def test_an_announced_version_deploys_to_staging_only_and_production_waits_for_an_approver(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    image = f"{REGISTRY}/{app_name}/api"
    deploy(fleet, app_name, f"{image}:2.3.0", tmp_path)
    eventually(lambda: converged(fleet, app_name, 1, ALL), "revision 1 Ready on all four clusters", timeout=120)
    staging_first = f"{app_name}-staging-first"
    spec: dict[str, Any] = {
        "waves": [
            {"name": "staging", "selector": "ring=staging", "minHealthy": "2s", "progressDeadline": "2m"},
            {
                "name": "production",
                "selector": "ring in (canary,prod)",
                "before": [{"approval": {"role": "approver"}}],
            },
        ]
    }
    strategy(fleet, tmp_path, staging_first, spec)
    policy = fleet.cli_json(
        "auto-update", "set", app_name, "--image", image, "--constraint", "^2", "--strategy", staging_first
    )
    assert policy["auto_update"] == [{"image": image, "constraint": "^2", "strategy": staging_first}]

    ignored = fleet.cli_json("announce", image, "3.0.0")
    assert ignored["applications"][0]["updated"] is False
    announced = fleet.cli_json("announce", image, "2.4.0")
    (update,) = announced["applications"]
    assert update["updated"] and update["revision"] == 2

    waiting = until(fleet, app_name, "waiting-for-approval")
    assert waiting["wave"] == "production"
    eventually(lambda: converged(fleet, app_name, 2, set(STAGING), exact=False), "2.4.0 Ready on staging", timeout=120)
    assert live_image(fleet, STAGING[0], app_name) == f"{image}:2.4.0"
    for cluster in ALL - set(STAGING):
        assert live_image(fleet, cluster, app_name) == f"{image}:2.3.0", cluster
    entries = fleet.cli_json("audit", "--app", app_name, "--action", "release.created", "--limit", "10")
    assert entries[0]["actor"] == "system:auto-update" and entries[0]["revision"] == 2
    assert json.dumps(entries[0]["details"]["image_overrides"]) == json.dumps({image: "2.4.0"})


def test_an_image_override_is_a_release_that_reaches_every_cluster_and_can_be_removed(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    image = f"{REGISTRY}/{app_name}/web"
    deploy(fleet, app_name, f"{image}:1.0.0", tmp_path)
    eventually(lambda: converged(fleet, app_name, 1, ALL), "revision 1 Ready on all four clusters", timeout=120)

    overridden = fleet.cli_json("set-image", app_name, f"{image}=1.0.1")
    assert overridden["revision"] == 2 and overridden["image_overrides"] == {image: "1.0.1"}
    eventually(lambda: converged(fleet, app_name, 2, ALL), "the override Ready on all four clusters", timeout=120)
    for cluster in ALL:
        assert live_image(fleet, cluster, app_name) == f"{image}:1.0.1"
    (newest, *_) = fleet.cli_json("releases", app_name)
    assert newest["image_overrides"] == {image: "1.0.1"} and newest["source_manifests"] is not None

    removed = fleet.cli_json("set-image", app_name, f"{image}-")
    assert removed["revision"] == 3 and removed["image_overrides"] == {}
    eventually(lambda: converged(fleet, app_name, 3, ALL), "the manifests' own image back everywhere", timeout=120)
    assert {live_image(fleet, cluster, app_name) for cluster in ALL} == {f"{image}:1.0.0"}
    refused = fleet.cli("set-image", app_name, "redis=7")
    assert refused.returncode != 0 and "docker.io/library/redis" in refused.stderr
