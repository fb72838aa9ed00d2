"""A template's spec: parsed from the API body (or a `kind: Template` document's spec) and checked, every
problem at once, each naming its field. Pure.

A template is a chart (uploaded as base64 of a `.tgz`) or Go-template manifests (made into a chart, see
charts.py) plus:
- `parameters`: a JSON Schema (Draft 2020-12) of the values operators give;
- `values`: the template's defaults;
- `locked`: values the template fixes; an operator giving any of them is refused;
- `clusterOverridable`: dotted parameter paths operators may set per cluster (clusterValues);
- `clusterValues`: the platform's own per-cluster values by label selector.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field
from referencing.exceptions import Unresolvable

from hub.charts.archive import ChartArchive, ChartError, load_archive
from hub.selectors import Selector, SelectorError, parse_selector
from hub.sources.origin import Origin
from hub.templates.charts import MANIFESTS_CHART_VERSION, chart_from_manifests
from hub.templates.paths import dotted, leaf_paths, parameter_paths, parameter_schema, split
from schemas.v1.desired import json_digest
from schemas.v1.names import is_dns_label

API_VERSION = "fleetcast.dev/v1"
KIND = "Template"
# Bounds on what a template may hold besides its chart (which hub.charts.archive bounds).
MAX_MANIFEST_FILES = 200
MAX_CLUSTER_VALUES = 100
MAX_OVERRIDABLE = 200


class TemplateError(ValueError):
    """A template that cannot be published: every problem, each naming its field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ChartUpload(BaseModel):
    """A chart as it travels on the API: base64 of the `.tgz` (hub.charts.archive.pack)."""

    model_config = ConfigDict(extra="forbid")

    archive: str = Field(description="base64 of the chart's .tgz (what `helm package` writes)")


class ClusterValuesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selector: str | dict[str, Any] = Field(
        description="Label selector of the clusters these values are for (string or matchLabels/matchExpressions)"
    )
    values: dict[str, Any] = Field(default_factory=dict)


