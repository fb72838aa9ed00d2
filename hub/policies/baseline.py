"""The baseline policies shipped with the hub (hub/policies/baseline/*.yaml): what a platform engineer
enables as is (`fleetcast policy baseline --enable NAME`) or copies to change. Pure (package data)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from hub.policies.spec import Policy, parse_document


@cache
def baseline() -> dict[str, Policy]:
    """The shipped policies by name, in name order."""
    policies: dict[str, Policy] = {}
    folder = resources.files("hub.policies") / "baseline"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            policy = parse_document(yaml.safe_load(entry.read_text()), f"baseline/{entry.name}")
            policies[policy.name] = policy
    return dict(sorted(policies.items()))
