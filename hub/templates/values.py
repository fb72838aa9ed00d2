"""An operator's values for a template: checked against the template (every problem at once, each naming
the parameter and what is allowed), and merged into the values one cluster renders with. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from hub.charts.values import ValuesError, expand, merged
from hub.selectors import Selector
from hub.sources.facts import ClusterFacts
from hub.sources.spec import Source
from hub.templates.paths import Path, dotted, leaf_paths, overlaps, value_at
from hub.templates.spec import TemplateSpec

ClusterValues = Sequence[tuple[Selector, Mapping[str, Any]]]


def _shown(value: Any) -> str:
    """A value in a message: strings quoted ('huge'), anything else as JSON (40, {"a":1})."""
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def _listed(values: Sequence[Any]) -> str:
    return ", ".join(v if isinstance(v, str) else _shown(v) for v in values)


def _parameter(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path)


def _schema_messages(error: ValidationError, template: str, known: Sequence[str]) -> list[str]:
    """What one schema error means to an operator, naming the parameter and what is allowed."""
    name = _parameter(error.absolute_path)
    where = f"parameter {name}" if name else "values"
    instance: Any = error.instance
    allowed: Any = error.validator_value
    match error.validator:
        case "enum":
            return [f"{where}: {_shown(instance)} is not allowed; allowed values: {_listed(allowed)}"]
        case "const":
            return [f"{where}: {_shown(instance)} is not allowed; the only allowed value is {_shown(allowed)}"]
        case "maximum":
            return [f"{where}: {_shown(instance)} is above the maximum {_shown(allowed)}"]
        case "minimum":
            return [f"{where}: {_shown(instance)} is below the minimum {_shown(allowed)}"]
        case "exclusiveMaximum":
            return [f"{where}: {_shown(instance)} must be below {_shown(allowed)}"]
        case "exclusiveMinimum":
            return [f"{where}: {_shown(instance)} must be above {_shown(allowed)}"]
        case "pattern":
            return [f"{where}: {_shown(instance)} does not match {allowed}"]
        case "type":
            kinds = allowed if isinstance(allowed, str) else " or ".join(allowed)
            return [f"{where}: {_shown(instance)} is not of type {kinds}"]
        case "required":
            present = instance if isinstance(instance, Mapping) else {}
            prefix = f"{name}." if name else ""
            return [f"parameter {prefix}{key} is required" for key in allowed if key not in present]
        case "additionalProperties":
            present = instance if isinstance(instance, Mapping) else {}
            declared = set((error.schema.get("properties") or {}) if isinstance(error.schema, Mapping) else {})
            prefix = f"{name}." if name else ""
            choices = ", ".join(known) if not name else ", ".join(f"{prefix}{k}" for k in sorted(declared))
            return [
                f"parameter {prefix}{key} is not a parameter of template {template} (parameters: {choices or 'none'})"
                for key in present
                if key not in declared
            ]
        case _:
            return [f"{where}: {error.message}"]


# `${cluster.name}`, `${cluster.labels.env}`...: expanded per cluster before rendering, so a value holding
# one is judged only once expanded (check_expanded), not as written.
_CLUSTER_PLACEHOLDER = re.compile(r"\$\{cluster\.")


def _deferred(error: ValidationError) -> bool:
    return isinstance(error.instance, str) and _CLUSTER_PLACEHOLDER.search(error.instance) is not None


def schema_problems(spec: TemplateSpec, values: Mapping[str, Any], *, expanded: bool = False) -> list[str]:
    """Every way `values` (merged over the template's defaults) breaks the parameter schema. Unless
    `expanded`, a value holding a `${cluster...}` placeholder is left to check_expanded."""
    validator = Draft202012Validator(spec.parameters)
    known = [str(k) for k in (spec.parameters.get("properties") or {})]
    problems: list[str] = []
    try:
        errors = sorted(
            validator.iter_errors(merged(spec.values, values)),
            key=lambda e: ([str(p) for p in e.path], str(e.validator)),
        )
    except Unresolvable as unresolvable:
        # A reference only these values reach, and it leads nowhere: the template's fault, said so.
        return [f"template {spec.name}: its parameter schema cannot check these values: {unresolvable}"]
    for found in errors:
        if not expanded and _deferred(found):
            continue
        for message in _schema_messages(found, spec.name, known):
            if message not in problems:
                problems.append(message)
    return problems


def locked_problems(spec: TemplateSpec, values: Mapping[str, Any]) -> list[str]:
    """Each locked value `values` touches: named at the shorter of the two paths, with what is locked there."""
    problems: list[str] = []
    locked = list(leaf_paths(spec.locked))
    for given in leaf_paths(values):
        for fixed in locked:
            if overlaps(given, fixed):
                path: Path = given if len(given) < len(fixed) else fixed
                message = (
                    f"parameter {dotted(path)} is locked by template {spec.name} "
                    f"(value: {_shown(value_at(spec.locked, path))})"
                )
                if message not in problems:
                    problems.append(message)
    return problems


def without_locked(values: Mapping[str, Any], locked: Mapping[str, Any]) -> dict[str, Any]:
    """`values` without what touches a locked value: refused as locked, it is not judged again by the
    schema (which would only add "not a parameter")."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        if key not in locked:
            result[key] = value
        elif isinstance(value, Mapping) and isinstance(locked[key], Mapping) and locked[key]:
            rest = without_locked(value, locked[key])
            if rest:
                result[key] = rest
    return result


def overridable_problems(spec: TemplateSpec, values: Mapping[str, Any]) -> list[str]:
    allowed = [tuple(p.split(".")) for p in spec.cluster_overridable]
    allows = ", ".join(spec.cluster_overridable) or "nothing"
    problems: list[str] = []
    for given in leaf_paths(values):
        # Allowed: the path is an overridable parameter or lies inside one.
        if not any(given[: len(a)] == a for a in allowed):
            message = (
                f"parameter {dotted(given)} may not be overridden per cluster; template {spec.name} allows: {allows}"
            )
            if message not in problems:
                problems.append(message)
    return problems


def check_values(spec: TemplateSpec, values: Mapping[str, Any], cluster_values: ClusterValues = ()) -> list[str]:
    """Every problem with an operator's values for `spec`, at once: values outside the parameter schema,
    locked values given, per-cluster values the template does not let operators override (each entry
    also checked against the schema, merged over the operator's values). Empty: they may be used."""
    unlocked = without_locked(values, spec.locked)
    problems = locked_problems(spec, values) + schema_problems(spec, unlocked)
    for index, (selector, overrides) in enumerate(cluster_values):
        where = f"clusterValues[{index}] ({selector or 'every cluster'})"
        entry = locked_problems(spec, overrides) + overridable_problems(spec, overrides)
        if not entry:
            # Only what this entry adds: the operator's own problems are reported once, above.
            entry = [p for p in schema_problems(spec, merged(unlocked, overrides)) if p not in problems]
        problems += [f"{where}: {p}" for p in entry]
    return problems


def values_for(
    spec: TemplateSpec, values: Mapping[str, Any], cluster_values: ClusterValues, facts: ClusterFacts
) -> dict[str, Any]:
    """The values one cluster renders with: the template's defaults, then its clusterValues matching the
    cluster, then the operator's values, then the operator's matching clusterValues, then the locked
    values (always win). Later clusterValues entries win over earlier ones."""
    return merged(
        spec.values,
        *(v for selector, v in spec.cluster_values if selector.matches(facts.labels)),
        values,
        *(v for selector, v in cluster_values if selector.matches(facts.labels)),
        spec.locked,
    )


def check_expanded(spec: TemplateSpec, values: Mapping[str, Any], cluster: str) -> list[str]:
    """The values one cluster renders with (values_for's, `${cluster...}` placeholders expanded) against
    the parameter schema: what check_values could not judge before expansion, named with the cluster."""
    return [
        f"cluster {cluster}: {p}" for p in schema_problems(spec, without_locked(values, spec.locked), expanded=True)
    ]


def template_rule(spec: TemplateSpec, source: Source) -> Callable[[ClusterFacts], dict[str, Any]]:
    """How a template application's values for one cluster are made: the template's order (values_for),
    then the cluster's facts (`${cluster...}`), then the parameters again, judged once the facts are
    known (ValuesError naming each problem)."""
    pairs = source.cluster_value_pairs()

    def rule(facts: ClusterFacts) -> dict[str, Any]:
        values = expand(values_for(spec, source.values, pairs, facts), facts)
        problems = check_expanded(spec, values, facts.name)
        if problems:
            raise ValuesError(f"template {spec.name}", "; ".join(problems))
        return values

    return rule
