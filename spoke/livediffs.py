"""Pure: the field diff of a live object against the API server's dry-run result of applying the bundle's
version of it, as a unified diff of YAML, the way `kubectl diff` shows it.

Fields the server changes on every write, or that only the cluster's controllers set, are left out
(managedFields, resourceVersion, generation, uid, creationTimestamp, status), and so is kubectl's
last-applied-configuration annotation (a copy of the whole object). Secret values never leave the
cluster: each key shows only a marker saying whether its value would change; no digest of a value
either (a hash of a low-entropy password is as good as the password).

The hub has a diff of its own (desired against desired, hub/diffs/fields.py) with the same markers. They
are kept apart on purpose: the spoke must not import the hub, the diff text is for people (the hub
passes it on, never parses it), so its format is not part of the wire contract, and what each side
must ignore differs (server-set fields exist only here).
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Mapping
from typing import Any

import yaml

from schemas.v1 import canonical_json

UNCHANGED = "<unchanged>"
CHANGED = "<changed>"
REDACTED = "<redacted>"

IGNORED_METADATA = frozenset({"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"})
IGNORED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_LEADING = ("apiVersion", "kind", "metadata")


# libyaml's emitter when PyYAML has it (it does on every platform with wheels): several times faster.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Multi-line strings as literal blocks: a changed line of an embedded file is one diff line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


def comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without what every write or a controller changes."""
    result = {k: v for k, v in obj.items() if k != "status"}
    metadata = result.get("metadata")
    if isinstance(metadata, Mapping):
        kept = {k: v for k, v in metadata.items() if k not in IGNORED_METADATA}
        annotations = kept.get("annotations")
        if isinstance(annotations, Mapping):
            annotations = {k: v for k, v in annotations.items() if k not in IGNORED_ANNOTATIONS}
            if annotations:
                kept["annotations"] = annotations
            else:
                kept.pop("annotations")
        result["metadata"] = kept
    return result


def _is_secret(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and obj.get("kind") == "Secret" and str(obj.get("apiVersion")) == "v1"


def _values(obj: Mapping[str, Any]) -> dict[str, bytes] | None:
    """Per key, the bytes the Secret holds (stringData over data, as the API server merges them); None
    when either is not a mapping (then compared as a whole)."""
    data, string_data = obj.get("data") or {}, obj.get("stringData") or {}
    if not isinstance(data, Mapping) or not isinstance(string_data, Mapping):
        return None
    values: dict[str, bytes] = {}
    for key, value in data.items():
        text = value if isinstance(value, str) else repr(value)
        try:
            values[str(key)] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            values[str(key)] = b"\0invalid:" + text.encode()
    values.update({str(k): (v if isinstance(v, str) else repr(v)).encode() for k, v in string_data.items()})
    return values


def _masked(obj: Mapping[str, Any], markers: Mapping[str, str] | str | None) -> dict[str, Any]:
    result = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
    if markers:
        result["data"] = markers if isinstance(markers, str) else dict(markers)
    return result


def redacted(
    live: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Both sides with every Secret value replaced by a marker: same on both sides when unchanged."""
    if not _is_secret(live) and not _is_secret(after):
        return (dict(live) if live is not None else None, dict(after) if after is not None else None)
    before_values = _values(live) if live is not None else {}
    after_values = _values(after) if after is not None else {}
    if before_values is None or after_values is None:
        same = (
            live is not None
            and after is not None
            and (live.get("data"), live.get("stringData"))
            == (
                after.get("data"),
                after.get("stringData"),
            )
        )
        return (
            _masked(live, REDACTED) if live is not None else None,
            _masked(after, REDACTED if same else CHANGED) if after is not None else None,
        )
    old_markers: dict[str, str] = {}
    new_markers: dict[str, str] = {}
    for key in sorted(set(before_values) | set(after_values)):
        if key in before_values and key in after_values:
            same = before_values[key] == after_values[key]
            old_markers[key] = UNCHANGED if same else REDACTED
            new_markers[key] = UNCHANGED if same else CHANGED
        elif key in before_values:
            old_markers[key] = REDACTED
        else:
            new_markers[key] = REDACTED
    return (
        _masked(live, old_markers) if live is not None else None,
        _masked(after, new_markers) if after is not None else None,
    )


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def render(obj: Mapping[str, Any] | None) -> str:
    """YAML in a stable order: apiVersion, kind, metadata, then the rest; nested keys sorted."""
    if obj is None:
        return ""
    ordered = {k: _sorted(obj[k]) for k in _LEADING if k in obj}
    ordered.update({k: _sorted(obj[k]) for k in sorted(obj, key=str) if k not in _LEADING})
    text: str = yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 16)
    return text


def live_diff(live: Mapping[str, Any] | None, after: Mapping[str, Any] | None, label: str) -> str:
    """Unified diff from the live object (None: does not exist) to what it would be (None: deleted);
    "" when a server-side apply would change nothing we show."""
    before_shown, after_shown = redacted(
        comparable(live) if live is not None else None, comparable(after) if after is not None else None
    )
    if (
        before_shown is not None
        and after_shown is not None
        and canonical_json(before_shown) == canonical_json(after_shown)
    ):
        return ""  # equal, whatever the key order: no need to render either
    before, after_text = render(before_shown), render(after_shown)
    if before == after_text:
        return ""
    return "\n".join(
        difflib.unified_diff(
            before.splitlines(),
            after_text.splitlines(),
            fromfile=f"live/{label}" if live is not None else "/dev/null",
            tofile=f"dry-run/{label}" if after is not None else "/dev/null",
            lineterm="",
        )
    )
