"""What the templates API answers, and a template's parameters summarized for people. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from hub.sources.origin import Origin
from hub.templates.paths import dotted, parameter_paths, parameter_schema


class ParameterSummary(BaseModel):
    name: str = Field(description="Dotted path of the parameter (resources.cpu)")
    type: str | None = Field(description="Its JSON Schema type, if the schema says")
    required: bool = Field(description="Operators must give it (unless the template has a default)")
    allowed: str | None = Field(description="What the schema allows, for people: one of a, b; 1..10; matches ^x")
    default: Any = Field(default=None, description="The template's default, if it has one")
    cluster_overridable: bool = Field(description="Operators may set it per cluster")


class ClusterValuesOut(BaseModel):
    selector: str
    values: dict[str, Any]


class TemplateSource(BaseModel):
    kind: Literal["chart", "manifests"] = Field(description="Uploaded as a chart, or made from manifests")
    chart: str = Field(description="The chart's name")
    version: str = Field(description="The chart's version")
    digest: str = Field(description="The chart's digest (its files' identity)")


class TemplateSummary(BaseModel):
    name: str
    revision: int
    description: str
    parameters: list[ParameterSummary]
    created_by: str
    created_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateSummary]


class TemplateOut(BaseModel):
    name: str
    revision: int
    digest: str = Field(description="This revision's identity: spec and chart")
    description: str
    parameters: dict[str, Any] = Field(description="The parameter schema (JSON Schema 2020-12)")
    parameter_summary: list[ParameterSummary]
    values: dict[str, Any] = Field(description="The template's defaults")
    locked: dict[str, Any] = Field(description="Values the template fixes; operators may not give them")
    cluster_overridable: list[str] = Field(description="Parameters operators may set per cluster")
    cluster_values: list[ClusterValuesOut] = Field(description="The template's own per-cluster values")
    source: TemplateSource
    created_by: str
    created_at: datetime
    origin: Origin | None
    latest_revision: int = Field(description="The template's newest revision (this one unless ?revision= asked)")


def _allowed(schema: Mapping[str, Any]) -> str | None:
    parts = []
    if isinstance(schema.get("enum"), list):
        parts.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    if "const" in schema:
        parts.append(f"only {schema['const']}")
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None or high is not None:
        parts.append(f"{'' if low is None else low}..{'' if high is None else high}")
    if isinstance(schema.get("pattern"), str):
        parts.append(f"matches {schema['pattern']}")
    return "; ".join(parts) or None


def _required(schema: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Required at every level down to it (an optional object's required keys are only needed with it)."""
    current: Mapping[str, Any] = schema
    for key in path:
        required = current.get("required")
        if not isinstance(required, list) or key not in required:
            return False
        properties = current.get("properties")
        sub = properties.get(key) if isinstance(properties, Mapping) else None
        current = sub if isinstance(sub, Mapping) else {}
    return True


def _default(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = values
    for key in path:
        if not isinstance(current, Mapping) or key not in current:
            return None
        current = current[key]
    return current


def parameter_summaries(
    schema: Mapping[str, Any], defaults: Mapping[str, Any], overridable: list[str]
) -> list[ParameterSummary]:
    """Every declared parameter, objects and what they hold, in declaration order."""
    result = []
    for path in parameter_paths(schema):
        sub = parameter_schema(schema, path) or {}
        kind = sub.get("type")
        name = dotted(path)
        result.append(
            ParameterSummary(
                name=name,
                type=kind if isinstance(kind, str) else ("|".join(kind) if isinstance(kind, list) else None),
                required=_required(schema, path),
                allowed=_allowed(sub),
                default=_default(defaults, path),
                cluster_overridable=any(name == o or name.startswith(o + ".") for o in overridable),
            )
        )
    return result