class TemplateIn(BaseModel):
    """The body of PUT /api/v1/templates/{name}: a Template document's spec, with its chart uploaded."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    chart: ChartUpload | None = Field(
        default=None, description="The template's chart (exactly one of chart, manifests)"
    )
    manifests: dict[str, str] | None = Field(
        default=None,
        description="Go-template YAML over .Values, file name -> text, rendered in this order (exactly one of "
        "chart, manifests)",
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="JSON Schema (Draft 2020-12) of the values operators may give"
    )
    values: dict[str, Any] = Field(default_factory=dict, description="The template's defaults")
    locked: dict[str, Any] = Field(
        default_factory=dict, description="Values the template fixes; an operator giving any of them is refused"
    )
    cluster_overridable: list[str] = Field(
        default_factory=list, description="Dotted parameter paths operators may set per cluster (cluster_values)"
    )
    cluster_values: list[ClusterValuesIn] = Field(
        default_factory=list, description="The platform's own per-cluster values; later entries win"
    )
    origin: Origin | None = Field(default=None, description="Where the template came from (fleetcast sync sets it)")


# The document's camelCase spelling of the fields the API spells in snake_case.
DOCUMENT_FIELDS = {"clusterOverridable": "cluster_overridable", "clusterValues": "cluster_values"}


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    description: str
    parameters: dict[str, Any]
    values: dict[str, Any]
    locked: dict[str, Any]
    cluster_overridable: list[str]
    cluster_values: list[tuple[Selector, dict[str, Any]]]
    source: ChartArchive = field(repr=False)
    # "chart": uploaded as a chart; "manifests": made from Go-template manifests.
    kind: Literal["chart", "manifests"] = "chart"

    def dump(self) -> dict[str, Any]:
        """The spec as stored (JSON): the chart by reference (chart_archives holds its bytes)."""
        return {
            "description": self.description,
            "parameters": self.parameters,
            "values": self.values,
            "locked": self.locked,
            "clusterOverridable": list(self.cluster_overridable),
            "clusterValues": [{"selector": str(s), "values": v} for s, v in self.cluster_values],
            "source": {
                "kind": self.kind,
                "chart": self.source.name,
                "version": self.source.version,
                "digest": self.source.digest,
            },
        }

    def digest(self) -> str:
        """Identity of this revision: the same spec and chart published again is the same template."""
        return json_digest(self.dump())

    @classmethod
    def load(cls, name: str, stored: Mapping[str, Any], chart: ChartArchive) -> TemplateSpec:
        """A spec as `dump` stored it (already checked when it was published)."""
        return cls(
            name=name,
            description=stored.get("description", ""),
            parameters=dict(stored.get("parameters") or {}),
            values=dict(stored.get("values") or {}),
            locked=dict(stored.get("locked") or {}),
            cluster_overridable=list(stored.get("clusterOverridable") or []),
            cluster_values=[
                (parse_selector(item["selector"]), dict(item.get("values") or {}))
                for item in stored.get("clusterValues") or []
            ],
            source=chart,
            kind=(stored.get("source") or {}).get("kind", "chart"),
        )


def _references(schema: Any, where: str = "parameters") -> list[str]:
    """Each `$ref` that points outside the schema: the hub fetches nothing to check values."""
    problems = []
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                problems.append(
                    f"{where}[{key!r}]: {value!r} points outside the schema; only references inside it "
                    "(#/$defs/...) are allowed"
                )
            else:
                problems += _references(value, f"{where}[{key!r}]")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            problems += _references(item, f"{where}[{index}]")
    return problems


# The meta-schema with formats checked, so a `pattern` that is no regular expression is refused here
# rather than failing when an operator's value is checked.
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Every way `schema` is not a valid Draft 2020-12 JSON Schema of an object of values."""
    problems = [
        f"parameters{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}"
        for error in sorted(_META.iter_errors(schema), key=lambda e: e.json_path)
    ]
    problems += _references(schema)
    if problems:
        return problems
    kind = schema.get("type", "object")
    if kind != "object":
        problems.append(f"parameters: must describe an object of values (type: object), not type {kind!r}")
    return problems


