"""The inventory `fleetcast validate` renders for: a YAML file listing the clusters of a fleet, as the hub
would know them.

    clusters:
    - name: prod-eu-1
      labels: {env: prod, region: eu}
      kubernetesVersion: v1.34.1
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.fleetcode.documents import Problem
from hub.labels import key_problem
from hub.sources.facts import ClusterFacts
from schemas.v1 import is_dns_label


class _Cluster(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    kubernetes_version: str | None = Field(default=None, alias="kubernetesVersion")


class _Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clusters: list[_Cluster]


def parse_inventory(text: str, file: str = "inventory") -> tuple[list[ClusterFacts], list[Problem]]:
    """The clusters of an inventory file, or every problem with it (file and line where known)."""
    try:
        source: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return [], [Problem(file, mark.line + 1 if mark else 0, f"not valid YAML: {' '.join(str(error).split())}")]
    try:
        inventory = _Inventory.model_validate(source)
    except ValidationError as error:
        return [], [
            Problem(file, 0, f"{'.'.join(map(str, e['loc'])) or 'inventory'}: {e['msg']}") for e in error.errors()
        ]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, cluster in enumerate(inventory.clusters):
        where = f"clusters.{index}"
        if not is_dns_label(cluster.name):
            problems.append(Problem(file, 0, f"{where}: name {cluster.name!r} must be a DNS-1123 label"))
        if cluster.name in seen:
            problems.append(Problem(file, 0, f"{where}: duplicate cluster {cluster.name}"))
        seen.add(cluster.name)
        for key in cluster.labels:
            why = key_problem(key)
            if why:
                problems.append(Problem(file, 0, f"{where} ({cluster.name}): label {key!r}: {why}"))
    if problems:
        return [], problems
    return [ClusterFacts(c.name, dict(c.labels), c.kubernetes_version) for c in inventory.clusters], []
