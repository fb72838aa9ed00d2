"""Every panel's PromQL, read from a dashboard's JSON (what users import, not the code that made it), with
the dashboard's variables replaced by real values: what a test runs against a real Prometheus.

Pure: no SDK, no I/O. Works on the committed files as on freshly generated ones."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# $name, ${name} and ${name:format}; Grafana's built-ins ($__rate_interval) are variables like the others.
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::\w+)?\}|(?P<plain>\w+))")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # the dashboard's uid
    panel_id: int
    panel: str  # the panel's title
    ref_id: str
    expr: str  # with every variable replaced

    def __str__(self) -> str:
        return f"{self.dashboard} #{self.panel_id} {self.panel!r} {self.ref_id}: {self.expr}"


class UnknownVariable(ValueError):
    pass


def substitute(expr: str, variables: Mapping[str, str]) -> str:
    """`expr` with each `$name`/`${name}` replaced by `variables[name]`; a variable not given is an error
    (a query sent with `$cluster` in it would fail to parse, not test anything)."""

    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        if name not in variables:
            raise UnknownVariable(f"no value for ${name} in {expr!r}")
        return variables[name]

    return _VARIABLE.sub(value, expr)


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])  # the panels of a collapsed row


def variable_names(dashboard: Mapping[str, Any]) -> set[str]:
    """The dashboard's own template variables (`datasource`, `cluster`, ...)."""
    return {variable["name"] for variable in (dashboard.get("templating") or {}).get("list") or []}


def panel_queries(dashboard: Mapping[str, Any], variables: Mapping[str, str]) -> list[PanelQuery]:
    """Every query of every panel of `dashboard` (its JSON), in layout order, with `variables` substituted."""
    queries = []
    for panel in _panels(dashboard.get("panels") or []):
        for target in panel.get("targets") or []:
            if target.get("hide") or "expr" not in target:
                continue
            queries.append(
                PanelQuery(
                    dashboard=str(dashboard.get("uid", "")),
                    panel_id=int(panel.get("id", 0)),
                    panel=str(panel.get("title", "")),
                    ref_id=str(target.get("refId", "")),
                    expr=substitute(str(target["expr"]), variables),
                )
            )
    return queries


# The metric names a query reads (histogram series by their family's name), for checking them against
# docs/metrics.md.
_METRIC = re.compile(r"\b(fleetcast_[a-z0-9_]+?)(?:_bucket|_count|_sum)?\b(?![a-z0-9_])")


def metric_names(expr: str) -> set[str]:
    return set(_METRIC.findall(expr))
