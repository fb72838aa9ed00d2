"""Small builders shared by the dashboards, so the four read alike: every panel reads the `${datasource}`
variable (an import works against any Prometheus), says in its description what it shows, and takes its
queries as plain PromQL with the dashboard's variables (`$cluster`) and Grafana's `$__rate_interval`."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prometheus_model

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = common.DataSourceRef(type_val="prometheus", uid="${" + DATASOURCE_VARIABLE + "}")
# Grafana's own window: at least four scrape intervals, so a rate never goes blank on a slow scrape.
RATE = "$__rate_interval"
REFS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GREEN, AMBER, RED = "green", "#EAB839", "red"


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel and how Grafana names its series."""

    expr: str
    legend: str = ""


def q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


def quantiles(metric: str, by: str = "", matchers: str = "") -> tuple[Query, Query]:
    """p50 and p99 of a histogram over the rate window, one series per value of the `by` labels."""
    labels = f"le, {by}" if by else "le"
    legend = " ".join("{{" + label.strip() + "}}" for label in by.split(",") if label.strip())
    selector = f"{metric}_bucket{{{matchers}}}" if matchers else f"{metric}_bucket"

    def at(quantile: str, name: str) -> Query:
        expr = f"histogram_quantile({quantile}, sum by ({labels}) (rate({selector}[{RATE}])))"
        return Query(expr, f"{legend} {name}".strip())

    return at("0.5", "p50"), at("0.99", "p99")


def _targets(queries: tuple[Query, ...], *, instant: bool) -> list[Builder[variants.Dataquery]]:
    targets: list[Builder[variants.Dataquery]] = []
    for ref, query in zip(REFS, queries, strict=False):
        target = prometheus.Dataquery().expr(query.expr).ref_id(ref).datasource(DATASOURCE)
        if query.legend:
            target = target.legend_format(query.legend)
        # tables show the value now (one row per series); graphs the range
        target = target.instant().format(prometheus_model.PromQueryFormat.TABLE) if instant else target.range()
        targets.append(target)
    return targets


def _thresholds(*steps: tuple[float | None, str]) -> board.ThresholdsConfig:
    return (
        board.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def graph(
    title: str,
    description: str,
    *queries: Query,
    unit: str = "short",
    width: int = 12,
    stacked: bool = False,
) -> timeseries.Panel:
    """A time series: how something moved over the dashboard's time range."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .span(width)
        .height(8)
        .line_width(1)
        .fill_opacity(20 if stacked else 10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
        )
        .thresholds(_thresholds((None, GREEN)))
        .targets(_targets(queries, instant=False))
    )
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    return panel


def single(
    title: str,
    description: str,
    query: Query,
    *,
    unit: str = "short",
    width: int = 6,
    warn: float | None = None,
    bad: float | None = None,
    mappings: dict[str, tuple[str, str]] | None = None,
) -> stat.Panel:
    """A number (or one per series): where something stands now. `warn`/`bad` colour it from those values up."""
    steps: list[tuple[float | None, str]] = [(None, GREEN)]
    if warn is not None:
        steps.append((warn, AMBER))
    if bad is not None:
        steps.append((bad, RED))
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(5)
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.AREA)
        .text_mode(common.BigValueTextMode.AUTO)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(_thresholds(*steps))
        .targets(_targets((query,), instant=False))
    )
    if mappings:
        panel = panel.mappings(
            [
                model.ValueMap(
                    options={
                        value: model.ValueMappingResult(text=text, color=color, index=index)
                        for index, (value, (text, color)) in enumerate(mappings.items())
                    }
                )
            ]
        )
    return panel


def listing(title: str, description: str, query: Query, *, columns: dict[str, str], width: int = 12) -> table.Panel:
    """A table of the current values: one row per series, its labels as columns (`columns`: label -> header)."""
    order = {label: index for index, label in enumerate([*columns, "Value"])}
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(width)
        .height(8)
        .align(common.FieldTextAlignment.AUTO)
        .inspect(False)
        .filterable(True)
        .thresholds(_thresholds((None, GREEN)))
        .targets(_targets((query,), instant=True))
        .with_transformation(
            model.DataTransformerConfig(
                id_val="organize",
                options={
                    # only the labels worth a column, in this order, under readable names
                    "excludeByName": {"Time": True},
                    "includeByName": dict.fromkeys(order, True),
                    "indexByName": order,
                    "renameByName": {**columns, "Value": "Value"},
                },
            )
        )
    )


def row(title: str) -> board.Row:
    return board.Row(title)


def datasource_variable() -> board.DatasourceVariable:
    return board.DatasourceVariable(DATASOURCE_VARIABLE).label("Prometheus").type("prometheus")


def cluster_variable(*, all_clusters: bool) -> board.QueryVariable:
    """The clusters the hub knows (`fleetcast_hub_cluster_up`), or, for spoke pages, those with a spoke scraped."""
    variable = (
        board.QueryVariable("cluster")
        .label("Cluster")
        .datasource(DATASOURCE)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    if all_clusters:
        return (
            variable.query({"query": "label_values(fleetcast_spoke_reconcile_total, cluster)", "refId": "clusters"})
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
    return variable.query({"query": "label_values(fleetcast_hub_cluster_up, cluster)", "refId": "clusters"})


def dashboard(uid: str, title: str, description: str, *variables: board.QueryVariable) -> board.Dashboard:
    """A Fleetcast dashboard: last hour, refreshed every 30 s, linked to its siblings by the `fleetcast` tag."""
    return (
        board.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["fleetcast"])
        .editable()
        .timezone("browser")
        .refresh("30s")
        .time("now-1h", "now")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .variables([datasource_variable(), *variables])
        .link(
            board.DashboardLink("Fleetcast dashboards")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags(["fleetcast"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def finish(builder: board.Dashboard) -> model.Dashboard:
    """The built dashboard with panel ids 1, 2, ... in layout order: stable across runs, so the JSON diff
    of a change shows only that change, and Grafana's panel links (`viewPanel=`) keep working."""
    built = builder.build()
    ids = count(1)
    for panel in built.panels or []:
        panel.id_val = next(ids)
        for inner in getattr(panel, "panels", None) or []:
            inner.id_val = next(ids)
    return built
