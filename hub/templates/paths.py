"""Paths into values (`resources.limits.memory` as a tuple of keys) and into a parameter schema's
`properties`. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Path = tuple[str, ...]


def dotted(path: Path) -> str:
    return ".".join(path)


def split(text: str) -> Path:
    return tuple(text.split("."))


def leaf_paths(values: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every path a value is set at: objects are descended into; anything else (an empty object too)
    is a leaf."""
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaf_paths(value, path)
        else:
            yield path


def value_at(values: Mapping[str, Any], path: Path) -> Any:
    """The value at `path`; KeyError when it is not there."""
    current: Any = values
    for key in path:
        if not isinstance(current, Mapping):
            raise KeyError(key)
        current = current[key]
    return current


def overlaps(a: Path, b: Path) -> bool:
    """One path is the other or lies inside it: setting either touches the other."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def parameter_schema(schema: Mapping[str, Any], path: Path) -> Mapping[str, Any] | None:
    """The schema of the parameter at `path` when the parameter schema declares it through
    `properties`, else None."""
    current: Any = schema
    for key in path:
        properties = current.get("properties") if isinstance(current, Mapping) else None
        if not isinstance(properties, Mapping) or key not in properties:
            return None
        current = properties[key]
    return current if isinstance(current, Mapping) else {}


def parameter_paths(schema: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every parameter the schema declares, objects and what they hold alike, in declaration order."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for key, sub in properties.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(sub, Mapping):
            yield from parameter_paths(sub, path)
