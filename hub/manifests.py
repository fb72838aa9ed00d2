"""Application manifests: parsed from YAML/JSON text or a list of objects, and checked before anything
is stored, so a spoke never receives what the API server would refuse for reasons we can see here.

Every problem names the object: its document (1-based, as an editor counts them) and Kind/name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml


class ManifestError(ValueError):
    """Manifests that cannot be accepted; `problems` holds one line per problem, each naming the object."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid manifests: " + "; ".join(problems))


try:  # libyaml's parser: ten times faster, which an application of a few MB of CRDs needs (7 s -> 0.7 s)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """SafeLoader without implicit timestamps: Kubernetes reads YAML as JSON, where a date is a string.
    Nor YAML 1.1's `=` "value" tag, which PyYAML cannot construct: a plain `=` is the string "=" to
    Kubernetes (prometheus-operator's CRDs list it in an enum)."""


_NOT_IMPLICIT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NOT_IMPLICIT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class _Document:
    where: str  # "document 3" or "document 1 item 2"
    value: Any


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _documents_from_text(text: str) -> Iterator[_Document]:
    index = 0
    try:
        for index, value in enumerate(yaml.load_all(text, Loader=_Loader), start=1):
            if value is None:  # an empty document, such as a trailing "---"
                continue
            if isinstance(value, list):
                # A JSON array (or a YAML sequence) of objects is the same as one document per object.
                for item_index, item in enumerate(value, start=1):
                    yield _Document(f"document {index} item {item_index}", item)
            else:
                yield _Document(f"document {index}", value)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ManifestError([f"document {index + 1}: not valid YAML or JSON: {problem}{at}"]) from error


def _documents(source: str | list[Any]) -> Iterator[_Document]:
    if isinstance(source, str):
        yield from _documents_from_text(source)
    else:
        for index, value in enumerate(source, start=1):
            yield _Document(f"document {index}", value)


def _name_of(obj: dict[str, Any]) -> str:
    def text(value: Any, missing: str) -> str:
        return value if isinstance(value, str) and value else missing

    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    namespace = text(metadata.get("namespace"), "")
    where = f"{namespace}/" if namespace else ""
    return f"{text(obj.get('kind'), '<no kind>')}/{where}{text(metadata.get('name'), '<no name>')}"


def _object_problems(obj: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if value is None or value == "":
            problems.append(f"missing {field}")
        elif not isinstance(value, str):
            problems.append(f"{field} must be a string, got {_describe(value)}")
    metadata = obj.get("metadata")
    if metadata is None:
        problems.append("missing metadata.name")
    elif not isinstance(metadata, dict):
        problems.append(f"metadata must be a mapping, got {_describe(metadata)}")
    else:
        name = metadata.get("name")
        if name is None or name == "":
            problems.append("missing metadata.name")
        elif not isinstance(name, str):
            problems.append(f"metadata.name must be a string, got {_describe(name)}")
        namespace = metadata.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            problems.append(f"metadata.namespace must be a string, got {_describe(namespace)}")
    return problems


def identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name): what makes two objects the same object to the API server.

    The version is not part of it: apps/v1 and apps/v1beta2 Deployments named alike are one object.
    """
    api_version: str = obj["apiVersion"]
    group = api_version.rpartition("/")[0]
    namespace = obj["metadata"].get("namespace") or ""
    return (group, obj["kind"], namespace, obj["metadata"]["name"])


def parse_manifests(source: str | list[Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects in `source`, in order, as plain JSON values; ManifestError lists every problem."""
    objects: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str, str], str] = {}
    for document in _documents(source):
        if not isinstance(document.value, dict):
            problems.append(
                f"{document.where}: expected a Kubernetes object (a mapping), got {_describe(document.value)}"
            )
            continue
        try:
            # Through JSON and back: what the spoke receives is JSON, so anything JSON cannot hold is
            # refused now, and keys YAML read as numbers or booleans become the strings Kubernetes sees.
            obj: dict[str, Any] = json.loads(json.dumps(document.value))
        except (TypeError, ValueError) as error:
            problems.append(f"{document.where} ({_name_of(document.value)}): not representable as JSON: {error}")
            continue
        object_problems = _object_problems(obj)
        if object_problems:
            problems += [f"{document.where} ({_name_of(obj)}): {p}" for p in object_problems]
            continue
        key = identity(obj)
        if key in seen:
            problems.append(
                f"{document.where} ({_name_of(obj)}): duplicate of {seen[key]} (same group, kind, namespace and name)"
            )
            continue
        seen[key] = document.where
        objects.append(obj)
    if problems:
        raise ManifestError(problems)
    if not objects:
        raise ManifestError(["no Kubernetes objects found"])
    return objects


def yaml_documents(text: str) -> list[Any]:
    """The documents of a YAML stream read as Kubernetes reads YAML (see `_Loader`), empty ones dropped,
    in order; yaml.YAMLError when it does not parse. For text a program wrote, such as `helm template`'s."""
    return [value for value in yaml.load_all(text, Loader=_Loader) if value is not None]
