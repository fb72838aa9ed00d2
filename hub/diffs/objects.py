"""What a change does to one set of manifests: objects matched by identity (group, kind, namespace, name)
and classified added, removed, changed or unchanged, each with its field-level diff.

`release_diff(old, new)` is the one entry point; the diff preview uses it per cluster, notifications
("approval requested") use its text form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.manifests import identity
from schemas.v1.objectdiffs import field_diff

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name), as hub.manifests.identity gives
ObjectChangeKind = Literal["added", "removed", "changed", "unchanged"]

_SIGNS: dict[ObjectChangeKind, str] = {"added": "+", "removed": "-", "changed": "~", "unchanged": "="}


def describe(key: Identity) -> str:
    """Kind/namespace/name (with the group when there is one): how people name an object."""
    group, kind, namespace, name = key
    qualified = f"{kind}.{group}" if group else kind
    return f"{qualified}/{namespace}/{name}" if namespace else f"{qualified}/{name}"


@dataclass(frozen=True)
class ObjectDiff:
    identity: Identity
    change: ObjectChangeKind
    diff: str  # unified diff, "" when unchanged

    @property
    def kind(self) -> str:
        return self.identity[1]

    @property
    def namespace(self) -> str | None:
        return self.identity[2] or None

    @property
    def name(self) -> str:
        return self.identity[3]

    @property
    def label(self) -> str:
        return describe(self.identity)


@dataclass(frozen=True)
class ReleaseDiff:
    """Every identity of either side exactly once, in a stable order (by identity)."""

    objects: tuple[ObjectDiff, ...]

    def _of(self, change: ObjectChangeKind) -> list[ObjectDiff]:
        return [o for o in self.objects if o.change == change]

    @property
    def added(self) -> list[ObjectDiff]:
        return self._of("added")

    @property
    def removed(self) -> list[ObjectDiff]:
        return self._of("removed")

    @property
    def changed(self) -> list[ObjectDiff]:
        return self._of("changed")

    @property
    def unchanged(self) -> list[ObjectDiff]:
        return self._of("unchanged")

    @property
    def changes(self) -> list[ObjectDiff]:
        """Added, removed and changed objects: what the change does."""
        return [o for o in self.objects if o.change != "unchanged"]

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> str:
        parts = [f"{len(self._of(c))} {c}" for c in ("added", "removed", "changed") if self._of(c)]
        return ", ".join(parts) or "no changes"

    def render(self, max_lines: int | None = None) -> str:
        """Text for people: a header per changed object, then its unified diff. Cut at `max_lines`, saying
        how many lines were left out."""
        lines: list[str] = []
        for obj in self.changes:
            lines.append(f"{_SIGNS[obj.change]} {obj.label} ({obj.change})")
            lines += obj.diff.splitlines()
        if not lines:
            return "no changes"
        if max_lines is not None and len(lines) > max_lines:
            left_out = len(lines) - max_lines
            lines = [*lines[:max_lines], f"... {left_out} more line{'s' if left_out != 1 else ''} not shown"]
        return "\n".join(lines)


def _by_identity(manifests: Sequence[dict[str, Any]] | None) -> dict[Identity, dict[str, Any]]:
    # A repeated identity cannot come from the API (the hub refuses duplicates); the last one wins, as on
    # the spoke.
    return {identity(obj): obj for obj in manifests or ()}


def release_diff(
    old: Sequence[dict[str, Any]] | None,
    new: Sequence[dict[str, Any]] | None,
    *,
    old_label: str = "current",
    new_label: str = "new",
) -> ReleaseDiff:
    """From `old` (None: nothing installed) to `new` (None or []: nothing, e.g. the application leaves)."""
    before, after = _by_identity(old), _by_identity(new)
    objects: list[ObjectDiff] = []
    for key in sorted(set(before) | set(after)):
        was, will = before.get(key), after.get(key)
        text = field_diff(was, will, old_label=f"{old_label}/{describe(key)}", new_label=f"{new_label}/{describe(key)}")
        change: ObjectChangeKind
        if was is None:
            change = "added"
        elif will is None:
            change = "removed"
        else:
            change = "changed" if text else "unchanged"
        objects.append(ObjectDiff(key, change, text))
    return ReleaseDiff(tuple(objects))
