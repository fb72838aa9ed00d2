"""The command line's side of chart and template applications: `fleetcast apply --chart DIR|TGZ |
--template NAME` with `--values` and `--cluster-values` files, and `fleetcast manifests APP --cluster C`
(what one cluster gets)."""

from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import Any

import yaml

from hub.charts.archive import ChartError, load_path, pack
from hub.charts.values import merged
from hub.client.http import HubClient, HubError

JSON = dict[str, Any]


def add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chart", help="a Helm chart directory or packaged .tgz instead of -f manifests")
    parser.add_argument(
        "--template", help="a published template's name instead of -f manifests (fleetcast template list)"
    )
    parser.add_argument(
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        help="values for the chart or template (YAML); repeat to layer files, later ones win; "
        "strings may say ${cluster.name} or ${cluster.labels.KEY}",
    )
    parser.add_argument(
        "--cluster-values",
        metavar="FILE",
        help="per-cluster values: a YAML list of {selector, values}, applied where the selector matches",
    )
    parser.add_argument("--namespace", help="for a chart or template: where namespaced objects that name none go")


def _yaml_file(path: str, what: str) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise HubError(f"cannot read {what} {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise HubError(f"{what} {path} is not YAML: {error}") from error


def source_fields(args: argparse.Namespace) -> JSON:
    """The PUT fields `--chart`, `--template`, `--values`, `--cluster-values` and `--namespace` give."""
    fields: JSON = {}
    if args.chart:
        try:
            chart = load_path(Path(args.chart))
        except (ChartError, OSError) as error:
            raise HubError(f"cannot use chart {args.chart}: {error}") from error
        fields["chart"] = {"archive": base64.b64encode(pack(chart)).decode()}
    if args.template:
        fields["template"] = args.template
    if args.values:
        values: JSON = {}
        for path in args.values:
            loaded = _yaml_file(path, "values file")
            if loaded is None:
                continue
            if not isinstance(loaded, dict):
                raise HubError(f"values file {path} must hold a mapping of values")
            values = merged(values, loaded)
        fields["values"] = values
    if args.cluster_values:
        loaded = _yaml_file(args.cluster_values, "cluster values file")
        if not isinstance(loaded, list):
            raise HubError(f"cluster values file {args.cluster_values} must hold a list of {{selector, values}}")
        fields["cluster_values"] = loaded
    if args.namespace:
        fields["namespace"] = args.namespace
    return fields


def _manifests(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.rendered_manifests(args.app, args.cluster, args.revision)
    head = (
        f"# {result['application']} revision {result['revision']} for cluster {result['cluster']} ({result['digest']})"
    )
    return result, head + "\n" + yaml.safe_dump_all(result.get("manifests") or [], sort_keys=False).rstrip()


def add_source_commands(commands: Any, add_command: Any) -> None:
    p = add_command(
        commands, "manifests", _manifests, "what one cluster gets of an application (a chart rendered for it)"
    )
    p.add_argument("app")
    p.add_argument("--cluster", required=True)
    p.add_argument("--revision", type=int, help="a release's revision (default: the current one)")
