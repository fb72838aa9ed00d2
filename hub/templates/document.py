"""A `kind: Template` document's files read into the API body: its `chart` (a directory or `.tgz`) packed
and base64-encoded, its `manifests` (paths, globs allowed, or inline text) read in order. Paths are
relative to the document's directory. The CLI's `template publish` and the fleet's sync both use it."""

from __future__ import annotations

import base64
import glob
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.charts.archive import ChartError, load_path, pack
from hub.templates.spec import TemplateError


def _inside(base: Path, path: Path, where: str) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise TemplateError([f"{where}: {path} is outside the document's directory {base}"])
    return resolved


def _manifests(entries: Any, base: Path, where: str) -> dict[str, str]:
    """File name -> text, in the order written; a glob's matches sorted."""
    if isinstance(entries, Mapping):  # already the API's form: file name -> text
        return {str(k): str(v) for k, v in entries.items()}
    if not isinstance(entries, list) or not entries:
        raise TemplateError([f"{where}.manifests: must be a non-empty list of file paths (globs allowed) or texts"])
    files: dict[str, str] = {}
    problems: list[str] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            problems.append(f"{where}.manifests[{index}]: must be a file path or Go-template YAML text")
        elif "\n" in entry:  # inline text: a path has no line break
            files[f"inline-{index + 1}.yaml"] = entry
        else:
            matches = sorted(glob.glob(entry, root_dir=base)) if glob.has_magic(entry) else [entry]
            if not matches:
                problems.append(f"{where}.manifests[{index}]: {entry} matches no file in {base}")
            for match in matches:
                try:
                    path = _inside(base, base / match, f"{where}.manifests[{index}]")
                    files[match] = path.read_text()
                except TemplateError as error:
                    problems += error.problems
                except OSError as error:
                    problems.append(f"{where}.manifests[{index}]: cannot read {base / match}: {error.strerror}")
    if problems:
        raise TemplateError(problems)
    return files


def _chart(value: Any, base: Path, where: str) -> dict[str, str]:
    if isinstance(value, Mapping) and isinstance(value.get("archive"), str):  # already uploaded form
        return {"archive": value["archive"]}
    if not isinstance(value, str) or not value:
        raise TemplateError([f"{where}.chart: must be the path of a chart directory or .tgz"])
    path = _inside(base, base / value, f"{where}.chart")
    if not path.exists():
        raise TemplateError([f"{where}.chart: {base / value} does not exist"])
    try:
        archive = load_path(path)
    except (ChartError, OSError) as error:
        raise TemplateError([f"{where}.chart: {error}"]) from error
    return {"archive": base64.b64encode(pack(archive)).decode()}


def template_body(spec: Mapping[str, Any], base: Path, where: str = "spec") -> dict[str, Any]:
    """The API body of a Template document's spec (parse_document's), its files read from `base`."""
    body = dict(spec)
    if "chart" in body and body["chart"] is not None:
        body["chart"] = _chart(body["chart"], base, where)
    if "manifests" in body and body["manifests"] is not None:
        body["manifests"] = _manifests(body["manifests"], base, where)
    return body
