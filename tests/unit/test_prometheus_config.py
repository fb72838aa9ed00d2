from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from deploy.local.prometheus import (
    ALERT_RULES,
    HUB_JOB,
    SPOKE_JOB,
    ScrapeTargets,
    alert_names,
    duration_seconds,
    file_sd_groups,
    prometheus_args,
    prometheus_config,
    with_shorter_for,
    write_config,
)

TARGETS = ScrapeTargets(hub="127.0.0.1:8080", spokes={"cluster-2": "127.0.0.1:9102", "cluster-1": "127.0.0.1:9101"})


def test_spoke_targets_carry_their_cluster_label_and_the_hub_none() -> None:
    groups = file_sd_groups(TARGETS)
    assert groups["hub.json"] == [{"targets": ["127.0.0.1:8080"], "labels": {}}]
    assert groups["spokes.json"] == [
        {"targets": ["127.0.0.1:9101"], "labels": {"cluster": "cluster-1"}},
        {"targets": ["127.0.0.1:9102"], "labels": {"cluster": "cluster-2"}},
    ]


def test_no_hub_means_an_empty_hub_target_list() -> None:
    assert file_sd_groups(ScrapeTargets(hub=None))["hub.json"] == []


def test_config_scrapes_both_jobs_from_their_target_files_and_loads_the_rules() -> None:
    config = prometheus_config(Path("/state/targets"), [ALERT_RULES], "5s")
    assert config["global"] == {"scrape_interval": "5s", "evaluation_interval": "5s", "scrape_timeout": "5s"}
    assert config["rule_files"] == [str(ALERT_RULES)]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {HUB_JOB, SPOKE_JOB}
    assert jobs[HUB_JOB]["file_sd_configs"] == [{"files": ["/state/targets/hub.json"]}]
    assert jobs[SPOKE_JOB]["file_sd_configs"] == [{"files": ["/state/targets/spokes.json"]}]
    # a scrape timeout longer than the interval is refused by Prometheus
    assert all(job["scrape_timeout"] == job["scrape_interval"] for job in jobs.values())


def test_write_config_lays_out_config_and_target_files(tmp_path: Path) -> None:
    config, data = write_config(tmp_path, TARGETS, [ALERT_RULES], interval="1s")
    assert data == tmp_path / "data"
    loaded = yaml.safe_load(config.read_text())
    assert loaded["global"]["scrape_interval"] == "1s"
    assert (tmp_path / "targets" / "spokes.json").exists()
    assert not list((tmp_path / "targets").glob(".*partial"))


def test_prometheus_listens_on_loopback_with_reload_enabled() -> None:
    argv = prometheus_args(Path("/bin/prometheus"), Path("/s/prometheus.yml"), Path("/s/data"), 9090)
    assert argv[0] == "/bin/prometheus"
    assert "--web.listen-address=127.0.0.1:9090" in argv
    assert "--config.file=/s/prometheus.yml" in argv
    assert "--web.enable-lifecycle" in argv


@pytest.mark.parametrize(("text", "seconds"), [("5s", 5), ("2m", 120), ("1h30m", 5400), ("500ms", 0.5), ("1d", 86400)])
def test_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "5x", "1h junk"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        duration_seconds(text)


SHIPPED = ALERT_RULES.read_text()


def _rules(text: str) -> dict[str, dict[str, object]]:
    document = yaml.safe_load(text)
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def test_shorter_for_changes_only_the_waits() -> None:
    shipped = _rules(SHIPPED)
    short = _rules(with_shorter_for(SHIPPED, "3s"))
    assert set(short) == set(shipped)
    for name, rule in shipped.items():
        cut = short[name]
        assert {k: v for k, v in cut.items() if k != "for"} == {k: v for k, v in rule.items() if k != "for"}
        assert ("for" in cut) == ("for" in rule)
        if "for" in rule:
            assert duration_seconds(str(cut["for"])) <= 3


@given(st.integers(min_value=1, max_value=3600))
def test_shorter_for_never_lengthens_a_wait(limit: int) -> None:
    shipped = _rules(SHIPPED)
    short = _rules(with_shorter_for(SHIPPED, f"{limit}s"))
    for name, rule in shipped.items():
        if "for" in rule:
            wanted = min(duration_seconds(str(rule["for"])), limit)
            assert duration_seconds(str(short[name]["for"])) == wanted


EXPECTED_ALERTS = {
    "FleetcastClusterUnreachable",
    "FleetcastSpokeSilent",
    "FleetcastSpokeReconcileErrors",
    "FleetcastApplicationDegraded",
    "FleetcastDriftNotCorrected",
    "FleetcastRolloutPaused",
    "FleetcastRolloutFailed",
    "FleetcastHubDown",
    "FleetcastOutboxBacklogGrowing",
    "FleetcastDLQGrowing",
}


def test_every_alert_has_severity_summary_description_and_a_runbook_anchor() -> None:
    rules = _rules(SHIPPED)
    assert set(alert_names(SHIPPED)) == EXPECTED_ALERTS
    for name, rule in rules.items():
        labels = rule["labels"]
        annotations = rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels["severity"] in {"critical", "warning", "info"}, name
        assert annotations["summary"] and annotations["description"], name
        assert annotations["runbook_url"] == f"docs/observability.md#{name.lower()}"


def test_every_alert_has_a_runbook_section_in_the_docs() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "observability.md").read_text()
    for name in EXPECTED_ALERTS:
        assert f"\n### {name}\n" in docs, f"docs/observability.md has no section for {name}"


def test_every_alert_has_unit_tests_that_fire_it_and_keep_it_quiet() -> None:
    tests = yaml.safe_load((ALERT_RULES.parent / "alerts_test.yaml").read_text())
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == EXPECTED_ALERTS
    assert quiet == EXPECTED_ALERTS
