"""Applying image overrides to manifests: every container (regular, init, ephemeral) of every pod
template (hub/images/pods.py finds them) whose image is an overridden repository runs the override's
tag or digest instead. Pure: the input is not modified."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.images.pods import containers
from hub.images.references import ImageRefError, parse_image
from hub.overrides.spec import ImageOverride


@dataclass(frozen=True)
class Rendered:
    manifests: list[dict[str, Any]]
    # Canonical repositories an override matched, so an override that matches nothing is seen.
    matched: frozenset[str] = field(default_factory=frozenset)


def render(manifests: Iterable[dict[str, Any]], overrides: Mapping[str, ImageOverride]) -> Rendered:
    if not overrides:
        return Rendered(list(manifests))
    rendered: list[dict[str, Any]] = []
    matched: set[str] = set()
    for source in manifests:
        obj = copy.deepcopy(source)
        for found in list(containers(obj)):
            try:
                image = parse_image(found.image)
            except ImageRefError:
                continue  # not ours to judge here: the cluster reports it if it refuses it
            override = overrides.get(image.canonical)
            if override is None:
                continue
            matched.add(image.canonical)
            container: Any = obj
            for step in found.path:
                container = container[step]
            container["image"] = override.reference_for(image)
        rendered.append(obj)
    return Rendered(rendered, frozenset(matched))
