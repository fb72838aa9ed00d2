"""`fleetcast policy test` without a hub: Policy documents and the objects they judge, read from files.

Files may hold Policy documents (`apiVersion: fleetcast.dev/v1`, `kind: Policy`), plain Kubernetes
objects, and Application documents whose `manifests` list files (relative to the document, globs
allowed) or inline objects. Application documents made from a chart or a template need the renderer:
a caller that has rendered them passes the objects to `hub.policies.evaluate.evaluate` itself.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.policies.spec import API_VERSION, Policy, PolicyError, parse_document


class PolicyTestError(ValueError):
    """Files that cannot be tested; `problems` names each file and document."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Loaded:
    policies: list[Policy] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Applications made from a chart or template: (where, name, spec, base directory), rendered once
    # every file is read (a template's document may come in a later file).
    to_render: list[tuple[str, str, dict[str, Any], Path]] = field(default_factory=list)
    templates: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)


# Renders an application made from a chart or template for the cluster under test: (where, name, spec,
# base directory, the Template documents read: name -> (spec, base)) -> objects; ValueError naming the
# problem. The CLI gives one running the real Helm (hub/fleetcode/rendering.py).
Render = Callable[[str, str, dict[str, Any], Path, dict[str, tuple[dict[str, Any], Path]]], list[dict[str, Any]]]


def _documents(text: str, where: str, loaded: Loaded) -> list[tuple[str, Any]]:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        loaded.problems.append(f"{where}: not valid YAML: {' '.join(str(error).split())}")
        return []
    # Through JSON: what a cluster and the hub see (a YAML date is a string to Kubernetes).
    documents = json.loads(json.dumps(documents, default=str))
    return [(f"{where}: document {index}", d) for index, d in enumerate(documents, start=1)]


def _read(path: Path, loaded: Loaded) -> str | None:
    try:
        return path.read_text()
    except OSError as error:
        loaded.problems.append(f"cannot read {path}: {error.strerror}")
        return None


def _application_objects(document: dict[str, Any], where: str, base: Path, loaded: Loaded) -> None:
    raw_spec, metadata = document.get("spec"), document.get("metadata")
    spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
    name = metadata.get("name", "?") if isinstance(metadata, dict) else "?"
    if "manifests" not in spec:
        if "chart" in spec or "template" in spec:
            loaded.to_render.append((where, str(name), spec, base))
        else:
            loaded.problems.append(f"{where} (application {name}): no manifests, chart or template")
        return
    for index, entry in enumerate(spec.get("manifests") or []):
        if isinstance(entry, dict):
            loaded.objects.append(entry)
            continue
        if not isinstance(entry, str):
            loaded.problems.append(f"{where} (application {name}): manifests[{index}] is neither a path nor an object")
            continue
        matches = sorted(glob.glob(str(base / entry), recursive=True))
        if not matches:
            loaded.problems.append(f"{where} (application {name}): manifests[{index}] {entry!r} matches no file")
        for match in matches:
            _load_file(Path(match), loaded, objects_only=True)


def _load_file(path: Path, loaded: Loaded, *, objects_only: bool = False) -> None:
    text = _read(path, loaded)
    if text is None:
        return
    for where, document in _documents(text, str(path), loaded):
        if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
            loaded.problems.append(f"{where}: expected a Policy, an Application or a Kubernetes object (with kind)")
        elif document.get("apiVersion") != API_VERSION:
            loaded.objects.append(document)
        elif objects_only:
            loaded.problems.append(f"{where}: a {document['kind']} document where Kubernetes objects were expected")
        elif document["kind"] == "Policy":
            try:
                loaded.policies.append(parse_document(document, where))
            except PolicyError as error:
                loaded.problems.extend(f"{where}: {problem}" for problem in error.problems)
        elif document["kind"] == "Application":
            _application_objects(document, where, path.parent, loaded)
        elif document["kind"] == "Template" and isinstance(document.get("metadata"), dict):
            spec = document.get("spec")
            loaded.templates[str(document["metadata"].get("name"))] = (
                spec if isinstance(spec, dict) else {},
                path.parent,
            )
        else:
            loaded.problems.append(f"{where}: a {document['kind']} has nothing for `policy test` to judge")


def load(paths: Sequence[str | Path], *, need_policies: bool = True, render: Render | None = None) -> Loaded:
    """The policies and objects in these files; PolicyTestError lists every problem. `need_policies`
    False: the caller brings policies of its own (the baseline set). `render`: how applications made from
    a chart or template become objects (None: they are a problem, named)."""
    loaded = Loaded()
    for path in paths:
        _load_file(Path(path), loaded)
    for where, name, spec, base in loaded.to_render:
        if render is None:
            loaded.problems.append(
                f"{where} (application {name}): made from a chart or template, and no Helm to render it"
            )
            continue
        try:
            loaded.objects.extend(render(where, name, spec, base, loaded.templates))
        except ValueError as error:
            loaded.problems.append(f"{where} (application {name}): {error}")
    if need_policies and not loaded.policies:
        loaded.problems.append("no Policy document in the files (pass the policies with -f, or use --baseline)")
    if loaded.problems:
        raise PolicyTestError(loaded.problems)
    return loaded
