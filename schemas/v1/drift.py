"""Drift: a live object that differs from what Fleetcast applied, in the fields Fleetcast manages.

The hub sends each application's drift policy with its bundle; the spoke reports drift per object in
its status report. Field paths are spelled one way everywhere (reports, ignore rules, the CLI):

    spec.replicas
    metadata.labels["app.kubernetes.io/name"]       a key that is not a plain identifier: quoted
    spec.template.spec.containers[name=web].image   an item of a keyed list (its merge key)
    spec.ports[port=80,protocol=TCP].targetPort     several keys
    spec.finalizers[="example.com/x"]               an item of a set (a list of plain values)
    spec.args[2]                                    an item of an atomic list, by position

which is Kubernetes' managed-fields notation (fieldsV1: `f:`, `k:`, `v:`, `i:`) made readable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

DriftMode = Literal["correct", "alert"]
DriftKind = Literal["modified", "deleted"]

# The most field paths one ignore rule or one drift report carries.
MAX_PATHS = 64
MAX_PATH_LENGTH = 512


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# -- field paths ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldName:
    name: str


@dataclass(frozen=True)
class ListKey:
    """An item of a list keyed by its merge key(s), e.g. a container by name."""

    keys: tuple[tuple[str, str | int | bool | None], ...]


@dataclass(frozen=True)
class SetValue:
    """An item of a set-like list of plain values."""

    value: str | int | bool | float | None


@dataclass(frozen=True)
class ListIndex:
    index: int


Segment = FieldName | ListKey | SetValue | ListIndex
FieldPath = tuple[Segment, ...]

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_KEY_VALUE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")


class FieldPathError(ValueError):
    pass


def _scalar_text(value: str | int | bool | float | None) -> str:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_./:-]+", value) and not _looks_typed(value):
        return value
    return json.dumps(value)


def _looks_typed(text: str) -> bool:
    # A bare word that would read back as another JSON type must be quoted.
    try:
        return not isinstance(json.loads(text), str)
    except ValueError:
        return False


def format_path(path: FieldPath) -> str:
    out: list[str] = []
    for segment in path:
        if isinstance(segment, FieldName):
            if _IDENT.fullmatch(segment.name):
                out.append(("." if out else "") + segment.name)
            else:
                out.append(f"[{json.dumps(segment.name)}]")
        elif isinstance(segment, ListKey):
            out.append("[" + ",".join(f"{k}={_scalar_text(v)}" for k, v in segment.keys) + "]")
        elif isinstance(segment, SetValue):
            out.append(f"[={json.dumps(segment.value)}]")
        else:
            out.append(f"[{segment.index}]")
    return "".join(out)


def _scalar(text: str) -> str | int | bool | None:
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, str | int | bool) or value is None:
        return value
    raise FieldPathError(f"list keys are strings, numbers or booleans, not {text}")


def parse_path(text: str) -> FieldPath:
    """The inverse of format_path; raises FieldPathError naming what is wrong."""
    if not text or len(text) > MAX_PATH_LENGTH:
        raise FieldPathError(f"a field path has 1 to {MAX_PATH_LENGTH} characters")
    segments: list[Segment] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == ".":
            if not segments:
                raise FieldPathError(f"{text!r}: a path does not start with '.'")
            i += 1
            match = _IDENT.match(text, i)
            if match is None:
                raise FieldPathError(f"{text!r}: expected a field name at position {i}")
            segments.append(FieldName(match.group()))
            i = match.end()
        elif char == "[":
            end = _closing(text, i)
            inner = text[i + 1 : end]
            segments.append(_bracket(text, inner))
            i = end + 1
        elif not segments:
            match = _IDENT.match(text, i)
            if match is None:
                raise FieldPathError(f"{text!r}: expected a field name at position {i}")
            segments.append(FieldName(match.group()))
            i = match.end()
        else:
            raise FieldPathError(f"{text!r}: unexpected {char!r} at position {i}")
    return tuple(segments)


def _closing(text: str, start: int) -> int:
    """The ']' closing the '[' at `start`, skipping quoted strings."""
    i, quoted = start + 1, False
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "]":
            return i
        i += 1
    raise FieldPathError(f"{text!r}: '[' at position {start} is not closed")


def _bracket(text: str, inner: str) -> Segment:
    stripped = inner.strip()
    if not stripped:
        raise FieldPathError(f"{text!r}: empty []")
    if stripped.startswith('"'):
        try:
            name = json.loads(stripped)
        except ValueError as error:
            raise FieldPathError(f"{text!r}: bad quoted field name {stripped}") from error
        if not isinstance(name, str):
            raise FieldPathError(f"{text!r}: bad quoted field name {stripped}")
        return FieldName(name)
    if stripped.startswith("="):
        try:
            return SetValue(json.loads(stripped[1:]))
        except ValueError as error:
            raise FieldPathError(f"{text!r}: a set item is a JSON value: {stripped[1:]}") from error
    if stripped.isdigit():
        return ListIndex(int(stripped))
    keys: list[tuple[str, str | int | bool | None]] = []
    for part in split_unquoted(stripped):
        match = _KEY_VALUE.match(part)
        if match is None:
            raise FieldPathError(f"{text!r}: expected key=value in [{inner}]")
        keys.append((match.group(1), _scalar(part[match.end() :])))
    return ListKey(tuple(keys))


def split_unquoted(text: str, *, brackets: bool = False) -> list[str]:
    """`text` split at the commas outside "..." (a backslash escapes inside quotes) and, with
    `brackets`, outside [...] too (an ignore rule's path may hold a list key: `[port=80,protocol=TCP]`)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif brackets and not quoted and char == "[":
            depth += 1
        elif brackets and not quoted and char == "]":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and char == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def covers(prefix: FieldPath, path: FieldPath) -> bool:
    """`prefix` is `path` or one of its ancestors: ignoring `spec.template` ignores everything below it."""
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


# -- the policy the hub sends --------------------------------------------------------------------


class IgnoreRule(_Wire):
    """Fields others legitimately own (replicas under an HorizontalPodAutoscaler, a webhook's CA bundle):
    never reported as drift, and not re-applied to an object that exists already."""

    kind: str | None = Field(default=None, max_length=63, description="Only objects of this kind; none: all.")
    api_group: str | None = Field(
        default=None, max_length=253, description='Only this API group ("" is the core group); none: all.'
    )
    namespace: str | None = Field(default=None, max_length=63, description="Only this namespace; none: all.")
    name: str | None = Field(default=None, max_length=253, description="Only objects of this name; none: all.")
    paths: list[str] = Field(min_length=1, max_length=MAX_PATHS, description="Field paths, e.g. spec.replicas.")

    @field_validator("paths")
    @classmethod
    def _paths_parse(cls, paths: list[str]) -> list[str]:
        for path in paths:
            try:
                parse_path(path)
            except FieldPathError as error:
                raise ValueError(str(error)) from error
        return paths


class DriftPolicy(_Wire):
    """What the spoke does when a live object differs from what it applied."""

    mode: DriftMode = Field(
        default="correct",
        description="correct: re-apply at once and count it; alert: leave the object as it is and report it.",
    )
    ignore: list[IgnoreRule] = Field(default_factory=list, max_length=64)


# -- what the spoke reports ----------------------------------------------------------------------


class ObjectDrift(_Wire):
    """How one live object differs from what Fleetcast applied."""

    kind: DriftKind = Field(description="modified: fields changed by someone else; deleted: the object is gone.")
    fields: list[str] = Field(
        default_factory=list,
        max_length=MAX_PATHS,
        description="Field paths Fleetcast applied that another manager changed (empty when deleted).",
    )
    managers: list[str] = Field(
        default_factory=list, max_length=16, description="Who changed them (the managers now owning them)."
    )
    detected_at: AwareDatetime
