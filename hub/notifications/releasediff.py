"""What a release changes against the one before it, as text a person reads in a notification. Pure.

Objects are matched by identity (group, kind, namespace, name; hub/manifests.py): added, removed, or
changed, and for a changed object the fields that differ, leaf by leaf (`spec.replicas: 2 -> 3`), a
bounded number per object. A Secret's values are never shown, only which keys change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hub.manifests import identity

FIELDS_PER_OBJECT = 20
VALUE_WIDTH = 80
# Fields whose values say nothing useful and change with every apply or never matter to a reader.
_IGNORED = frozenset({"metadata.resourceVersion", "metadata.generation", "metadata.uid", "metadata.creationTimestamp"})
_SECRET_FIELDS = ("data", "stringData")

Identity = tuple[str, str, str, str]
_MISSING = object()


def _name(key: Identity) -> str:
    group, kind, namespace, name = key
    kind_text = f"{kind}.{group}" if group else kind
    return f"{kind_text} {namespace}/{name}" if namespace else f"{kind_text} {name}"


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "(none)"
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + "..."


def _is_secret(key: Identity) -> bool:
    return key[0] == "" and key[1] == "Secret"


def field_changes(key: Identity, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """`path: old -> new` for every leaf that differs (a Secret's values masked)."""
    before, after = dict(_leaves(old, "")), dict(_leaves(new, ""))
    lines: list[str] = []
    for path in sorted(before.keys() | after.keys()):
        if path in _IGNORED:
            continue
        a, b = before.get(path, _MISSING), after.get(path, _MISSING)
        if a == b:
            continue
        if _is_secret(key) and path.split(".", 1)[0].split("[", 1)[0] in _SECRET_FIELDS:
            what = "added" if a is _MISSING else "removed" if b is _MISSING else "changed"
            lines.append(f"{path}: (secret value {what})")
        else:
            lines.append(f"{path}: {_shown(a)} -> {_shown(b)}")
    return lines


def describe_change(
    old: Sequence[Mapping[str, Any]] | None, new: Sequence[Mapping[str, Any]], old_revision: int | None, revision: int
) -> str:
    """The text: a headline with the counts, then one line per object (+ added, - removed, ~ changed)
    with the changed fields under it."""
    before = {identity(dict(o)): o for o in old or []}
    after = {identity(dict(o)): o for o in new}
    added = [k for k in after if k not in before]
    removed = [k for k in before if k not in after]
    changed = [(k, field_changes(k, before[k], after[k])) for k in after if k in before]
    changed = [(k, lines) for k, lines in changed if lines]
    if old is None:
        head = f"revision {revision}: first release, {len(added)} object(s)"
    else:
        head = (
            f"revision {old_revision} -> {revision}: {len(changed)} object(s) changed, {len(added)} added, "
            f"{len(removed)} removed"
        )
    lines = [head]
    for key, fields in sorted(changed, key=lambda item: item[0]):
        lines.append(f"~ {_name(key)}")
        lines += [f"    {line}" for line in fields[:FIELDS_PER_OBJECT]]
        if len(fields) > FIELDS_PER_OBJECT:
            lines.append(f"    ... and {len(fields) - FIELDS_PER_OBJECT} more field(s)")
    lines += [f"+ {_name(key)}" for key in sorted(added)]
    lines += [f"- {_name(key)}" for key in sorted(removed)]
    return "\n".join(lines)