def default_problems(spec_values: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The defaults must be values operators could have given: only `required` may be left to them."""
    validator = Draft202012Validator(schema)
    try:
        return [
            f"values.{dotted(tuple(str(p) for p in error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(spec_values)
            if error.validator != "required"
        ]
    except Unresolvable as error:
        return [f"parameters: a reference cannot be resolved: {error}"]


def _chart_of(name: str, body: TemplateIn, problems: list[str]) -> tuple[ChartArchive | None, str]:
    if (body.chart is None) == (body.manifests is None):
        problems.append("exactly one of chart and manifests must be given")
        return None, "chart"
    if body.chart is not None:
        try:
            data = base64.b64decode(body.chart.archive, validate=True)
        except (binascii.Error, ValueError) as error:
            problems.append(f"chart.archive: not base64: {error}")
            return None, "chart"
        try:
            return load_archive(data, f"chart of template {name}"), "chart"
        except ChartError as error:
            problems.append(f"chart: {error}")
            return None, "chart"
    assert body.manifests is not None
    if not body.manifests:
        problems.append("manifests: empty; give at least one Go-template YAML file")
        return None, "manifests"
    if len(body.manifests) > MAX_MANIFEST_FILES:
        problems.append(f"manifests: {len(body.manifests)} files, more than the {MAX_MANIFEST_FILES} allowed")
        return None, "manifests"
    try:
        return chart_from_manifests(name, MANIFESTS_CHART_VERSION, body.manifests), "manifests"
    except ChartError as error:
        problems.append(f"manifests: {error}")
        return None, "manifests"


def _locked_problems(body: TemplateIn) -> list[str]:
    problems = []
    required = body.parameters.get("required")
    for path in leaf_paths(body.locked):
        if parameter_schema(body.parameters, path) is not None:
            problems.append(
                f"locked.{dotted(path)}: is also a parameter operators may set; remove it from parameters.properties "
                "or from locked"
            )
        elif len(path) == 1 and isinstance(required, list) and path[0] in required:
            problems.append(f"locked.{path[0]}: is a required parameter; remove it from parameters.required")
    return problems


def _overridable_problems(body: TemplateIn) -> list[str]:
    if len(body.cluster_overridable) > MAX_OVERRIDABLE:
        return [f"cluster_overridable: {len(body.cluster_overridable)} paths, more than the {MAX_OVERRIDABLE} allowed"]
    declared = ", ".join(dotted(p) for p in parameter_paths(body.parameters)) or "none"
    problems = []
    for index, text in enumerate(body.cluster_overridable):
        if parameter_schema(body.parameters, split(text)) is None:
            problems.append(
                f"cluster_overridable[{index}]: {text} is not a parameter of this template (parameters: {declared})"
            )
    return problems


def parse_cluster_values(
    items: list[ClusterValuesIn], where: str
) -> tuple[list[tuple[Selector, dict[str, Any]]], list[str]]:
    """Per-cluster values with their selectors parsed; a problem for each selector that does not parse."""
    parsed: list[tuple[Selector, dict[str, Any]]] = []
    problems: list[str] = []
    if len(items) > MAX_CLUSTER_VALUES:
        return [], [f"{where}: {len(items)} entries, more than the {MAX_CLUSTER_VALUES} allowed"]
    for index, item in enumerate(items):
        try:
            parsed.append((parse_selector(item.selector), dict(item.values)))
        except SelectorError as error:
            problems.append(f"{where}[{index}].selector: {error}")
    return parsed, problems


def parse_template(name: str, body: TemplateIn) -> TemplateSpec:
    """The template `name` from its API body; TemplateError listing every problem."""
    problems: list[str] = []
    if not is_dns_label(name):
        problems.append(
            f"invalid template name {name!r}: must be a DNS-1123 label (at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit)"
        )
    source, kind = _chart_of(name, body, problems)
    schema_errors = schema_problems(body.parameters)
    problems += schema_errors
    if not schema_errors:
        problems += default_problems(body.values, body.parameters)
        problems += _overridable_problems(body)
    problems += _locked_problems(body)
    cluster_values, selector_problems = parse_cluster_values(body.cluster_values, "cluster_values")
    problems += selector_problems
    if problems or source is None:
        raise TemplateError(problems)
    return TemplateSpec(
        name=name,
        description=body.description,
        parameters=body.parameters,
        values=body.values,
        locked=body.locked,
        cluster_overridable=list(body.cluster_overridable),
        cluster_values=cluster_values,
        source=source,
        kind="manifests" if kind == "manifests" else "chart",
    )


def parse_document(document: Any, where: str = "document") -> tuple[str, dict[str, Any]]:
    """(name, spec) of a `kind: Template` document, the spec's fields in the API's spelling; its `chart`
    and `manifests` are still as written (paths relative to the document, or inline text): see
    hub.templates.document for reading them."""
    if not isinstance(document, Mapping):
        raise TemplateError([f"{where}: expected a mapping with kind: {KIND}"])
    problems = []
    if document.get("apiVersion") != API_VERSION:
        problems.append(f"{where}: apiVersion is {document.get('apiVersion')!r}, expected {API_VERSION}")
    if document.get("kind") != KIND:
        problems.append(f"{where}: kind is {document.get('kind')!r}, expected {KIND}")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: metadata.name is missing")
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        problems.append(f"{where}: spec is missing")
    if problems:
        raise TemplateError(problems)
    assert isinstance(name, str) and isinstance(spec, Mapping)
    return name, {DOCUMENT_FIELDS.get(str(k), str(k)): v for k, v in spec.items()}
