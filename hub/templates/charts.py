"""A template written as Go-template manifests becomes a chart, so one renderer (Helm) renders both
kinds of template. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

from hub.charts.archive import ChartArchive, chart

# A template's manifests chart carries a fixed version: its identity is its files' digest, and a
# version that changed with each revision would make every re-publish a different chart.
MANIFESTS_CHART_VERSION = "0.1.0"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_stem(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml", ".tpl", ".json"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return _UNSAFE.sub("-", base).strip("-.") or "manifest"


def chart_from_manifests(name: str, version: str, files: Mapping[str, str]) -> ChartArchive:
    """A chart named `name` whose templates are `files` (file name -> Go-template YAML over `.Values`), in
    their given order as `templates/NN-<name>.yaml` (Helm renders templates sorted by path, so the
    number keeps the author's order)."""
    chart_yaml = yaml.safe_dump(
        {
            "apiVersion": "v2",
            "name": name,
            "version": version,
            "description": f"Fleetcast template {name} (made from its manifests)",
            "type": "application",
        },
        sort_keys=False,
    )
    contents: dict[str, bytes] = {"Chart.yaml": chart_yaml.encode()}
    for index, (file_name, text) in enumerate(files.items(), start=1):
        contents[f"templates/{index:02d}-{_file_stem(file_name)}.yaml"] = text.encode()
    return chart(contents, f"template {name}")
