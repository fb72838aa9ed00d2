"""What went wrong rendering a chart, read from what `helm template` wrote on stderr. Pure.

Helm's errors name templates by their path inside the top chart (`web/templates/d.yaml`,
`web/charts/db/templates/x.yaml`); we drop the leading chart name (`templates/d.yaml`) since the chart
is named on its own. The shapes handled (all captured from Helm v3.22.0, see tests/unit/hub/charts):

    Error: template: web/templates/d.yaml:7:21: executing "web/templates/d.yaml" at <.Values.a.b>: nil pointer ...
    Error: parse error at (web/templates/e.yaml:1): function "badfn" not defined
    Error: execution error at (web/templates/r.yaml:2:6): config.db is required      (`required`, `fail`)
    Error: YAML parse error on web/templates/y.yaml: error converting YAML to JSON: yaml: line 5: ...
    Error: values don't meet the specifications of the schema(s) in the following chart(s):
    web:
    - at '/replicas': minimum: got 0, want 1
    db:
    - at '/size': got string, want integer

and anything else (message: Helm's first error line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `template: web/templates/d.yaml:7:21: executing "..." at <...>: message`; an `include`d or `tpl`
# template's own error follows nested in the message, and the innermost location is the useful one.
# A lookahead, so that the nested ones are found too (each match's `rest` runs to the end).
_EXECUTING = re.compile(
    r"(?=template: (?P<template>[^:\s]+):(?P<line>\d+):(?P<column>\d+): executing \"[^\"]*\" (?P<rest>.*))"
)
_PARSE = re.compile(r"parse error at \((?P<template>[^:)]+):(?P<line>\d+)\): (?P<message>.*)")
_EXECUTION = re.compile(r"execution error at \((?P<template>[^:)]+):(?P<line>\d+):(?P<column>\d+)\): (?P<message>.*)")
_YAML = re.compile(r"YAML parse error on (?P<template>\S+): (?P<message>.*)")
_YAML_LINE = re.compile(r"yaml: line (?P<line>\d+): (?P<message>.*)")
_SCHEMA_HEADER = "values don't meet the specifications of the schema(s) in the following chart(s):"
_SCHEMA_ITEM = re.compile(r"- at '(?P<pointer>[^']*)': (?P<message>.*)")
_CHART_NAME = re.compile(r"(?P<chart>[\w.-]+):")
_TPL_SOURCE = "gotpl"  # how `tpl` names the string it renders


@dataclass(frozen=True)
class ValueViolation:
    """One value the chart's values.schema.json refuses: its path in values (`values.image.tag`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RenderError(Exception):
    """A chart Helm could not render: which chart, which template and line (when Helm says), and why.
    `violations` lists each value a values.schema.json refused (then `template` is None)."""

    def __init__(
        self,
        chart: str,
        template: str | None,
        line: int | None,
        message: str,
        *,
        column: int | None = None,
        violations: tuple[ValueViolation, ...] = (),
    ) -> None:
        self.chart = chart
        self.template = template
        self.line = line
        self.column = column
        self.message = message
        self.violations = violations
        super().__init__(self.describe())

    def describe(self) -> str:
        """`chart web-1.0.0, template templates/d.yaml line 7: nil pointer evaluating ...`"""
        where = f"chart {self.chart}"
        if self.template is not None:
            where += f", template {self.template}"
            if self.line is not None:
                where += f" line {self.line}"
        return f"{where}: {self.message}"

    def problems(self) -> list[str]:
        """One line per problem, each naming the chart (what a 422 lists)."""
        if self.violations:
            return [f"chart {self.chart}: {v}" for v in self.violations]
        return [self.describe()]

    def __reduce__(self) -> tuple[object, ...]:  # picklable despite the keyword-only fields
        return (_rebuild, (self.chart, self.template, self.line, self.message, self.column, self.violations))


def _rebuild(
    chart: str,
    template: str | None,
    line: int | None,
    message: str,
    column: int | None,
    violations: tuple[ValueViolation, ...],
) -> RenderError:
    return RenderError(chart, template, line, message, column=column, violations=violations)


