"""What a PUT says about an application's source, and the source it leads to. Pure."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hub.charts.archive import ChartArchive, ChartError, load_archive
from hub.sources.spec import ClusterValues, Source, SourceError, SourceKind, check_values, parse_cluster_values
from schemas.v1 import is_dns_label

T = TypeVar("T")


@dataclass(frozen=True)
class SourceChange:
    """None everywhere: keep that part as it is."""

    chart: ChartArchive | None = None
    template: str | None = None
    values: dict[str, Any] | None = None
    cluster_values: tuple[ClusterValues, ...] | None = None
    namespace: str | None = None


def parse_chart(archive: str, where: str = "chart.archive") -> ChartArchive:
    """A chart from the API's base64 `.tgz`."""
    try:
        data = base64.b64decode(archive, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SourceError(f"{where} is not base64: {error}") from error
    try:
        return load_archive(data, where)
    except ChartError as error:
        raise SourceError(str(error)) from error


def parse_change(
    *,
    chart: dict[str, Any] | None = None,
    template: str | None = None,
    values: Any = None,
    cluster_values: Any = None,
    namespace: str | None = None,
) -> SourceChange:
    if chart is not None and (not isinstance(chart.get("archive"), str) or set(chart) - {"archive"}):
        raise SourceError('chart must be {"archive": "<base64 of the chart .tgz>"}')
    if template is not None and not is_dns_label(template):
        raise SourceError(f"template {template!r} is not a template name (a DNS-1123 label)")
    if namespace is not None and not is_dns_label(namespace):
        raise SourceError(f"namespace {namespace!r} is not a namespace name (a DNS-1123 label)")
    return SourceChange(
        chart=parse_chart(chart["archive"]) if chart is not None else None,
        template=template,
        values=check_values(values) if values is not None else None,
        cluster_values=parse_cluster_values(cluster_values) if cluster_values is not None else None,
        namespace=namespace,
    )


def next_source(current: Source, manifests_given: bool, change: SourceChange) -> Source:
    """The source after a PUT. A new chart or template starts from the values given (the current ones
    only when it stays the same kind of source: a new chart version keeps its values); `template_revision`
    is None for a template named in the PUT (the caller pins its newest revision)."""
    given = [
        what
        for what, yes in (("manifests", manifests_given), ("chart", change.chart), ("template", change.template))
        if yes
    ]
    if len(given) > 1:
        raise SourceError(f"give one of manifests, chart or template, not {' and '.join(given)}")
    valued = change.values is not None or change.cluster_values is not None or change.namespace is not None
    if manifests_given:
        if valued:
            raise SourceError("values, cluster_values and namespace apply to charts and templates, not to manifests")
        return Source(SourceKind.MANIFESTS)
    same = current.kind
    if change.chart is not None:
        keep = same is SourceKind.CHART
        return Source(
            SourceKind.CHART,
            chart=change.chart.digest,
            values=_pick(change.values, current.values if keep else {}),
            cluster_values=_pick(change.cluster_values, current.cluster_values if keep else ()),
            namespace=change.namespace or (current.namespace if keep else "default"),
        )
    if change.template is not None:
        keep = same is SourceKind.TEMPLATE and current.template == change.template
        return Source(
            SourceKind.TEMPLATE,
            template=change.template,
            values=_pick(change.values, current.values if keep else {}),
            cluster_values=_pick(change.cluster_values, current.cluster_values if keep else ()),
            namespace=change.namespace or (current.namespace if keep else "default"),
        )
    if not current.per_cluster:
        if valued:
            raise SourceError(
                "values, cluster_values and namespace apply to charts and templates: give a chart or template"
            )
        return current
    return replace(
        current,
        values=_pick(change.values, current.values),
        cluster_values=_pick(change.cluster_values, current.cluster_values),
        namespace=change.namespace or current.namespace,
    )


def _pick(given: T | None, kept: T) -> T:
    return kept if given is None else given


def document_change(spec: Mapping[str, Any], chart: ChartArchive | None = None) -> SourceChange:
    """What an Application document (`fleetcast sync`, `validate`, `policy test`) says of its source, in
    its own spelling (`clusterValues`). `chart`: the chart already read from the path the document names;
    None: the document's `chart` is the API's `{"archive": ...}`."""
    change = parse_change(
        chart=spec.get("chart") if chart is None else None,
        template=spec.get("template"),
        values=spec.get("values"),
        cluster_values=spec.get("clusterValues"),
        namespace=spec.get("namespace"),
    )
    return change if chart is None else replace(change, chart=chart)
