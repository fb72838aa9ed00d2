"""A policy as users write it, parsed and compiled. Pure.

    apiVersion: fleetcast.dev/v1
    kind: Policy
    metadata: {name: no-latest-images}
    spec:
      description: Images are pinned to a tag or digest
      action: deny                      # deny | warn
      match:
        kinds: [Pod, apps/Deployment]   # Kind (any group) or group/Kind; none: every kind
        namespaces: [shop]              # none: every namespace
        clusterSelector: env=prod       # label selector text or {matchLabels, matchExpressions}
      validations:
      - expression: "object.spec.replicas >= 2"
        message: at least two replicas

Every problem is reported at once, each naming the policy and where (`validations[1].expression`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from hub.policies.expressions import CompileError, compile_expression
from hub.selectors import Selector, SelectorError, parse_selector
from schemas.v1 import is_dns_label

API_VERSION = "fleetcast.dev/v1"
KIND = "Policy"

# `Deployment` or `apps/Deployment`; the core group is written `core/Pod` (or just `Pod`).
_KIND_REF = re.compile(r"^(?:(?P<group>[a-z0-9]([-a-z0-9.]*[a-z0-9])?)/)?(?P<kind>[A-Z][A-Za-z0-9]*)$")


class Action(StrEnum):
    DENY = "deny"
    WARN = "warn"


class PolicyError(ValueError):
    """A policy that cannot be used; `problems` holds each one, naming the policy and the field."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = [f"policy {name}: {problem}" for problem in problems]
        super().__init__("; ".join(self.problems))


# Expressions are compiled and selectors parsed when parse_spec validates (with this context), not when
# FastAPI reads a request body: so those problems come back together, each naming the policy.
_CHECK = {"check": True}


def _checking(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("check"))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class ValidationSpec(_Model):
    expression: str = Field(
        max_length=10_000,
        description="CEL over `object` (the rendered object) and `cluster` (name, labels); true passes.",
    )
    message: str = Field(min_length=1, max_length=1000, description="What a finding says when it is false.")

    @field_validator("expression")
    @classmethod
    def _compiles(cls, value: str, info: ValidationInfo) -> str:
        if not _checking(info):
            return value
        try:
            compile_expression(value)
        except CompileError as error:
            raise ValueError(str(error)) from error
        return value


class MatchSpec(_Model):
    kinds: list[str] = Field(
        default_factory=list, description="`Kind` (any group) or `group/Kind` (`core/Pod`); empty: every kind."
    )
    namespaces: list[str] = Field(
        default_factory=list,
        description="Only objects in these namespaces; empty: every object, with a namespace or without.",
    )
    cluster_selector: str | dict[str, Any] = Field(
        default="", description="Label selector of the clusters it applies to; empty: every cluster."
    )

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not _KIND_REF.match(v)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(b) for b in bad)}: a kind is `Kind` or `group/Kind` (Deployment, apps/Deployment)"
            )
        return sorted(set(values))

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not is_dns_label(v)]
        if bad:
            raise ValueError(f"{', '.join(repr(b) for b in bad)}: a namespace is a DNS-1123 label")
        return sorted(set(values))

    @field_validator("cluster_selector")
    @classmethod
    def _selector(cls, value: str | dict[str, Any], info: ValidationInfo) -> str | dict[str, Any]:
        if not _checking(info):
            return value
        try:
            return str(parse_selector(value))
        except SelectorError as error:
            raise ValueError(str(error)) from error


class PolicySpec(_Model):
    """The `spec` of a Policy document, and the body of `PUT /api/v1/policies/{name}` (with `enabled`
    and `origin` beside it there). Made by parse_spec: checked, selector normalized."""

    description: str = Field(default="", max_length=2000)
    action: Action = Field(description="deny: a release with a finding is refused (422); warn: it is recorded.")
    match: MatchSpec = Field(default_factory=MatchSpec)
    validations: list[ValidationSpec] = Field(min_length=1, max_length=100)

    def dump(self) -> dict[str, Any]:
        """The normalized JSON stored and compared: two spellings of one policy are one policy."""
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class KindRef:
    group: str | None  # None: any group
    kind: str

    def matches(self, group: str, kind: str) -> bool:
        return self.kind == kind and (self.group is None or self.group == group)


@dataclass(frozen=True)
class Match:
    kinds: tuple[KindRef, ...] = ()
    namespaces: tuple[str, ...] = ()
    cluster_selector: Selector = field(default_factory=Selector)

    def covers_object(self, group: str, kind: str, namespace: str) -> bool:
        if self.kinds and not any(k.matches(group, kind) for k in self.kinds):
            return False
        # A namespace filter leaves out what has no namespace (cluster-scoped, or left to the default).
        return not self.namespaces or namespace in self.namespaces


@dataclass(frozen=True)
class Validation:
    expression: str
    message: str
    program: cel.Program


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    action: Action
    match: Match
    validations: tuple[Validation, ...]
    # The validated spec it was made from: what is stored, and shown.
    spec: PolicySpec = field(compare=False, repr=False)


def _kind_ref(text: str) -> KindRef:
    group, _, kind = text.rpartition("/")
    if not group:
        return KindRef(None, kind)
    return KindRef("" if group == "core" else group, kind)


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ""
        for part in item.get("loc", ()):
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        where = where or "spec"
        message = item.get("msg", "invalid").removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return problems


def parse_spec(name: str, spec: Any) -> Policy:
    """A policy from its spec (the API body or a document's `spec`); PolicyError lists every problem."""
    problems = [] if is_dns_label(name) else [f"the name {name!r} is not a DNS-1123 label"]
    try:
        checked = PolicySpec.model_validate(spec, context=_CHECK)
    except ValidationError as error:
        raise PolicyError(name, problems + _problems(error)) from error
    if problems:
        raise PolicyError(name, problems)
    return _from_spec(name, checked)


def _from_spec(name: str, spec: PolicySpec) -> Policy:
    return Policy(
        name=name,
        description=spec.description,
        action=spec.action,
        match=Match(
            kinds=tuple(_kind_ref(k) for k in spec.match.kinds),
            namespaces=tuple(spec.match.namespaces),
            cluster_selector=parse_selector(spec.match.cluster_selector),
        ),
        validations=tuple(
            Validation(v.expression, v.message, compile_expression(v.expression)) for v in spec.validations
        ),
        spec=spec,
    )


def parse_document(document: Any, where: str = "document") -> Policy:
    """A policy from a `kind: Policy` document; PolicyError (named by `where` until the name is known)."""
    if not isinstance(document, Mapping):
        raise PolicyError(where, ["expected a mapping with apiVersion, kind: Policy, metadata.name and spec"])
    if document.get("kind") != KIND:
        raise PolicyError(where, [f"kind is {document.get('kind')!r}, expected {KIND}"])
    if document.get("apiVersion") != API_VERSION:
        raise PolicyError(where, [f"apiVersion is {document.get('apiVersion')!r}, expected {API_VERSION}"])
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        raise PolicyError(where, ["metadata.name is missing"])
    return parse_spec(name, document.get("spec"))


def enabled_split(spec: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """A Policy document's spec without its `enabled` (a repository may keep a policy switched off), and
    whether it is enabled."""
    rest = dict(spec)
    return rest, rest.pop("enabled", True) is not False
