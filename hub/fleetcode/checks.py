"""Checks of the documents against each other and against the hub's own parsers, offline and pure:
references (templates, strategies, dependencies), selectors, strategy and subscription specs, drift
policies, image overrides and auto-update policies. Sync runs the same checks before it changes
anything, so what `fleetcast validate` passes, the hub accepts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import Any

from pydantic import ValidationError

from hub.autoupdate.spec import parse_policies
from hub.drift.policy import PolicyError, parse_policy
from hub.fleetcode.documents import APPLICATION, POLICY, STRATEGY, SUBSCRIPTION, TEMPLATE, Document, Problem
from hub.notifications.spec import SubscriptionError, SubscriptionIn, check_subscription
from hub.overrides.spec import OverrideError, parse_overrides
from hub.rollouts.spec import StrategySpec, spec_problems
from hub.selectors import SelectorError, parse_selector


def _problem(doc: Document, spec_field: str, message: str) -> Problem:
    return Problem(doc.file, doc.line_of(spec_field), f"{doc.label}: {message}")


def _selector_problem(doc: Document, spec_field: str, source: Any) -> Iterator[Problem]:
    try:
        parse_selector(source)
    except SelectorError as error:
        yield _problem(doc, spec_field, f"{spec_field}: {error}")


def _cluster_values(doc: Document) -> Iterator[Problem]:
    entries = doc.spec.get("clusterValues")
    if entries is None:
        return
    if not isinstance(entries, list):
        yield _problem(doc, "clusterValues", "clusterValues must be a list of {selector, values}")
        return
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or set(entry) - {"selector", "values"}
            or not isinstance(entry.get("values", {}), dict)
        ):
            yield _problem(
                doc, "clusterValues", f"clusterValues.{index}: must be {{selector, values}} (values a mapping)"
            )
            continue
        yield from _selector_problem(doc, "clusterValues", entry.get("selector"))


def application_problems(
    doc: Document, names: Mapping[str, set[str]], *, whole_fleet: bool = True
) -> Iterator[Problem]:
    """`names`: the names of each kind the directory holds. `whole_fleet`: the directory is the whole
    fleet (an application repository's `fleetcast.yaml` refers to what lives elsewhere)."""
    spec = doc.spec
    if "selector" not in spec:
        yield Problem(doc.file, doc.line, f'{doc.label}: selector is required ("" selects every cluster)')
    else:
        yield from _selector_problem(doc, "selector", spec["selector"])
    yield from _cluster_values(doc)
    if "values" in spec and not isinstance(spec["values"], dict):
        yield _problem(doc, "values", "values must be a mapping")
    template = spec.get("template")
    if template is not None and whole_fleet and template not in names[TEMPLATE]:
        yield _problem(doc, "template", f"template {template!r} is not defined in this directory")
    strategy = spec.get("strategy")
    if strategy is not None and whole_fleet and strategy not in names[STRATEGY]:
        yield _problem(doc, "strategy", f"strategy {strategy!r} is not defined in this directory")
    depends = spec.get("dependsOn", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        yield _problem(doc, "dependsOn", "dependsOn must be a list of application names")
    elif whole_fleet:
        for name in depends:
            if name not in names[APPLICATION]:
                yield _problem(doc, "dependsOn", f"dependsOn: application {name!r} is not defined in this directory")
            elif name == doc.name:
                yield _problem(doc, "dependsOn", "dependsOn: an application cannot depend on itself")
    overrides = spec.get("imageOverrides", {})
    if not isinstance(overrides, dict):
        yield _problem(doc, "imageOverrides", "imageOverrides must be a mapping image -> tag or digest")
    else:
        try:
            parse_overrides(overrides)
        except (OverrideError, TypeError, AttributeError) as error:
            yield _problem(doc, "imageOverrides", f"imageOverrides: {error}")
    if "drift" in spec and spec["drift"] is not None:
        try:
            parse_policy(spec["drift"])
        except PolicyError as error:
            yield _problem(doc, "drift", f"drift: {error}")
    if "autoUpdate" in spec:
        try:
            for policy in parse_policies(spec["autoUpdate"]):
                if policy.strategy is not None and whole_fleet and policy.strategy not in names[STRATEGY]:
                    yield _problem(doc, "autoUpdate", f"autoUpdate: strategy {policy.strategy!r} is not defined")
        except ValueError as error:
            yield _problem(doc, "autoUpdate", f"autoUpdate: {error}")


def strategy_problems(doc: Document) -> Iterator[Problem]:
    try:
        StrategySpec.model_validate(doc.spec)
    except ValidationError as error:
        for problem in spec_problems(error):
            yield Problem(doc.file, doc.line, f"{doc.label}: {problem}")


def subscription_problems(doc: Document) -> Iterator[Problem]:
    try:
        check_subscription(SubscriptionIn.model_validate(doc.spec))
    except ValidationError as error:
        for problem in spec_problems(error):
            yield Problem(doc.file, doc.line, f"{doc.label}: {problem}")
    except SubscriptionError as error:
        for problem in error.problems:
            yield Problem(doc.file, doc.line, f"{doc.label}: {problem}")


def template_problems(doc: Document) -> Iterator[Problem]:
    yield from _cluster_values(doc)
    for key in ("parameters", "values", "locked"):
        if key in doc.spec and not isinstance(doc.spec[key], dict):
            yield _problem(doc, key, f"{key} must be a mapping")
    overridable = doc.spec.get("clusterOverridable", [])
    if not isinstance(overridable, list) or not all(isinstance(p, str) for p in overridable):
        yield _problem(doc, "clusterOverridable", "clusterOverridable must be a list of dotted parameter paths")


def policy_problems(doc: Document) -> Iterator[Problem]:
    """The shape only: the CEL expressions are compiled by the policy engine (an injected step)."""
    if doc.spec.get("action", "deny") not in ("deny", "warn"):
        yield _problem(doc, "action", f"action must be deny or warn, not {doc.spec.get('action')!r}")
    match = doc.spec.get("match", {})
    if not isinstance(match, dict):
        yield _problem(doc, "match", "match must be a mapping of kinds, namespaces, clusterSelector")
    elif "clusterSelector" in match:
        yield from _selector_problem(doc, "match", match["clusterSelector"])
    validations = doc.spec.get("validations")
    if not isinstance(validations, list) or not validations:
        yield _problem(doc, "validations", "validations must be a non-empty list of {expression, message}")
    elif not all(isinstance(v, dict) and isinstance(v.get("expression"), str) for v in validations):
        yield _problem(doc, "validations", "each validation needs an expression (CEL text)")


def dependency_cycle(applications: Sequence[Document]) -> list[str] | None:
    """A cycle of dependsOn among the applications (its names, first repeated last), or None."""
    graph = {
        doc.name: [d for d in doc.spec.get("dependsOn", []) if isinstance(d, str)]
        for doc in applications
        if isinstance(doc.spec.get("dependsOn", []), list)
    }
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return [str(n) for n in error.args[1]]
    return None


def reference_problems(documents: Sequence[Document], *, whole_fleet: bool = True) -> list[Problem]:
    """Every problem of the documents' specs and of their references to each other."""
    names: dict[str, set[str]] = {kind: set() for kind in (APPLICATION, TEMPLATE, POLICY, STRATEGY, SUBSCRIPTION)}
    for doc in documents:
        names[doc.kind].add(doc.name)
    problems: list[Problem] = []
    for doc in documents:
        if doc.kind == APPLICATION:
            problems += application_problems(doc, names, whole_fleet=whole_fleet)
        elif doc.kind == STRATEGY:
            problems += strategy_problems(doc)
        elif doc.kind == SUBSCRIPTION:
            problems += subscription_problems(doc)
        elif doc.kind == TEMPLATE:
            problems += template_problems(doc)
        elif doc.kind == POLICY:
            problems += policy_problems(doc)
    applications = [d for d in documents if d.kind == APPLICATION]
    cycle = dependency_cycle(applications)
    if cycle:
        first = next(d for d in applications if d.name == cycle[0])
        problems.append(_problem(first, "dependsOn", f"dependsOn: dependency cycle {' -> '.join(cycle)}"))
    return problems
