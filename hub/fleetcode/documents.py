"""The YAML documents of the fleet as code, read with the line each one (and each of its fields)
starts on. Pure: text in, documents and problems out.

Every document: `apiVersion: fleetcast.dev/v1`, `kind`, `metadata: {name}`, `spec`. A YAML document
whose apiVersion is not Fleetcast's is a Kubernetes object (an Application's `manifests:` file).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from hub.charts.archive import ChartArchive
from schemas.v1 import is_dns_label

API_VERSION = "fleetcast.dev/v1"
# Strategy files written for `fleetcast strategy apply` say this; they are the same documents.
OLDER_API_VERSIONS = ("fleetcast.io/v1",)

APPLICATION = "Application"
TEMPLATE = "Template"
POLICY = "Policy"
STRATEGY = "Strategy"
SUBSCRIPTION = "Subscription"

# The fields of each kind's spec (camelCase, as written). A Strategy's and a Subscription's are checked
# by their own parsers (hub/rollouts/spec.py, hub/notifications/spec.py), which refuse unknown ones.
SPEC_FIELDS: dict[str, frozenset[str] | None] = {
    APPLICATION: frozenset(
        {
            "selector",
            "manifests",
            "chart",
            "template",
            "values",
            "clusterValues",
            "namespace",
            "strategy",
            "dependsOn",
            "imageOverrides",
            "drift",
            "autoUpdate",
        }
    ),
    TEMPLATE: frozenset(
        {"description", "chart", "manifests", "parameters", "values", "locked", "clusterOverridable", "clusterValues"}
    ),
    POLICY: frozenset({"description", "action", "match", "validations", "enabled"}),
    STRATEGY: None,
    SUBSCRIPTION: None,
}
KINDS = tuple(SPEC_FIELDS)
# The order sync applies kinds in: what applications refer to exists before them.
APPLY_ORDER = (TEMPLATE, POLICY, STRATEGY, SUBSCRIPTION, APPLICATION)
_TOP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec"})


@dataclass(frozen=True)
class Problem:
    """Something wrong, where: `file` relative to the directory loaded, `line` 1-based (0: the file)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Document:
    """One Fleetcast document. `spec` is as written until the loader resolves its paths: then an
    Application's or Template's `manifests` hold objects (or template texts) and `chart` the chart read."""

    kind: str
    name: str
    spec: dict[str, Any]
    file: str
    line: int
    chart: ChartArchive | None = field(default=None, compare=False)
    # The line of each top-level spec field, for problems found later (references, rendering).
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def line_of(self, spec_field: str) -> int:
        return self.lines.get(spec_field, self.line)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class RawDocument:
    """A YAML document of a file: its value, the line it starts on, and its node (for fields' lines)."""

    value: Any
    line: int
    node: yaml.Node


try:  # libyaml's parser is much faster on large files
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


def yaml_documents(text: str) -> list[RawDocument]:
    """Every YAML document of `text` with its start line; yaml.YAMLError (with its mark) when it does
    not parse. Empty documents are left out."""
    loader = _SafeLoader(text)
    documents: list[RawDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                continue
            value = loader.construct_document(node)
            if value is not None:
                documents.append(RawDocument(value, node.start_mark.line + 1, node))
    finally:
        loader.dispose()
    return documents


def yaml_error_line(error: yaml.YAMLError) -> int:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def field_lines(node: yaml.Node, *path: str) -> dict[str, int]:
    """The line of each key of the mapping found at `path` below `node` (empty when there is none)."""
    for key in path:
        node_at = _child(node, key)
        if node_at is None:
            return {}
        node = node_at
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _v in node.value if isinstance(k, yaml.ScalarNode)}


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def is_fleet_document(value: Any) -> bool:
    """Whether a YAML document means to be a Fleetcast one (its apiVersion says so)."""
    return isinstance(value, dict) and value.get("apiVersion") in (API_VERSION, *OLDER_API_VERSIONS)


def is_inventory(value: Any) -> bool:
    """An inventory file (`clusters: [...]`, hub/fleetcode/inventory.py) kept in the repository."""
    return isinstance(value, dict) and set(value) == {"clusters"}


def is_kubernetes_object(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("apiVersion"), str) and "kind" in value


def document(raw: RawDocument, file: str) -> tuple[Document | None, list[Problem]]:
    """The document in `raw` (a Fleetcast one), or None and every problem of its shape."""
    return checked_document(raw.value, file, raw.line, field_lines(raw.node), field_lines(raw.node, "spec"))


def checked_document(
    value: dict[str, Any],
    file: str,
    line: int = 0,
    lines: Mapping[str, int] | None = None,
    spec_lines: Mapping[str, int] | None = None,
) -> tuple[Document | None, list[Problem]]:
    """A document from its value (what the sync API receives: no lines), or None and its problems."""
    lines = lines or {}
    spec_lines = spec_lines or {}
    problems: list[Problem] = []

    def problem(message: str, at: int | None = None) -> None:
        problems.append(Problem(file, at or line, message))

    unknown = sorted(set(value) - _TOP_FIELDS)
    if unknown:
        problem(f"unknown field(s) {', '.join(map(str, unknown))}", lines.get(str(unknown[0])))
    if value.get("apiVersion") not in (API_VERSION, *OLDER_API_VERSIONS):
        problem(f"apiVersion {value.get('apiVersion')!r}: expected {API_VERSION}", lines.get("apiVersion"))
    kind = value.get("kind")
    if kind not in SPEC_FIELDS:
        problem(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}", lines.get("kind"))
        return None, problems
    metadata = value.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not is_dns_label(name):
        problem(
            f"{kind}: metadata.name {name!r} must be a DNS-1123 label (lowercase letters, digits and '-')",
            lines.get("metadata"),
        )
    elif isinstance(metadata, dict) and set(metadata) - {"name"}:
        extra = ", ".join(sorted(map(str, set(metadata) - {"name"})))
        problem(f"{kind} {name}: unknown metadata field(s) {extra}", lines.get("metadata"))
    spec = value.get("spec")
    if not isinstance(spec, dict):
        problem(f"{kind} {name}: spec must be a mapping", lines.get("spec"))
        return None, problems
    known = SPEC_FIELDS[kind]
    if known is not None:
        for key in sorted(map(str, set(spec) - known)):
            problem(f"{kind} {name}: unknown field spec.{key}", spec_lines.get(key))
    if problems:
        return None, problems
    assert isinstance(name, str)
    return Document(kind, name, spec, file, line, lines=dict(spec_lines)), []


def duplicates(documents: Sequence[Document]) -> Iterator[Problem]:
    """A name is one object per kind: a second document of the same kind and name is a problem."""
    seen: dict[tuple[str, str], Document] = {}
    for doc in documents:
        first = seen.setdefault((doc.kind, doc.name), doc)
        if first is not doc:
            yield Problem(doc.file, doc.line, f"duplicate {doc.label}: also in {first.file}:{first.line}")
