"""What an application is made from, in the form releases store it. Pure.

- manifests: the objects as given; every cluster gets the same (with the image overrides applied);
- chart: a Helm chart (by content digest; the archive is stored once) with values and per-cluster values;
- template: a published template (by name and the revision the release was made from) with the operator's
  values and per-cluster values, checked against the template's parameters.

Chart and template releases are rendered per cluster: values may say `${cluster.labels.region}`, and
per-cluster values apply where their selector matches the cluster's labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.selectors import Selector, SelectorError, parse_selector
from hub.sources.facts import ClusterFacts
from schemas.v1.desired import json_digest


class SourceKind(StrEnum):
    MANIFESTS = "manifests"
    CHART = "chart"
    TEMPLATE = "template"


class SourceError(ValueError):
    """A source that cannot be used; the message names the field."""


@dataclass(frozen=True)
class ClusterValues:
    """Values for the clusters `selector` matches, over the application's own."""

    selector: Selector
    values: Mapping[str, Any]

    def stored(self) -> dict[str, Any]:
        return {"selector": str(self.selector), "values": dict(self.values)}


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    chart: str | None = None  # the chart's content digest (a chart source)
    template: str | None = None  # the template's name (a template source)
    template_revision: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    cluster_values: tuple[ClusterValues, ...] = ()
    # Where the chart's namespaced objects that name no namespace go (`helm install -n`).
    namespace: str = "default"

    @property
    def per_cluster(self) -> bool:
        return self.kind is not SourceKind.MANIFESTS

    def stored(self) -> dict[str, Any] | None:
        """The JSON releases and applications keep; None for plain manifests."""
        if not self.per_cluster:
            return None
        return {
            "kind": str(self.kind),
            "chart": self.chart,
            "template": self.template,
            "template_revision": self.template_revision,
            "values": dict(self.values),
            "cluster_values": [c.stored() for c in self.cluster_values],
            "namespace": self.namespace,
        }

    def digest(self, image_overrides: Mapping[str, str]) -> str:
        """A release's digest when it is rendered per cluster: what it was made from (each cluster's bundle
        has its own digest of what it got). The same source and overrides, the same digest."""
        return json_digest({"source": self.stored(), "image_overrides": dict(image_overrides)})

    def cluster_value_pairs(self) -> list[tuple[Selector, dict[str, Any]]]:
        """The per-cluster values as hub.templates takes them: (selector, values)."""
        return [(c.selector, dict(c.values)) for c in self.cluster_values]

    def matching(self, facts: ClusterFacts) -> list[Mapping[str, Any]]:
        """The per-cluster values that apply to a cluster, in order (later ones win)."""
        return [c.values for c in self.cluster_values if c.selector.matches(facts.labels)]


MANIFESTS = Source(SourceKind.MANIFESTS)


def parse_cluster_values(source: Any, where: str = "cluster_values") -> tuple[ClusterValues, ...]:
    """`[{selector, values}]` -> ClusterValues; SourceError naming the entry that is wrong."""
    if source is None:
        return ()
    if not isinstance(source, list):
        raise SourceError(f"{where} must be a list of {{selector, values}}")
    parsed: list[ClusterValues] = []
    for index, entry in enumerate(source):
        if not isinstance(entry, Mapping) or set(entry) - {"selector", "values"}:
            raise SourceError(f"{where}[{index}] must be {{selector, values}}")
        values = entry.get("values", {})
        if not isinstance(values, Mapping):
            raise SourceError(f"{where}[{index}].values must be an object")
        try:
            selector = parse_selector(entry.get("selector", ""))
        except SelectorError as error:
            raise SourceError(f"{where}[{index}].selector: {error}") from error
        parsed.append(ClusterValues(selector, dict(values)))
    return tuple(parsed)


def check_values(values: Any, where: str = "values") -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SourceError(f"{where} must be an object")
    return dict(values)


def loaded(stored: Mapping[str, Any] | None) -> Source:
    """A source as the hub stored it (it wrote it itself, so it parses)."""
    if stored is None:
        return MANIFESTS
    return Source(
        SourceKind(stored["kind"]),
        chart=stored.get("chart"),
        template=stored.get("template"),
        template_revision=stored.get("template_revision"),
        values=dict(stored.get("values") or {}),
        cluster_values=parse_cluster_values(stored.get("cluster_values") or []),
        namespace=stored.get("namespace") or "default",
    )


def facts_digest(facts: ClusterFacts) -> str:
    """What a rendering depends on of its cluster: other facts, another rendering."""
    return json_digest({"name": facts.name, "labels": dict(facts.labels), "kv": facts.kubernetes_version})


def describe(source: Source, chart_label: str | None = None) -> str:
    """For messages and views: `chart web-1.2.0`, `template web-service revision 3`, `manifests`."""
    if source.kind is SourceKind.CHART:
        return f"chart {chart_label or source.chart}"
    if source.kind is SourceKind.TEMPLATE:
        return f"template {source.template} revision {source.template_revision}"
    return "manifests"


def shown(source: Source) -> dict[str, Any]:
    """The source as views show it (hub.views.SourceOut's fields)."""
    return {
        "kind": str(source.kind),
        "chart": source.chart,
        "template": source.template,
        "template_revision": source.template_revision,
        "values": dict(source.values),
        "cluster_values": [c.stored() for c in source.cluster_values],
        "namespace": source.namespace,
    }
