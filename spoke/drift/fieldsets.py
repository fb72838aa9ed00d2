"""Managed-fields trees (`metadata.managedFields[].fieldsV1`) as sets of field paths. Pure.

A fieldsV1 tree nests one key per path segment: `f:<name>` a map field, `k:<json object>` an item of
a keyed list by its merge keys, `v:<json value>` an item of a set, `i:<n>` an item of an atomic list
by position, and `.` the node itself (the item exists and is ours, as well as some of its fields).
An empty child `{}` marks a leaf. Flattening yields every owned path: each leaf, and each `.` as the
path of its node. The paths are `schemas.v1.drift` FieldPaths, written with `format_path`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.v1.drift import FieldName, FieldPath, ListIndex, ListKey, Segment, SetValue

FieldSet = frozenset[FieldPath]


class FieldsV1Error(ValueError):
    """A fieldsV1 key this module does not understand (the API server never sends one)."""


def segment_of(key: str) -> Segment:
    """One fieldsV1 key as a path segment."""
    prefix, _, rest = key.partition(":")
    if prefix == "f":
        return FieldName(rest)
    if prefix == "i":
        try:
            return ListIndex(int(rest))
        except ValueError as error:
            raise FieldsV1Error(f"bad list index {key!r}") from error
    try:
        value = json.loads(rest)
    except ValueError as error:
        raise FieldsV1Error(f"bad JSON in {key!r}") from error
    if prefix == "v":
        if isinstance(value, dict | list):
            raise FieldsV1Error(f"a set item is a plain value, not {rest}")
        return SetValue(value)
    if prefix == "k":
        if not isinstance(value, dict):
            raise FieldsV1Error(f"a list key is a JSON object, not {rest}")
        keys: list[tuple[str, str | int | bool | None]] = []
        for name, item in value.items():
            if isinstance(item, float) and item.is_integer():
                item = int(item)
            if not (isinstance(item, str | int | bool) or item is None):
                raise FieldsV1Error(f"list keys are strings, numbers or booleans, not {item!r} in {key!r}")
            keys.append((str(name), item))
        return ListKey(tuple(keys))
    raise FieldsV1Error(f"unknown fieldsV1 key {key!r}")


def key_of(segment: Segment) -> str:
    """The fieldsV1 key of a segment: the inverse of `segment_of` (JSON as the API server writes it)."""
    if isinstance(segment, FieldName):
        return f"f:{segment.name}"
    if isinstance(segment, ListIndex):
        return f"i:{segment.index}"
    if isinstance(segment, SetValue):
        return "v:" + json.dumps(segment.value, separators=(",", ":"))
    return "k:" + json.dumps(dict(segment.keys), separators=(",", ":"))


def item_matches(segment: ListKey | SetValue | ListIndex, index: int, item: Any) -> bool:
    """Whether `item`, at `index` of a list, is the one `segment` names."""
    if isinstance(segment, ListIndex):
        return segment.index == index
    if isinstance(segment, SetValue):
        return bool(item == segment.value and type(item) is type(segment.value))
    return isinstance(item, Mapping) and all(k in item and item[k] == v for k, v in segment.keys)


def value_at(obj: Any, path: FieldPath) -> tuple[bool, Any]:
    """(found, value) of `path` in an object."""
    node = obj
    for segment in path:
        if isinstance(segment, FieldName):
            if not isinstance(node, Mapping) or segment.name not in node:
                return False, None
            node = node[segment.name]
            continue
        if not isinstance(node, list):
            return False, None
        for index, item in enumerate(node):
            if item_matches(segment, index, item):
                node = item
                break
        else:
            return False, None
    return True, node


def flatten(tree: Mapping[str, Any] | None) -> FieldSet:
    """Every path a fieldsV1 tree owns."""
    paths: set[FieldPath] = set()

    def walk(node: Mapping[str, Any], prefix: FieldPath) -> None:
        for key, child in node.items():
            if key == ".":
                if prefix:
                    paths.add(prefix)
                continue
            path = (*prefix, segment_of(key))
            if isinstance(child, Mapping) and child:
                walk(child, path)
            else:
                paths.add(path)

    walk(tree or {}, ())
    return frozenset(paths)


def unflatten(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """A fieldsV1 tree owning exactly `paths` (a path that has owned children gets a `.`)."""
    tree: dict[str, Any] = {}
    wanted = [path for path in paths if path]
    for path in wanted:
        node = tree
        for segment in path:
            node = node.setdefault(key_of(segment), {})
    for path in wanted:
        node = tree
        for segment in path:
            node = node[key_of(segment)]
        if node:
            node["."] = {}
    return tree


def entries(obj: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The managedFields entries of a live object."""
    if not obj:
        return []
    found = (obj.get("metadata") or {}).get("managedFields") or []
    return [entry for entry in found if isinstance(entry, Mapping)]


def owned_by(obj: Mapping[str, Any] | None, manager: str, operation: str = "Apply") -> FieldSet | None:
    """The paths `manager` owns through `operation` (its main resource, not a subresource); None when
    it has no such entry at all."""
    found: FieldSet | None = None
    for entry in entries(obj):
        if entry.get("manager") == manager and entry.get("operation") == operation and not entry.get("subresource"):
            found = (found or frozenset()) | flatten(entry.get("fieldsV1"))
    return found


def others(obj: Mapping[str, Any] | None, manager: str, operation: str = "Apply") -> dict[str, FieldSet]:
    """Every other owner's paths, by manager name (subresource writers included: an HPA scales through
    `/scale`). Our own non-Apply entries count as others: they are not what we applied."""
    owners: dict[str, set[FieldPath]] = {}
    for entry in entries(obj):
        name = str(entry.get("manager") or "")
        if name == manager and entry.get("operation") == operation and not entry.get("subresource"):
            continue
        label = name if name != manager else f"{name} ({entry.get('operation')})"
        owners.setdefault(label, set()).update(flatten(entry.get("fieldsV1")))
    return {name: frozenset(paths) for name, paths in owners.items()}
