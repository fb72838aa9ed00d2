"""The Grafana dashboards: the committed JSON is what the code generates, each file reads back through
the SDK's own model unchanged, every query reads metrics and labels docs/metrics.md promises, and the
pure query list substitutes every variable (the e2e test runs that list against a real Prometheus)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard
from hypothesis import given
from hypothesis import strategies as st

from deploy.grafana.__main__ import main
from deploy.grafana.queries import UnknownVariable, metric_names, panel_queries, substitute, variable_names
from deploy.grafana.render import DASHBOARDS, OUTPUT, differences, generate, to_json

METRICS_DOC = Path(__file__).parents[2] / "docs" / "metrics.md"
GRAFANA_BUILTINS = {"__rate_interval"}
EXAMPLE_VALUES = {"datasource": "prometheus", "cluster": "cluster-1", "__rate_interval": "1m"}


@cache
def documented_metrics() -> dict[str, set[str]]:
    """docs/metrics.md's tables: metric name -> its labels."""
    metrics: dict[str, set[str]] = {}
    for line in METRICS_DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`fleetcast_"):
            metrics[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[2]))
    return metrics


def committed() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(OUTPUT.glob("*.json"))}


def all_targets(board: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(panel, target) for panel in board["panels"] for target in panel.get("targets", [])]


def test_the_committed_json_is_what_the_code_generates() -> None:
    assert differences(generate(), OUTPUT) == [], "regenerate with: python -m deploy.grafana"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_each_dashboard_reads_back_through_the_sdk_model_unchanged(name: str) -> None:
    register_default_plugins()  # panel and query types by plugin id, as Grafana resolves them
    text = (OUTPUT / name).read_text()
    parsed = Dashboard.from_json(json.loads(text))
    assert to_json(parsed) == text
    assert parsed.uid and parsed.title and parsed.panels


def test_the_check_mode_fails_on_a_stale_file_and_passes_after_generating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1  # nothing there yet
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0
    overview = tmp_path / "fleet-overview.json"
    overview.write_text(overview.read_text().replace("Clusters ready", "Clusters fine"))
    (tmp_path / "old.json").write_text("{}")
    capsys.readouterr()
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "fleet-overview.json: differs" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 0  # rewrites it and removes what the code no longer builds
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(DASHBOARDS)


def test_uids_are_unique_and_panel_ids_unique_within_a_dashboard() -> None:
    boards = committed()
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name


def test_every_query_reads_the_datasource_variable_so_an_import_works_anywhere() -> None:
    for name, board in committed().items():
        assert "datasource" in variable_names(board), name
        for panel, target in all_targets(board):
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (name, panel["title"])
            assert target["datasource"] == panel["datasource"], (name, panel["title"])


def test_every_panel_says_what_it_shows() -> None:
    for name, board in committed().items():
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel.get("title") and panel.get("description"), (name, panel.get("id"))
                assert panel.get("targets"), (name, panel["title"])


def test_queries_read_only_documented_metrics_and_labels() -> None:
    documented = documented_metrics()
    assert len(documented) > 30, "the metrics tables of docs/metrics.md were not read"
    for name, board in committed().items():
        for query in panel_queries(board, EXAMPLE_VALUES):
            metrics = metric_names(query.expr)
            assert metrics, query
            assert metrics <= set(documented), (str(query), metrics - set(documented))
            labels = set().union(*(documented[metric] for metric in metrics)) | {"le"}
            grouped = {
                label.strip() for group in re.findall(r"by \(([^)]*)\)", query.expr) for label in group.split(",")
            }
            matched = set(re.findall(r"[{,]\s*(\w+)\s*[=!]~?", query.expr))
            assert grouped | matched <= labels, (name, str(query), (grouped | matched) - labels)


def test_the_dashboards_together_show_every_documented_metric() -> None:
    shown = {
        metric
        for board in committed().values()
        for q in panel_queries(board, EXAMPLE_VALUES)
        for metric in metric_names(q.expr)
    }
    assert set(documented_metrics()) - shown == set()


def test_the_cluster_pages_filter_by_their_cluster_variable() -> None:
    boards = committed()
    for name in ("cluster.json", "spoke-internals.json"):
        assert "cluster" in variable_names(boards[name])
        for query in panel_queries(boards[name], EXAMPLE_VALUES):
            assert "cluster-1" in query.expr, (name, str(query))


def test_panel_queries_substitute_every_variable_with_a_real_value() -> None:
    for name, board in committed().items():
        queries = panel_queries(board, EXAMPLE_VALUES)
        assert queries, name
        for query in queries:
            assert "$" not in query.expr, str(query)
        used = {v for _, t in all_targets(board) for v in re.findall(r"\$\{?(\w+)", t["expr"])}
        assert used <= variable_names(board) | GRAFANA_BUILTINS, (name, used)
    drill_down = panel_queries(committed()["cluster.json"], EXAMPLE_VALUES)
    assert 'fleetcast_hub_cluster_up{cluster="cluster-1"}' in {q.expr[4:-1] for q in drill_down}


def test_a_query_with_a_variable_given_no_value_is_refused() -> None:
    with pytest.raises(UnknownVariable, match=r"\$cluster"):
        substitute('up{cluster="$cluster"}', {})
    assert substitute("rate(x[${__rate_interval}])", {"__rate_interval": "2m"}) == "rate(x[2m])"
    assert substitute('a{c=~"${cluster:regex}"}', {"cluster": "c1"}) == 'a{c=~"c1"}'


@given(
    names=st.lists(st.from_regex(r"[a-z_]\w{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True),
    value=st.text(alphabet=st.characters(blacklist_characters="$\\"), max_size=12),
)
def test_substitution_leaves_no_variable_behind(names: list[str], value: str) -> None:
    expr = " + ".join(f'm{{l="${name}"}} * ${{{name}}}' for name in names)
    result = substitute(expr, dict.fromkeys(names, value))
    assert "$" not in result
    assert result.count(value) >= 2 * len(names)


def test_the_queries_command_prints_every_panel_query_with_the_values_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--queries", "--set", "cluster=edge-7"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = [q for board in committed().values() for q in panel_queries(board, {**EXAMPLE_VALUES, "cluster": "x"})]
    assert len(lines) == len(expected)
    assert 'fleetcast-cluster\tReachable (A)\tmax(fleetcast_hub_cluster_up{cluster="edge-7"})' in lines
    assert all("$" not in line for line in lines)


def test_the_queries_command_asks_for_a_variable_it_was_not_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--queries"]) == 2
    assert "no value for $cluster" in capsys.readouterr().err
