"""The user commands of `fleetcast`: clusters, apply, status, versions, releases, delete.

fleetcast clusters [--selector 'env=prod']
fleetcast cluster register ID [--label env=prod ...] | label ID env=prod tier- | deregister ID | show ID
fleetcast apply APP -f manifests.yaml --selector 'env in (staging,prod)' [--strategy NAME | --no-strategy]
                [--depends-on db --depends-on cache | --depends-on '']
fleetcast status APP
fleetcast versions [--app APP] [--selector S]      revision and health per application and cluster
fleetcast versions --image nginx [--selector S]    which clusters run which tags or digests
fleetcast versions --image nginx --older-than 1.27.4 [--newer-than V] [--not TAG] [--app A] [--all]
                                                   which containers run it at those versions (hub/client/images.py)
fleetcast releases APP
fleetcast delete APP

Strategies and rollouts: hub/client/rollouts.py. Tokens, whoami and the audit log: hub/client/access.py.

Adding commands: a module hub/client/<feature>.py with `add_<feature>_commands(commands, add_command)`,
called at the end of `add_commands` below; `add_command(parent, name, handler, help)` makes a command
that runs `handler(client, args) -> (data for -o json, text)`. Every such module is imported whenever
`fleetcast` starts (`--help` too), so keep its top-level imports to the standard library and the light
hub.client modules (http, tables: both import nothing heavy); import anything else (yaml, pydantic,
schemas, other hub modules) inside the handler that needs it. tests/unit/test_cli_startup.py fails
when building the parser imports a heavy package.
Notifications: hub/client/notify.py.
Drift, drift policies, Kubernetes Events and describe: hub/client/drift.py.
Templates: hub/client/templates.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.client.access import add_access_commands
from hub.client.diffs import add_diff_commands
from hub.client.drift import add_apply_drift_options, add_drift_commands, apply_drift_policy
from hub.client.fixes import add_fix_commands
from hub.client.fleetcode import add_fleetcode_commands
from hub.client.http import JSON, HubClient, HubError
from hub.client.images import add_image_version_options, image_versions, wants_version_query
from hub.client.notify import add_notify_commands
from hub.client.policies import add_policy_commands
from hub.client.rollouts import add_rollout_commands
from hub.client.sources import add_source_commands, add_source_options, source_fields
from hub.client.tables import or_dash, render_table
from hub.client.templates import add_template_commands

Handler = Callable[[HubClient, argparse.Namespace], tuple[Any, str]]


def _labels_text(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "-"


def _parse_labels(pairs: list[str]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HubError(f"label {pair!r} is not key=value")
        labels[key] = value
    return labels


def _clusters(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.list_clusters(args.selector)
    rows = []
    for c in items:
        facts = c.get("facts") or {}
        apps = c.get("applications") or []
        rows.append(
            [
                c["id"],
                c.get("state", "-"),
                _labels_text(c.get("labels") or {}),
                or_dash(facts.get("kubernetes_version")),
                f"{or_dash(facts.get('ready_nodes'))}/{or_dash(facts.get('nodes'))}",
                str(len([a for a in apps if not a.get("removed")])),
                or_dash(c.get("last_seen")),
            ]
        )
    return items, render_table(["CLUSTER", "STATE", "LABELS", "KUBERNETES", "NODES", "APPS", "LAST SEEN"], rows)


_DEPLOYMENT_COLUMNS = ["DESIRED", "OBSERVED", "APPLIED", "HEALTH", "IMAGES", "ERRORS"]


def _deployment_cells(entry: JSON) -> list[str]:
    """Where one application stands on one cluster: the same columns wherever it is shown."""
    return [
        or_dash(entry.get("desired_revision")),
        or_dash(entry.get("observed_revision")),
        or_dash(entry.get("last_applied_revision")),
        "Removed" if entry.get("removed") else or_dash(entry.get("health")),
        or_dash(entry.get("images")),
        or_dash(entry.get("errors")),
    ]


def _cluster_show(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    c = client.get_cluster(args.id)
    facts = c.get("facts") or {}
    head = (
        f"cluster {c['id']}: {c.get('state')}, labels {_labels_text(c.get('labels') or {})}, "
        f"Kubernetes {or_dash(facts.get('kubernetes_version'))}, agent {or_dash(facts.get('agent_version'))}, "
        f"last seen {or_dash(c.get('last_seen'))}"
    )
    rows = [[a["application"], *_deployment_cells(a)] for a in c.get("applications") or []]
    table = render_table(["APPLICATION", *_DEPLOYMENT_COLUMNS], rows)
    return c, f"{head}\n{table}"


def _cluster_register(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    c = client.register_cluster(args.id, _parse_labels(args.label))
    return c, f"registered {c['id']} ({_labels_text(c.get('labels') or {})})"


def changed_labels(labels: dict[str, str], changes: list[str]) -> dict[str, str]:
    """kubectl-style: `key=value` sets, `key-` removes."""
    result = dict(labels)
    for change in changes:
        if change.endswith("-") and "=" not in change:
            result.pop(change[:-1], None)
        else:
            result.update(_parse_labels([change]))
    return result


def _cluster_label(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    labels = changed_labels(client.get_cluster(args.id).get("labels") or {}, args.changes)
    c = client.set_cluster_labels(args.id, labels)
    return c, f"{c['id']} labels: {_labels_text(c.get('labels') or {})}"


def _cluster_deregister(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.deregister_cluster(args.id)
    return result, f"deregistered {args.id}; its applications are being uninstalled there"


def _apply(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    given = [
        flag for flag, value in (("-f", args.file), ("--chart", args.chart), ("--template", args.template)) if value
    ]
    if len(given) > 1:
        raise HubError(f"give one of -f, --chart or --template, not {' and '.join(given)}")
    manifests = None
    if args.file:
        try:
            manifests = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        except OSError as error:
            raise HubError(f"cannot read {args.file}: {error.strerror}") from error
    created, app = client.apply_application(
        args.app,
        manifests,
        args.selector,
        args.strategy,
        no_strategy=args.no_strategy,
        drift=apply_drift_policy(args),
        source=source_fields(args),
        depends_on=depends_on_given(args.depends_on),
    )
    what = "new release" if created else "unchanged, nothing published"
    text = f"{app['id']}: revision {app.get('revision')} ({what}), selector {app.get('selector')}"
    if app.get("depends_on"):
        text += f"\n{dependencies_line(app)}"
    rollout = app.get("rollout")
    if created and app.get("strategy") and rollout and rollout.get("revision") == app.get("revision"):
        text += (
            f"\nrolling out with strategy {app['strategy']}: run {rollout['id']} is {rollout['state']}; "
            f"follow it with: fleetcast rollout status {app['id']} --watch"
        )
    return app, text


def depends_on_given(values: list[str] | None) -> list[str] | None:
    """`--depends-on` as the PUT takes it: None (not given: keep), [] (`--depends-on ''`: clear)."""
    if values is None:
        return None
    names = (name.strip() for value in values for name in value.split(","))
    return [name for name in names if name]


def dependencies_line(app: JSON) -> str:
    line = "depends on: " + ", ".join(app.get("depends_on") or [])
    missing = app.get("missing_dependencies") or []
    if missing:
        line += f" (no such application yet: {', '.join(missing)})"
    return line


def _status(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    app = client.get_application(args.app)
    head = f"{app['id']}: revision {app.get('revision')}, selector {app.get('selector')}"
    if app.get("strategy"):
        head += f", strategy {app['strategy']} (stable revision {or_dash(app.get('stable_revision'))})"
    rollout = app.get("rollout")
    if rollout:
        head += f"\nrollout: run {rollout['id']} of revision {rollout['revision']} is {rollout['state']}"
    if app.get("depends_on"):
        head += f"\n{dependencies_line(app)}"
    rows = [
        [c["cluster"], *_deployment_cells(c), str(c.get("drifted", 0)), ", ".join(c.get("waiting_for") or []) or "-"]
        for c in app.get("clusters") or []
    ]
    table = render_table(["CLUSTER", *_DEPLOYMENT_COLUMNS, "DRIFTED", "WAITING FOR"], rows)
    return app, f"{head}\n{table}"


def _versions(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    if wants_version_query(args):
        return image_versions(client, args)
    if args.image:
        images = client.images(args.image, args.selector)
        rows = [
            [i["image"], v["version"], ",".join(v.get("clusters") or [])]
            for i in images
            for v in i.get("versions") or []
        ]
        return images, render_table(["IMAGE", "VERSION", "CLUSTERS"], rows)
    items = client.versions(args.selector, args.app)
    rows = [
        [
            a["application"],
            str(a.get("revision")),
            c["cluster"],
            or_dash(c.get("revision")),
            or_dash(c.get("health")),
            or_dash(c.get("images")),
        ]
        for a in items
        for c in a.get("clusters") or []
    ]
    return items, render_table(["APPLICATION", "DESIRED", "CLUSTER", "RUNNING", "HEALTH", "IMAGES"], rows)


def _source_cell(source: JSON | None) -> str:
    source = source or {}
    if source.get("kind") == "chart":
        return f"chart {str(source.get('chart', ''))[7:19]}"
    if source.get("kind") == "template":
        return f"template {source.get('template')}@{source.get('template_revision')}"
    return "manifests"


def _origin_cell(origin: JSON | None) -> str:
    if not origin:
        return "-"
    commit = f"@{str(origin['commit'])[:12]}" if origin.get("commit") else ""
    return f"{origin.get('repository')}{commit}:{origin.get('file') or origin.get('path')}"


def _releases(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.releases(args.app)
    rows = [
        [
            str(r["revision"]),
            r.get("digest", "-"),
            or_dash(r.get("selector")),
            _source_cell(r.get("source")),
            or_dash(r.get("created_by")),
            or_dash(r.get("created_at")),
            _origin_cell(r.get("origin")),
        ]
        for r in items
    ]
    text = render_table(["REVISION", "DIGEST", "SELECTOR", "SOURCE", "BY", "CREATED", "ORIGIN"], rows)
    warned = [
        f"revision {r['revision']}: warning: policy {w.get('policy')}, cluster {w.get('cluster')}, "
        f"{w.get('object')}: {w.get('message')}"
        for r in items
        for w in r.get("warnings") or []
    ]
    return items, "\n".join([text, *warned])


def _delete(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.delete_application(args.app)
    return result, f"deleted {args.app}; it is being uninstalled from every cluster"


def add_command(parent: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """A command of `parent` (a subparsers object) that runs `handler` and takes `-o table|json`."""
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    parser.add_argument("-o", "--output", choices=["table", "json"], default="table")
    return parser


def add_commands(commands: Any) -> None:
    """Add the user commands to `fleetcast`'s subparsers."""

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        return add_command(commands, name, handler, help_text)

    p = command("clusters", _clusters, "list clusters with state, labels and facts")
    p.add_argument("--selector", "-l", help="label selector, e.g. 'env in (staging,prod)'")

    cluster = commands.add_parser("cluster", help="register, label, show or deregister one cluster")
    actions = cluster.add_subparsers(dest="cluster_command", required=True)
    for name, handler, help_text in [
        ("show", _cluster_show, "a cluster's facts and per-application status"),
        ("register", _cluster_register, "register a cluster with labels"),
        ("label", _cluster_label, "set (key=value) or remove (key-) labels"),
        ("deregister", _cluster_deregister, "remove a cluster; its applications are uninstalled there"),
    ]:
        sub = add_command(actions, name, handler, help_text)
        sub.add_argument("id")
        if name == "register":
            sub.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
        if name == "label":
            sub.add_argument("changes", nargs="+", metavar="KEY=VALUE|KEY-")

    p = command("apply", _apply, "create or update an application from manifests, a Helm chart or a template")
    p.add_argument("app")
    p.add_argument("-f", "--file", help="YAML or JSON manifests, multi-document; - for stdin")
    add_source_options(p)
    p.add_argument("--selector", "-l", required=True, help="which clusters, e.g. 'env in (staging,prod)'")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--strategy", help="roll releases out in waves with this strategy (fleetcast strategy list)")
    which.add_argument("--no-strategy", action="store_true", help="send releases to every cluster at once")
    add_apply_drift_options(p)
    p.add_argument(
        "--depends-on",
        action="append",
        metavar="APP",
        help="dispatch to a cluster only once APP is Ready there (repeat, or comma-separate); '' clears; "
        "not given: keep the application's dependencies",
    )

    p = command("status", _status, "an application's revision and health per cluster")
    p.add_argument("app")

    p = command("versions", _versions, "fleet versions per application, or per image with --image")
    p.add_argument("--image", help="image name, e.g. nginx or registry.example.com:5000/team/api")
    p.add_argument("--app", help="only this application")
    p.add_argument("--selector", "-l", help="only clusters matching this label selector")
    add_image_version_options(p)

    p = command("releases", _releases, "an application's release history")
    p.add_argument("app")

    p = command("delete", _delete, "delete an application; it is uninstalled from every cluster")
    p.add_argument("app")

    add_rollout_commands(commands, add_command)
    add_access_commands(commands, add_command)
    add_notify_commands(commands, add_command)
    add_fix_commands(commands, add_command)
    add_diff_commands(commands, add_command)
    add_drift_commands(commands, add_command)
    add_source_commands(commands, add_command)
    add_template_commands(commands, add_command)
    add_policy_commands(commands, add_command)
    add_fleetcode_commands(commands, add_command)


def run(args: argparse.Namespace) -> int:
    from hub.client.config import ConfigError, load_settings

    handler: Handler = args.handler
    try:
        with HubClient(load_settings()) as client:
            data, text = handler(client, args)
    except (HubError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        # A command whose exit status 1 means something else (diff: changes found) sets its own.
        error_exit_code: int = getattr(args, "error_exit_code", 1)
        return error_exit_code
    print(json.dumps(data, indent=2) if args.output == "json" else text)
    # A command may set its own exit status (rollout status --watch: whether the rollout succeeded).
    exit_code: int = getattr(args, "exit_code", 0)
    return exit_code


def is_user_command(args: argparse.Namespace) -> bool:
    return hasattr(args, "handler")


__all__ = ["JSON", "add_commands", "is_user_command", "run"]
