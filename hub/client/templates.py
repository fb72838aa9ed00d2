"""The template commands of `fleetcast`: platform engineers publish templates with constrained
parameters; anyone may read them.

fleetcast template publish -f template.yaml       publish (kind: Template, one or more documents; chart:
                                                  and manifests: paths relative to the file)
fleetcast template list
fleetcast template show NAME [--revision N]
fleetcast template rm NAME
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]


def template_documents(text: str, source: str, base: Path) -> list[tuple[str, JSON]]:
    """(name, API body) of each `kind: Template` document in a YAML file, its files read; every problem
    named."""
    import yaml

    from hub.templates.document import template_body
    from hub.templates.spec import TemplateError, parse_document

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        raise HubError(f"{source}: not valid YAML: {error}") from error
    if not documents:
        raise HubError(f"{source}: no template in it")
    result: list[tuple[str, JSON]] = []
    problems: list[str] = []
    for index, document in enumerate(documents, start=1):
        where = f"{source}: document {index}" if len(documents) > 1 else source
        try:
            name, spec = parse_document(document, where)
            result.append((name, template_body(spec, base, f"{where} ({name}): spec")))
        except TemplateError as error:
            problems += error.problems
    if problems:
        raise HubError("\n".join(problems))
    return result


def _publish(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    if args.file == "-":
        text, base = sys.stdin.read(), Path.cwd()
    else:
        path = Path(args.file)
        try:
            text = path.read_text()
        except OSError as error:
            raise HubError(f"cannot read {args.file}: {error.strerror}") from error
        base = path.parent
    results, lines = [], []
    for name, body in template_documents(text, args.file, base):
        created, template = client.put_template(name, body)
        results.append(template)
        what = "published" if created else "unchanged, no new revision"
        lines.append(f"template {name}: revision {template['revision']} ({what})")
    return results, "\n".join(lines)


def _parameter_rows(parameters: list[JSON]) -> list[list[str]]:
    return [
        [
            p["name"],
            or_dash(p.get("type")),
            "yes" if p.get("required") else "-",
            or_dash(p.get("allowed")),
            or_dash(p.get("default")),
            "yes" if p.get("cluster_overridable") else "-",
        ]
        for p in parameters
    ]


PARAMETER_HEADER = ["PARAMETER", "TYPE", "REQUIRED", "ALLOWED", "DEFAULT", "PER CLUSTER"]


def _list(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.list_templates()
    rows = [
        [t["name"], str(t["revision"]), ", ".join(p["name"] for p in t["parameters"]) or "-", or_dash(t["description"])]
        for t in items
    ]
    return items, render_table(["TEMPLATE", "REVISION", "PARAMETERS", "DESCRIPTION"], rows)


def _show(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    import yaml

    template = client.get_template(args.name, args.revision)
    source = template["source"]
    head = (
        f"template {template['name']} revision {template['revision']} of {template['latest_revision']}, "
        f"published by {template['created_by']} at {template['created_at']}\n"
        f"{template['description'] or '(no description)'}\n"
        f"{source['kind']}: {source['chart']}-{source['version']} ({source['digest'][:19]}...)"
    )
    if template.get("origin"):
        origin = template["origin"]
        head += f"\nfrom {origin['repository']}@{or_dash(origin.get('commit'))}:{origin.get('file') or origin['path']}"
    parts = [head, render_table(PARAMETER_HEADER, _parameter_rows(template["parameter_summary"]))]
    if template["locked"]:
        parts.append("locked (operators may not set these):\n" + yaml.safe_dump(template["locked"]).rstrip())
    if template["cluster_values"]:
        entries = [
            f"  {cv['selector'] or '(every cluster)'}: {json.dumps(cv['values'])}" for cv in template["cluster_values"]
        ]
        parts.append("the template's per-cluster values:\n" + "\n".join(entries))
    return template, "\n\n".join(parts)


def _remove(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    template = client.delete_template(args.name)
    return template, f"deleted template {args.name} (its revisions stay readable: show --revision N)"


def add_template_commands(commands: Any, add_command: AddCommand) -> None:
    template = commands.add_parser("template", help="templates with constrained parameters (platform role publishes)")
    actions = template.add_subparsers(dest="template_command", required=True)
    p = add_command(actions, "publish", _publish, "publish templates from a file (kind: Template)")
    p.add_argument("-f", "--file", required=True, help="YAML, one or more Template documents; - for stdin")
    add_command(actions, "list", _list, "templates with their newest revision and parameters")
    p = add_command(actions, "show", _show, "a template: parameters, allowed values, locked and per-cluster values")
    p.add_argument("name")
    p.add_argument("--revision", type=int, help="an earlier revision; default: the newest")
    p = add_command(actions, "rm", _remove, "delete a template (platform role)")
    p.add_argument("name")
