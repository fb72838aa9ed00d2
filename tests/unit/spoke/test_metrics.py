"""Every metric of the spoke table in docs/metrics.md exists in the exposition, with a `cluster` label,
and several spokes share one registry, each with its own label."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from spoke.metrics import SpokeMetrics

DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"


def documented() -> dict[str, tuple[str, set[str]]]:
    """name -> (type, labels) of the spoke table."""
    section = DOC.read_text().split("## Spoke", 1)[1]
    rows = re.findall(r"^\| `(fleetcast_spoke_\w+)` \| (\w+) \| ([^|]*) \|", section, re.MULTILINE)
    return {name: (kind, set(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def test_the_doc_table_is_read() -> None:
    assert len(documented()) >= 16


def test_every_documented_spoke_metric_is_exposed_with_its_labels_and_a_cluster() -> None:
    registry = CollectorRegistry()
    view = SpokeMetrics(registry).for_cluster("c1")
    view.dlq_total.labels("malformed-json").inc()  # the one label set not known in advance
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    for name, (kind, labels) in documented().items():
        base = name.removesuffix("_total") if kind == "counter" else name
        assert base in families, f"{name} is not exposed"
        family = families[base]
        assert family.type == kind, f"{name} is a {family.type}, documented as a {kind}"
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        assert samples, f"{name} has no sample for a new spoke (a dashboard would show no data)"
        for sample in samples:
            assert sample.labels.get("cluster") == "c1", f"{name} sample without cluster: {sample}"
            assert set(sample.labels) - {"le"} == labels, f"{name} has labels {set(sample.labels)}, not {labels}"


def test_two_spokes_share_a_registry_each_with_its_label() -> None:
    registry = CollectorRegistry()
    metrics = SpokeMetrics(registry)
    one, two = metrics.for_cluster("one"), metrics.for_cluster("two")
    one.reconcile_total.labels("success").inc()
    two.applications.set(3)
    assert registry.get_sample_value("fleetcast_spoke_reconcile_total", {"cluster": "one", "result": "success"}) == 1
    assert registry.get_sample_value("fleetcast_spoke_reconcile_total", {"cluster": "two", "result": "success"}) == 0
    assert registry.get_sample_value("fleetcast_spoke_applications", {"cluster": "two"}) == 3
