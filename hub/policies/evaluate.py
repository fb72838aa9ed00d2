"""Policies judged on rendered objects, per target cluster. Pure.

    evaluate(policies, [(ClusterFacts, objects), ...]) -> [Finding, ...]

A policy applies to an object when its kinds, namespaces and cluster selector all cover it; each of its
validations is then evaluated with `object` and `cluster` ({name, labels}). False: a finding with the
validation's message and the policy's action. An evaluation error (a missing field, a wrong type, a
result that is not a bool) is a `deny` finding whatever the policy's action: a policy that cannot say
yes never lets anything through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from hub.policies.expressions import EvaluationError, bindings
from hub.policies.expressions import evaluate as evaluate_expression
from hub.policies.spec import Action, Policy
from hub.sources.facts import ClusterFacts


@dataclass(frozen=True, order=True)
class Finding:
    # Field order is the report's order: by cluster, then object, then policy.
    cluster: str
    object: str
    policy: str
    validation: int
    action: Action
    message: str

    def describe(self) -> str:
        """`policy no-latest-images, cluster prod-1, apps/Deployment shop/web: images must be pinned`."""
        return f"policy {self.policy}, cluster {self.cluster}, {self.object}: {self.message}"


class FindingOut(BaseModel):
    """A policy's finding on one object for one cluster."""

    policy: str
    action: Action = Field(description="deny: the release is refused; warn: it is made and the finding kept.")
    cluster: str
    object: str = Field(description="`group/Kind namespace/name` (`apps/Deployment shop/web`, `Namespace shop`).")
    message: str

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls(
            policy=finding.policy,
            action=finding.action,
            cluster=finding.cluster,
            object=finding.object,
            message=finding.message,
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def object_identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name) of a rendered object, tolerant of anything a render gives."""
    api_version = _text(obj.get("apiVersion"))
    group = api_version.rpartition("/")[0]
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return group, _text(obj.get("kind")), _text(metadata.get("namespace")), _text(metadata.get("name"))


def describe_object(obj: dict[str, Any]) -> str:
    group, kind, namespace, name = object_identity(obj)
    where = f"{namespace}/{name}" if namespace else name
    return f"{group}/{kind} {where}" if group else f"{kind} {where}"


def cluster_variable(cluster: ClusterFacts) -> dict[str, Any]:
    return {"name": cluster.name, "labels": dict(cluster.labels)}


def _judge(policy: Policy, obj: dict[str, Any], cluster: ClusterFacts, what: str, context: Any) -> Iterable[Finding]:
    for index, validation in enumerate(policy.validations):
        try:
            passed = evaluate_expression(validation.program, context)
        except EvaluationError as error:
            yield Finding(cluster.name, what, policy.name, index, Action.DENY, f"evaluation error: {error}")
            continue
        if not passed:
            yield Finding(cluster.name, what, policy.name, index, policy.action, validation.message)


def evaluate(
    policies: Sequence[Policy], targets: Sequence[tuple[ClusterFacts, Sequence[dict[str, Any]]]]
) -> list[Finding]:
    """Every finding of `policies` on each target cluster's objects, in a deterministic order."""
    findings: list[Finding] = []
    for cluster, objects in targets:
        applying = [p for p in policies if p.match.cluster_selector.matches(cluster.labels)]
        if not applying:
            continue
        cluster_value = cluster_variable(cluster)
        for obj in objects:
            group, kind, namespace, _ = object_identity(obj)
            in_scope = [p for p in applying if p.match.covers_object(group, kind, namespace)]
            if not in_scope:
                continue
            what = describe_object(obj)
            context = bindings(obj, cluster_value)
            for policy in in_scope:
                findings.extend(_judge(policy, obj, cluster, what, context))
    return sorted(set(findings))


def denied(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.action is Action.DENY]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.action is Action.WARN]
