"""Rendering a chart or template release for clusters: the values each cluster gets (pure), and Helm run
for each (the renderer, an I/O shell). Every cluster's problem is reported at once, and nothing is
stored or published when any cluster fails."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.charts.archive import ChartArchive
from hub.charts.renderer import ClusterInput, HelmRenderer
from hub.charts.values import ValuesError, expand, merged
from hub.overrides.render import render as with_overrides
from hub.overrides.spec import ImageOverride
from hub.sources.facts import ClusterFacts
from hub.sources.namespaces import with_namespace
from hub.sources.spec import Source

# A template's own rule for a cluster's values (hub/templates): its defaults, its per-cluster values, the
# operator's values and per-cluster values, then what it locks; `${cluster...}` expanded and checked against
# its parameters (ValuesError naming each problem). None: a chart source's rule below.
TemplateValues = Callable[[ClusterFacts], dict[str, Any]]


class RenderFailed(Exception):
    """Some clusters could not be rendered: `problems` says which and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def chart_values(source: Source, facts: ClusterFacts) -> dict[str, Any]:
    """A chart source's values for one cluster: its values, then the per-cluster values whose selector
    matches the cluster (later ones win), with `${cluster...}` references expanded."""
    return expand(merged(dict(source.values), *[dict(v) for v in source.matching(facts)]), facts)


@dataclass(frozen=True)
class RenderJob:
    """One release to render: its application, source, chart, image overrides, and (for a template
    source) the template's rule for values."""

    application: str
    source: Source
    chart: ChartArchive
    overrides: Mapping[str, ImageOverride]
    template_values: TemplateValues | None = None

    def values(self, facts: ClusterFacts) -> dict[str, Any]:
        if self.template_values is not None:
            return self.template_values(facts)
        return chart_values(self.source, facts)


async def render_for(
    helm: HelmRenderer, job: RenderJob, clusters: Sequence[ClusterFacts]
) -> dict[str, list[dict[str, Any]]]:
    """What each cluster gets of `job` (namespaced objects without one put into the source's namespace,
    image overrides applied), Helm running once per distinct input; RenderFailed naming every cluster
    that failed and why."""
    inputs: dict[str, ClusterInput] = {}
    problems: list[str] = []
    for facts in clusters:
        try:
            inputs[facts.name] = ClusterInput(job.values(facts), facts.kubernetes_version)
        except ValuesError as error:
            problems.append(f"cluster {facts.name}: {error}")
    rendered = await helm.render_clusters(
        job.chart, inputs, release_name=job.application, namespace=job.source.namespace
    )
    problems += [f"cluster {cluster}: {error}" for cluster, error in rendered.errors.items()]
    if problems:
        raise RenderFailed(_deduplicated(problems))
    namespace = job.source.namespace
    return {
        facts.name: with_overrides(
            with_namespace(rendered.renderings[facts.name].objects, namespace), job.overrides
        ).manifests
        for facts in clusters
    }


def _deduplicated(problems: list[str]) -> list[str]:
    """The same template error on every cluster is one problem: `cluster a, b, c: ...`."""
    by_message: dict[str, list[str]] = {}
    for problem in problems:
        cluster, _, message = problem.partition(": ")
        by_message.setdefault(message, []).append(cluster.removeprefix("cluster "))
    return [
        f"cluster{'s' if len(clusters) > 1 else ''} {', '.join(clusters)}: {message}"
        for message, clusters in by_message.items()
    ]
