"""How a change of one Kubernetes object is shown to people, by the hub (desired against desired,
hub/diffs) and by a spoke (live against its dry run, spoke/livediffs.py) alike: both versions rendered
as YAML in a stable key order and compared line by line (difflib), the way `kubectl diff` shows a change.

It lives in the contract because both sides must keep the same rule, and the hub shows the spokes' text
next to its own: Secret values are never rendered, nor any digest of them (a hash of a low-entropy
password is as good as the password): each key of `data`/`stringData` shows only a marker saying whether
its value changes. Annotations that carry a copy of the whole object (kubectl's
last-applied-configuration) are dropped, since they would repeat the object and, for a Secret, its values.
The text itself is for people: nobody parses it.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Mapping
from typing import Any

import yaml

from schemas.v1.desired import canonical_json

# Shown instead of a Secret value. The same marker on both sides of an unchanged value keeps it out of
# the diff; a changed one shows as `-key: <redacted>` / `+key: <changed>`.
UNCHANGED = "<unchanged>"
CHANGED = "<changed>"
REDACTED = "<redacted>"

DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
# Top-level fields first, in the order people read a manifest; everything else (and every nested map)
# sorted by key.
_LEADING = ("apiVersion", "kind", "metadata")


# libyaml's emitter when PyYAML has it (it does on every platform with wheels): several times faster.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Multi-line strings as literal blocks, so a changed line of an embedded file is one diff line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def ordered(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object with a stable key order: apiVersion, kind, metadata, then the rest alphabetically."""
    leading = {key: _sorted(obj[key]) for key in _LEADING if key in obj}
    rest = {key: _sorted(obj[key]) for key in sorted(obj, key=str) if key not in _LEADING}
    return {**leading, **rest}


def render_yaml(obj: Mapping[str, Any] | None) -> str:
    if obj is None:
        return ""
    text: str = yaml.dump(
        ordered(obj), Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16
    )
    return text


def without_noise(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without annotations that repeat the object itself."""
    result = dict(obj)
    metadata = result.get("metadata")
    if isinstance(metadata, Mapping):
        metadata = dict(metadata)
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping):
            kept = {k: v for k, v in annotations.items() if k not in DROPPED_ANNOTATIONS}
            if kept:
                metadata["annotations"] = kept
            else:
                metadata.pop("annotations", None)
        result["metadata"] = metadata
    return result


def is_secret(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and obj.get("kind") == "Secret" and str(obj.get("apiVersion")) == "v1"


def _decoded(value: Any) -> bytes:
    """A `data` value as bytes (base64 as Kubernetes stores it); anything unreadable compares as written."""
    text = value if isinstance(value, str) else repr(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b"\0invalid:" + text.encode()


def secret_values(obj: Mapping[str, Any]) -> dict[str, bytes] | None:
    """What the Secret holds per key, as the API server would store it (stringData overrides data);
    None when data or stringData is not a mapping (compared as one opaque value)."""
    data, string_data = obj.get("data") or {}, obj.get("stringData") or {}
    if not isinstance(data, Mapping) or not isinstance(string_data, Mapping):
        return None
    values = {str(k): _decoded(v) for k, v in data.items()}
    values.update({str(k): (v if isinstance(v, str) else repr(v)).encode() for k, v in string_data.items()})
    return values


def _raw_values(obj: Mapping[str, Any]) -> tuple[Any, Any]:
    return obj.get("data"), obj.get("stringData")


def _masked(obj: Mapping[str, Any], markers: Mapping[str, str] | None) -> dict[str, Any]:
    """The Secret with `data` holding one marker per key and no `stringData` (its keys are merged into
    `data`: the API server does the same). `markers` None: the values are not comparable, all hidden."""
    result = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
    if markers is None:
        if "data" in obj or "stringData" in obj:
            result["data"] = REDACTED
        return result
    if markers:
        result["data"] = dict(markers)
    return result


def redacted_pair(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Both versions with Secret values replaced by markers that say only whether each value changes."""
    if not is_secret(old) and not is_secret(new):
        return (dict(old) if old is not None else None, dict(new) if new is not None else None)
    old_values = secret_values(old) if old is not None else {}
    new_values = secret_values(new) if new is not None else {}
    if old_values is None or new_values is None:
        # Not comparable key by key (data is not a mapping): one marker for the whole of it.
        same = old is not None and new is not None and _raw_values(old) == _raw_values(new)
        old_out = _masked(old, None) if old is not None else None
        new_out = _masked(new, None) if new is not None else None
        if not same and new_out is not None and "data" in new_out:
            new_out["data"] = CHANGED
        return old_out, new_out
    old_markers, new_markers = {}, {}
    for key in sorted(set(old_values) | set(new_values)):
        if key in old_values and key in new_values:
            same = old_values[key] == new_values[key]
            old_markers[key] = UNCHANGED if same else REDACTED
            new_markers[key] = UNCHANGED if same else CHANGED
        elif key in old_values:
            old_markers[key] = REDACTED
        else:
            new_markers[key] = REDACTED
    return (
        _masked(old, old_markers) if old is not None else None,
        _masked(new, new_markers) if new is not None else None,
    )


def field_diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, *, old_label: str, new_label: str, context: int = 3
) -> str:
    """Unified diff of the two versions (None: the object does not exist on that side); "" when equal.
    Secret values are redacted and noisy annotations dropped before anything is rendered."""
    old_clean = without_noise(old) if old is not None else None
    new_clean = without_noise(new) if new is not None else None
    old_shown, new_shown = redacted_pair(old_clean, new_clean)
    if old_shown is not None and new_shown is not None and canonical_json(old_shown) == canonical_json(new_shown):
        return ""  # equal, whatever the key order: no need to render either
    before, after = render_yaml(old_shown), render_yaml(new_shown)
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=old_label if old is not None else "/dev/null",
        tofile=new_label if new is not None else "/dev/null",
        n=context,
        lineterm="",
    )
    return "\n".join(lines)
