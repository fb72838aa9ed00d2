"""The shipped alert rules and the generated configuration, checked by the real promtool (built once per
machine, like the Kubernetes binaries), and loaded by a real Prometheus."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from deploy.local.artifacts import PrometheusBinaries
from deploy.local.prometheus import ALERT_RULES, ScrapeTargets, alert_names, with_shorter_for, write_config
from tests.prometheus import PrometheusServer

RULE_TESTS = ALERT_RULES.parent / "alerts_test.yaml"


def promtool(binaries: PrometheusBinaries, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binaries.promtool), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def test_shipped_rules_pass_promtool_check(prometheus_binaries: PrometheusBinaries) -> None:
    result = promtool(prometheus_binaries, "check", "rules", str(ALERT_RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_names(ALERT_RULES.read_text()))} rules found" in result.stdout


def test_every_alert_fires_and_stays_quiet_where_its_unit_tests_say(prometheus_binaries: PrometheusBinaries) -> None:
    result = promtool(prometheus_binaries, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules_fails_on_a_wrong_expectation(
    prometheus_binaries: PrometheusBinaries, tmp_path: Path
) -> None:
    """The check above can fail: a case expecting an alert before its `for:` is over is refused."""
    tests = yaml.safe_load(RULE_TESTS.read_text())
    first = tests["tests"][0]["alert_rule_test"]
    quiet = next(check for check in first if not check["exp_alerts"])
    firing = next(check for check in first if check["exp_alerts"])
    quiet["exp_alerts"] = firing["exp_alerts"]
    tests["rule_files"] = [str(ALERT_RULES)]
    wrong = tmp_path / "wrong_test.yaml"
    wrong.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = promtool(prometheus_binaries, "test", "rules", str(wrong))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_shortened_rules_for_tests_pass_promtool_check(prometheus_binaries: PrometheusBinaries, tmp_path: Path) -> None:
    short = tmp_path / "alerts.yaml"
    short.write_text(with_shorter_for(ALERT_RULES.read_text(), "3s"))
    result = promtool(prometheus_binaries, "check", "rules", str(short))
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_config_passes_promtool_check(prometheus_binaries: PrometheusBinaries, tmp_path: Path) -> None:
    targets = ScrapeTargets(hub="127.0.0.1:8080", spokes={"cluster-1": "127.0.0.1:9101", "cluster-2": "127.0.0.1:9102"})
    config, _ = write_config(tmp_path, targets, [ALERT_RULES], interval="5s")
    result = promtool(prometheus_binaries, "check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_real_prometheus_loads_every_rule_and_reports_missing_targets(
    start_prometheus: Callable[..., PrometheusServer], tmp_path: Path
) -> None:
    """Nothing to scrape: the hub and the spokes are absent, which is itself an alert (`for:` shortened)."""
    rules = tmp_path / "alerts.yaml"
    rules.write_text(with_shorter_for(ALERT_RULES.read_text(), "2s"))
    server = start_prometheus(ScrapeTargets(hub=None), rule_files=[rules])

    asyncio.run(server.wait_for_evaluation())
    loaded = [rule for group in asyncio.run(server.rules()) for rule in group["rules"]]
    assert {rule["name"] for rule in loaded} == set(alert_names(ALERT_RULES.read_text()))
    # every expression evaluates on a real Prometheus (a typo in a function name would be an error here)
    assert [(rule["name"], rule.get("lastError")) for rule in loaded if rule["health"] != "ok"] == []

    def firing(alerts: list[dict[str, Any]]) -> bool:
        names = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
        return names == {"FleetcastHubDown", "FleetcastSpokeSilent"}

    alerts = asyncio.run(server.wait_for_alerts(firing, "hub and spokes reported absent", timeout=60))
    silent = next(a for a in alerts if a["labels"]["alertname"] == "FleetcastSpokeSilent")
    assert silent["annotations"]["summary"] == "No Fleetcast spoke is scraped"
