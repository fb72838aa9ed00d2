"""docs/metrics.md is the contract between the components, the alert rules and the dashboards: its
tables, read here, and what a /metrics exposition holds, checked against them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

DOC = Path(__file__).parent.parent / "docs" / "metrics.md"

_ROW = re.compile(r"^\|\s*`(?P<name>[a-z_:]+)`\s*\|\s*(?P<type>\w+)\s*\|(?P<labels>[^|]*)\|")


@dataclass(frozen=True)
class Documented:
    name: str  # as queried: counters end in _total
    type: str
    labels: frozenset[str]

    @property
    def family(self) -> str:
        """The name of its family in an exposition, as prometheus_client's parser gives it."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


def documented(section: str) -> list[Documented]:
    """The rows of the table under `## <section>` of docs/metrics.md."""
    rows: list[Documented] = []
    inside = False
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            inside = line[3:].strip() == section
            continue
        match = _ROW.match(line) if inside else None
        if match:
            labels = frozenset(re.findall(r"`([a-z_]+)`", match["labels"]))
            rows.append(Documented(match["name"], match["type"], labels))
    return rows


def problems(exposition: str, wanted: list[Documented]) -> list[str]:
    """What the exposition lacks or says differently: a metric missing, of another type, or with other
    labels (labels are read from its samples, so a labelled metric without any sample yet is only
    checked for presence and type)."""
    families = {family.name: family for family in text_string_to_metric_families(exposition)}
    found: list[str] = []
    for metric in wanted:
        family = families.get(metric.family)
        if family is None:
            found.append(f"{metric.name}: missing")
            continue
        if family.type != metric.type:
            found.append(f"{metric.name}: type {family.type}, documented {metric.type}")
        labels = {frozenset(sample.labels) - {"le"} for sample in family.samples}
        if labels and labels != {metric.labels}:
            found.append(f"{metric.name}: labels {sorted(map(sorted, labels))}, documented {sorted(metric.labels)}")
    return found