def _in_chart(template: str) -> str:
    """`web/templates/d.yaml` -> `templates/d.yaml`: Helm prefixes every template with the top chart's name."""
    head, sep, rest = template.partition("/")
    return rest if sep and head else template


def parse_helm_error(stderr: str, chart_label: str, chart_name: str | None = None) -> RenderError:
    """The RenderError for what a failed `helm template` wrote on stderr. `chart_name` (the top chart's
    name) lets schema violations of subcharts be named by their place in values (`values.db.size`)."""
    lines = [line.rstrip() for line in stderr.splitlines()]
    first = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), None)
    if first is None:
        said = next((line.strip() for line in lines if line.strip()), "")
        return RenderError(chart_label, None, None, said or "helm failed without saying why")
    error = lines[first].removeprefix("Error: ").strip()
    if error == _SCHEMA_HEADER:
        return _schema_error(lines[first + 1 :], chart_label, chart_name)
    return _template_error(error, chart_label)


def _template_error(error: str, chart_label: str) -> RenderError:
    executing = list(_EXECUTING.finditer(error))
    # The innermost template that is a file (a `tpl` string is not; its caller is the file to fix).
    located = [m for m in executing if m["template"] != _TPL_SOURCE]
    if located:
        where = located[-1]
        innermost = executing[-1]
        message = innermost["rest"]
        if innermost["template"] == _TPL_SOURCE:
            message = f"in a tpl string: {message}"
        return RenderError(
            chart_label, _in_chart(where["template"]), int(where["line"]), message, column=int(where["column"])
        )
    if match := _EXECUTION.search(error):
        return RenderError(
            chart_label,
            _in_chart(match["template"]),
            int(match["line"]),
            match["message"],
            column=int(match["column"]),
        )
    if match := _PARSE.search(error):
        return RenderError(chart_label, _in_chart(match["template"]), int(match["line"]), match["message"])
    if match := _YAML.match(error):
        # Helm's line is one of the rendered output, not of the template's source: said as such.
        detail = match["message"].removeprefix("error converting YAML to JSON: ")
        if yaml_line := _YAML_LINE.search(detail):
            detail = f"line {yaml_line['line']} of its output: {yaml_line['message']}"
        return RenderError(chart_label, _in_chart(match["template"]), None, f"rendered YAML does not parse: {detail}")
    return RenderError(chart_label, None, None, error)


def _schema_error(lines: list[str], chart_label: str, chart_name: str | None) -> RenderError:
    violations: list[ValueViolation] = []
    other: list[str] = []
    current: str | None = None
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if item := _SCHEMA_ITEM.fullmatch(text):
            violations.append(ValueViolation(_values_path(item["pointer"], current, chart_name), item["message"]))
        elif header := _CHART_NAME.fullmatch(text):
            current = header["chart"]
        elif text.startswith("Error: ") or text.startswith("Use --debug"):
            break
        else:
            other.append(text)  # a schema Helm could not read says so here (`unexpected EOF`)
    if violations:
        summary = "; ".join(str(v) for v in violations)
        return RenderError(
            chart_label, None, None, f"values do not match values.schema.json: {summary}", violations=tuple(violations)
        )
    detail = "; ".join(other) or "no detail given"
    where = f" of chart {current}" if current and current != chart_name else ""
    return RenderError(chart_label, None, None, f"values.schema.json{where} cannot be used: {detail}")


def _values_path(pointer: str, chart: str | None, top: str | None) -> str:
    """JSON pointer `/image/tag` -> `values.image.tag`; a subchart's values sit under its name, and list
    indices read `hosts[0]`."""
    path = "values"
    if chart is not None and top is not None and chart != top:
        path += f".{chart}"
    for raw in pointer.split("/")[1:] if pointer else []:
        segment = raw.replace("~1", "/").replace("~0", "~")
        path += f"[{segment}]" if segment.isdigit() else f".{segment}"
    return path
