"""Ignore rules: fields others legitimately own (replicas under an HPA). Pure.

They are neither reported as drift nor fought for: when the object exists already, the spoke does
not re-apply an ignored field that another manager owns now (Argo CD's RespectIgnoreDifferences).
Only fields someone else has taken over are left out: with server-side apply, dropping a field that
nobody else owns would delete it (a Deployment would fall back to 1 replica before its HPA ever acted),
so an ignored field only we own is still sent, unchanged. At creation everything is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.v1 import ObjectRef
from schemas.v1.drift import FieldName, FieldPath, IgnoreRule, ListIndex, ListKey, covers, parse_path
from spoke.drift.fieldsets import item_matches, others, owned_by
from spoke.objects import FIELD_MANAGER, Manifest, group_of


def matches(rule: IgnoreRule, ref: ObjectRef) -> bool:
    return (
        (rule.kind is None or rule.kind == ref.kind)
        and (rule.api_group is None or rule.api_group == group_of(ref.api_version))
        and (rule.namespace is None or rule.namespace == (ref.namespace or ""))
        and (rule.name is None or rule.name == ref.name)
    )


def ignored_paths(rules: Iterable[IgnoreRule], ref: ObjectRef) -> list[FieldPath]:
    """The paths the rules ignore for this object (already validated by the wire model)."""
    return [parse_path(path) for rule in rules if matches(rule, ref) for path in rule.paths]


def _strip_one(node: Any, path: FieldPath) -> None:
    """Remove `path` from `node` in place; a path that is not there is no error."""
    segment, rest = path[0], path[1:]
    if isinstance(segment, FieldName):
        if not isinstance(node, dict) or segment.name not in node:
            return
        if rest:
            _strip_one(node[segment.name], rest)
        else:
            del node[segment.name]
        return
    if not isinstance(node, list):
        return
    for index, item in enumerate(node):
        if item_matches(segment, index, item):
            if rest:
                _strip_one(item, rest)
            else:
                del node[index]
            return


def strip(manifest: Mapping[str, Any], paths: Iterable[FieldPath]) -> Manifest:
    """A copy of `manifest` without `paths` (map fields, keyed-list items and their fields, set items,
    list positions). Positions are removed from the last to the first, so they keep their meaning."""
    stripped: Manifest = copy.deepcopy(dict(manifest))
    ordered = sorted(
        (p for p in paths if p),
        key=lambda p: [s.index if isinstance(s, ListIndex) else 0 for s in p],
        reverse=True,
    )
    for path in ordered:
        _strip_one(stripped, path)
    return stripped


def taken_over(live: Mapping[str, Any], ignored: Iterable[FieldPath], manager: str = FIELD_MANAGER) -> set[FieldPath]:
    """The ignored paths (or paths below them) some other manager owns on the live object."""
    rules = list(ignored)
    return {
        path for paths in others(live, manager).values() for path in paths if any(covers(rule, path) for rule in rules)
    }


def _strippable(path: FieldPath, ours: frozenset[FieldPath]) -> bool:
    """Whether leaving `path` out of our apply only gives up that field.

    Not when we own something below it (a map or list item we share: dropping it would delete the
    fields only we own), not a merge key of a list item (the item would lose its identity), not a
    list item itself, and never the object's identity."""
    if not path or isinstance(path[-1], ListKey | ListIndex):
        return False
    if path[:2] in ((FieldName("metadata"), FieldName("name")), (FieldName("metadata"), FieldName("namespace"))):
        return False
    last, parent = path[-1], path[-2] if len(path) >= 2 else None
    if isinstance(parent, ListKey) and isinstance(last, FieldName) and any(k == last.name for k, _ in parent.keys):
        return False
    return not any(len(mine) > len(path) and mine[: len(path)] == path for mine in ours)


def respect_ignored(
    manifest: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    ignored: Iterable[FieldPath],
    manager: str = FIELD_MANAGER,
) -> Manifest:
    """The manifest to re-apply to an existing object: ignored fields others own left out."""
    rules = list(ignored)
    if live is None or not rules:
        return dict(manifest)
    ours = owned_by(live, manager) or frozenset()
    return strip(manifest, [path for path in taken_over(live, rules, manager) if _strippable(path, ours)])
