"""The real Prometheus on the real fleet: it scrapes the hub and every spoke (by cluster), loads the
shipped rules, and what the hub and spokes serve passes `promtool check metrics`."""

from __future__ import annotations

import subprocess

import httpx

from deploy.local.artifacts import PrometheusBinaries
from deploy.local.prometheus import ALERT_RULES, HUB_JOB, SPOKE_JOB, alert_names
from tests.e2e.conftest import Fleetcast, run
from tests.prometheus import PrometheusServer


def test_fleet_prometheus_scrapes_the_hub_and_each_spoke_by_cluster(
    fleet: Fleetcast, fleet_prometheus: PrometheusServer
) -> None:
    up = run(fleet_prometheus.query("up"))
    hub = [s for s in up if s["metric"]["job"] == HUB_JOB]
    spokes = {s["metric"]["cluster"]: s for s in up if s["metric"]["job"] == SPOKE_JOB}
    assert [s["metric"]["instance"] for s in hub] == [f"127.0.0.1:{fleet.hub_port}"]
    assert set(spokes) == {c.name for c in fleet.clusters}
    assert all(s["value"][1] == "1" for s in [*hub, *spokes.values()])
    # the spokes' own metrics arrive labelled with their cluster
    reports = run(fleet_prometheus.query(f'count by (cluster) (fleetcast_spoke_reports_total{{job="{SPOKE_JOB}"}})'))
    assert {s["metric"]["cluster"] for s in reports} == {c.name for c in fleet.clusters}
    # and the hub's from the hub
    assert run(fleet_prometheus.query(f'fleetcast_hub_outbox_pending{{job="{HUB_JOB}"}}'))


def test_fleet_prometheus_evaluates_every_shipped_rule_without_error(fleet_prometheus: PrometheusServer) -> None:
    run(fleet_prometheus.wait_for_evaluation())
    rules = [rule for group in run(fleet_prometheus.rules()) for rule in group["rules"]]
    assert sorted(rule["name"] for rule in rules) == sorted(alert_names(ALERT_RULES.read_text()))
    assert [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"] == []


def test_a_query_prometheus_refuses_fails_with_its_reason(fleet_prometheus: PrometheusServer) -> None:
    try:
        run(fleet_prometheus.query("sum by (cluster"))
    except AssertionError as error:
        assert "bad_data" in str(error)
    else:
        raise AssertionError("a malformed query was answered")


def _check_metrics(binaries: PrometheusBinaries, url: str) -> subprocess.CompletedProcess[str]:
    exposition = httpx.get(url, timeout=30).raise_for_status().text
    return subprocess.run(
        [str(binaries.promtool), "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_hub_metrics_pass_promtool_check_metrics(fleet: Fleetcast, prometheus_binaries: PrometheusBinaries) -> None:
    result = _check_metrics(prometheus_binaries, f"{fleet.hub_url}/metrics")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_spoke_metrics_pass_promtool_check_metrics(
    fleet: Fleetcast, prometheus_binaries: PrometheusBinaries
) -> None:
    for cluster, port in fleet.metrics_ports.items():
        result = _check_metrics(prometheus_binaries, f"http://127.0.0.1:{port}/metrics")
        assert result.returncode == 0, f"{cluster}: {result.stdout}{result.stderr}"
