"""The shipped alert rules on a real Prometheus scraping the real fleet, after real faults.

Production `for:` durations are minutes; here every `for:` is cut to SHORT_FOR by
`deploy.local.prometheus.with_shorter_for` from the shipped file, so the expressions, labels and
annotations are exactly the shipped ones and only the waits are shorter. Nothing sleeps a fixed time:
each step waits for the alert's own state in /api/v1/alerts.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from deploy.local.prometheus import ALERT_RULES, HUB_JOB, SPOKE_JOB, with_shorter_for
from tests import kube
from tests.e2e.apps import web_app
from tests.e2e.conftest import Fleetcast, run
from tests.e2e.test_rollout import BOTH, converged, image_for
from tests.prometheus import PrometheusServer
from tests.waiting import eventually

# Longer than a few evaluations (1 s each), so a blip does not fire, and short enough for a test.
SHORT_FOR = "5s"
VICTIM = "cluster-2"

AlertKey = tuple[str, str]  # (alertname, cluster or "")


def _key(alert: dict[str, Any]) -> AlertKey:
    return alert["labels"]["alertname"], alert["labels"].get("cluster", "")


def _firing(alerts: list[dict[str, Any]]) -> set[AlertKey]:
    return {_key(a) for a in alerts if a["state"] == "firing"}


def _started(
    fleet: Fleetcast, start_prometheus: Callable[..., PrometheusServer], tmp_path: Path
) -> tuple[PrometheusServer, set[AlertKey]]:
    """A Prometheus with the shortened rules scraping the fleet, and the alerts pending or firing before
    the test's fault: what the session's earlier tests left behind (a degraded application, say) is not
    this test's doing. A few evaluation rounds over a few scrapes first (rate() needs two samples)."""
    server = start_prometheus(fleet.scrape_targets(), rule_files=[_short_rules(tmp_path)])
    run(server.wait_for_targets({HUB_JOB, SPOKE_JOB}, timeout=120))
    for _ in range(3):
        run(server.wait_for_evaluation())
    return server, {_key(a) for a in run(server.alerts())}


def _short_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(with_shorter_for(ALERT_RULES.read_text(), SHORT_FOR))
    return rules


def test_a_stopped_spoke_fires_unreachable_and_silent_for_its_cluster_only_then_resolves(
    fleet: Fleetcast, start_prometheus: Callable[..., PrometheusServer], tmp_path: Path
) -> None:
    server, before = _started(fleet, start_prometheus, tmp_path)
    assert not {key for key in before if key[1] == VICTIM}, f"{VICTIM} alerts before the fault: {before}"

    expected = {("FleetcastSpokeSilent", VICTIM), ("FleetcastClusterUnreachable", VICTIM)}

    fleet.kill_spoke(VICTIM, signal.SIGTERM)
    try:
        alerts = run(
            server.wait_for_alerts(
                lambda alerts: expected <= _firing(alerts),
                f"{sorted(expected)} firing after the spoke of {VICTIM} stopped",
                timeout=180,
            )
        )
        # Only the stopped cluster's alerts are new: no other cluster, no other alert.
        assert _firing(alerts) - before == expected
        silent = next(a for a in alerts if _key(a) == ("FleetcastSpokeSilent", VICTIM))
        assert silent["labels"]["severity"] == "warning"
        assert silent["annotations"]["summary"] == f"The spoke of cluster {VICTIM} is silent"
        assert silent["annotations"]["runbook_url"] == "docs/observability.md#fleetcastspokesilent"
    finally:
        fleet.start_spoke(VICTIM)

    run(
        server.wait_for_alerts(
            lambda alerts: not {_key(a) for a in alerts} & expected,
            f"{sorted(expected)} resolved after the spoke of {VICTIM} came back",
            timeout=180,
        )
    )


def test_drift_under_the_alert_policy_fires_drift_not_corrected_until_a_release_corrects_it(
    fleet: Fleetcast, app_name: str, start_prometheus: Callable[..., PrometheusServer], tmp_path: Path
) -> None:
    """A field Fleetcast manages is changed by hand on cluster-2 under drift policy `alert`: the spoke
    reports it and leaves it; FleetcastDriftNotCorrected fires for that cluster and application only. A
    release with policy `correct` re-applies it, and the alert resolves."""
    manifests = yaml.safe_dump_all(web_app(app_name, image_for(app_name, "1.0.0")), sort_keys=False)
    with fleet.client() as client:
        _, applied = client.update_application(app_name, manifests=manifests, selector=BOTH, drift={"mode": "alert"})
    try:
        assert applied["drift"]["mode"] == "alert", applied
        _drift_fires_then_resolves(fleet, app_name, applied, start_prometheus, tmp_path)
    finally:
        fleet.cli("delete", app_name)


def _drift_fires_then_resolves(
    fleet: Fleetcast,
    app_name: str,
    applied: dict[str, Any],
    start_prometheus: Callable[..., PrometheusServer],
    tmp_path: Path,
) -> None:
    assert applied["drift"]["mode"] == "alert"
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready on both")
    server, before = _started(fleet, start_prometheus, tmp_path)
    drifted = ("FleetcastDriftNotCorrected", "cluster-2")

    kubeconfig = fleet.cluster_files("cluster-2").kubeconfig
    by_hand = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-config", "namespace": app_name},
        "data": {"GREETING": "edited by hand"},
    }
    kube.create(kubeconfig, by_hand)  # server-side apply as another field manager, taking the field over

    def ours(alert: dict[str, Any]) -> bool:
        return _key(alert) == drifted and alert["labels"].get("application") == app_name

    alerts = run(
        server.wait_for_alerts(
            lambda alerts: any(ours(a) and a["state"] == "firing" for a in alerts),
            f"FleetcastDriftNotCorrected firing for {app_name} on cluster-2",
            timeout=180,
        )
    )
    alert = next(a for a in alerts if ours(a))
    assert alert["labels"]["mode"] == "alert"
    assert alert["annotations"]["summary"] == f"1 object(s) of {app_name} drifted on cluster cluster-2"
    assert _firing(alerts) - before == {drifted}
    # under `alert` the spoke left the edit in place
    live = kube.get(kubeconfig, "v1", "ConfigMap", "web-config", app_name)
    assert live is not None and live["data"]["GREETING"] == "edited by hand"

    with fleet.client() as client:
        client.update_application(app_name, drift={"mode": "correct"})
    run(
        server.wait_for_alerts(
            lambda alerts: not any(ours(a) for a in alerts),
            f"FleetcastDriftNotCorrected resolved for {app_name} after the release with policy correct",
            timeout=180,
        )
    )
    live = kube.get(kubeconfig, "v1", "ConfigMap", "web-config", app_name)
    assert live is not None and live["data"]["GREETING"] == "hello"
