"""An application's drift policy as given in a PUT, as stored, and as its bundles carry it. Pure."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from schemas.v1.drift import DriftPolicy, FieldPathError, parse_path


class PolicyError(ValueError):
    """A drift policy that cannot be used; the message names the rule and the path."""


def _rule_name(index: int, rule: Any) -> str:
    """`ignore rule 2 (kind=Deployment)`: counted from 1, as a person counts the rules of a file."""
    if not isinstance(rule, dict):
        return f"ignore rule {index + 1}"
    scope = ",".join(f"{key}={rule[key]}" for key in ("kind", "api_group", "namespace", "name") if rule.get(key))
    return f"ignore rule {index + 1}" + (f" ({scope})" if scope else "")


def _path_problems(source: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    rules = source.get("ignore")
    if not isinstance(rules, list):
        return problems
    for index, rule in enumerate(rules):
        paths = rule.get("paths") if isinstance(rule, dict) else None
        for path in paths if isinstance(paths, list) else []:
            if not isinstance(path, str):
                problems.append(f"{_rule_name(index, rule)}: path {path!r} is not a string")
                continue
            try:
                parse_path(path)
            except FieldPathError as error:
                # The parser's message names the path, except when there is nothing to name.
                named = str(error) if repr(path) in str(error) else f"path {path!r}: {error}"
                problems.append(f"{_rule_name(index, rule)}: {named}")
    return problems


def _location(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "policy"


def parse_policy(source: Any) -> DriftPolicy:
    """The policy in `source` (the JSON of a PUT's `drift`); PolicyError naming every problem:
    an ignore rule's path that does not parse, a mode that is neither correct nor alert."""
    if isinstance(source, DriftPolicy):
        return source
    if not isinstance(source, dict):
        raise PolicyError('a drift policy is an object: {"mode": "correct" | "alert", "ignore": [...]}')
    problems = _path_problems(source)
    if problems:
        raise PolicyError("; ".join(problems))
    try:
        return DriftPolicy.model_validate(source)
    except ValidationError as error:
        details = [f"{_location(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise PolicyError("; ".join(details)) from error


def stored(policy: DriftPolicy) -> dict[str, Any] | None:
    """As the application and release rows keep it: None for the default (correct, nothing ignored),
    so rows written before policies existed and rows with the default policy are the same."""
    if policy == DriftPolicy():
        return None
    return policy.model_dump(mode="json", exclude_none=True)


def loaded(row: dict[str, Any] | None) -> DriftPolicy:
    """A stored policy (the hub wrote it itself, so it parses)."""
    return DriftPolicy() if row is None else DriftPolicy.model_validate(row)
