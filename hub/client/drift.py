"""Drift, Kubernetes Events and describe in `fleetcast`.

fleetcast drift [APP] [--cluster C] [--drifting] [--limit N | --all] [-o json]
                                             objects that differ from their release, fleet-wide
fleetcast drift-policy APP [--mode correct|alert] [--ignore RULE ...] [--add-ignore RULE ...]
                           [--clear-ignore] [-f policy.yaml]
                                             show or set an application's drift policy
fleetcast events APP [--cluster C] [--type Warning] [--limit N] [-o json]
                                             Kubernetes Events of its objects, newest first
fleetcast describe APP --cluster C [-o json] the application on one cluster, object by object

`fleetcast apply` takes the policy too: --drift-mode, --drift-ignore RULE, --drift-policy FILE.

An ignore RULE is comma-separated key=value: kind, group (API group), namespace, name to say which
objects (none: all), and one `path=` per field path (`paths=` is the same):

    kind=Deployment,path=spec.replicas
    kind=Service,name=web,path=spec.ports[port=80,protocol=TCP].nodePort

Commas inside [...] or "..." belong to the path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

# What one request asks for; the command follows cursors for more.
PAGE = 1000
DEFAULT_SHOWN = 100
_SCOPES = {"kind": "kind", "group": "api_group", "api_group": "api_group", "namespace": "namespace", "name": "name"}


def parse_ignore_rule(text: str) -> JSON:
    """An ignore rule of the API from `kind=Deployment,path=spec.replicas`; HubError naming the problem.
    Paths are checked by the hub (a 422 naming the rule and the path)."""
    # Here, not at the top: the CLI's parsers stay light (tests/unit/test_cli_startup.py).
    from schemas.v1.drift import split_unquoted

    rule: JSON = {}
    paths: list[str] = []
    for part in split_unquoted(text, brackets=True):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise HubError(f"ignore rule {text!r}: {part!r} is not key=value (kind=Deployment,path=spec.replicas)")
        if key in ("path", "paths"):
            paths.append(value.strip())
        elif key in _SCOPES:
            rule[_SCOPES[key]] = value.strip()
        else:
            raise HubError(f"ignore rule {text!r}: unknown key {key!r} (kind, group, namespace, name, path)")
    if not paths:
        raise HubError(f"ignore rule {text!r}: no path= (e.g. kind=Deployment,path=spec.replicas)")
    rule["paths"] = paths
    return rule


def rule_text(rule: JSON) -> str:
    """The inverse of parse_ignore_rule, for showing a policy."""
    scope = [
        f"{name}={rule[key]}"
        for name, key in (("kind", "kind"), ("group", "api_group"), ("namespace", "namespace"), ("name", "name"))
        if rule.get(key) is not None
    ]
    return ",".join([*scope, *(f"path={p}" for p in rule.get("paths") or [])])


def read_policy_file(path: str) -> JSON:
    import yaml

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as error:
        raise HubError(f"cannot read {path}: {error.strerror}") from error
    try:
        policy = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise HubError(f"{path} is not YAML or JSON: {error}") from error
    if isinstance(policy, dict) and set(policy) == {"drift"}:
        policy = policy["drift"]  # a file holding `drift:` as in an application file
    if not isinstance(policy, dict):
        raise HubError(f"{path}: a drift policy is a mapping (mode: alert, ignore: [...])")
    return policy


def policy_from_args(
    current: JSON | None,
    *,
    file: str | None = None,
    mode: str | None = None,
    ignore: list[str] | None = None,
    add_ignore: list[str] | None = None,
    clear_ignore: bool = False,
) -> JSON | None:
    """The policy the options ask for, on top of `current` (a file replaces it); None when they ask
    for nothing."""
    if file is None and mode is None and not ignore and not add_ignore and not clear_ignore:
        return None
    policy: JSON = read_policy_file(file) if file is not None else dict(current or {})
    if mode is not None:
        policy["mode"] = mode
    rules = list(policy.get("ignore") or [])
    if clear_ignore:
        rules = []
    if ignore:
        rules = [parse_ignore_rule(r) for r in ignore]
    rules += [parse_ignore_rule(r) for r in add_ignore or []]
    policy["ignore"] = rules
    return policy


def add_apply_drift_options(parser: argparse.ArgumentParser) -> None:
    """`fleetcast apply`'s drift policy options."""
    parser.add_argument("--drift-mode", choices=["correct", "alert"], help="what spokes do about drift")
    parser.add_argument(
        "--drift-ignore", action="append", default=[], metavar="RULE", help="kind=Deployment,path=spec.replicas"
    )
    parser.add_argument("--drift-policy", metavar="FILE", help="the drift policy as YAML or JSON")


def apply_drift_policy(args: argparse.Namespace) -> JSON | None:
    """The drift policy `fleetcast apply` sends, or None to keep the application's."""
    return policy_from_args(
        None,
        file=getattr(args, "drift_policy", None),
        mode=getattr(args, "drift_mode", None),
        ignore=getattr(args, "drift_ignore", None),
    )


def policy_summary(policy: JSON | None) -> str:
    policy = policy or {}
    rules = policy.get("ignore") or []
    lines = [f"mode: {policy.get('mode', 'correct')}"]
    lines += [f"ignore: {rule_text(rule)}" for rule in rules] or ["ignore: -"]
    return "\n".join(lines)


def _drift_policy(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    app = client.get_application(args.app)
    wanted = policy_from_args(
        app.get("drift"),
        file=args.file,
        mode=args.mode,
        ignore=args.ignore,
        add_ignore=args.add_ignore,
        clear_ignore=args.clear_ignore,
    )
    if wanted is None:
        return app.get("drift"), f"{app['id']} drift policy\n{policy_summary(app.get('drift'))}"
    created, app = client.update_application(args.app, drift=wanted)
    what = f"new release {app.get('revision')}" if created else "unchanged, nothing published"
    return app, f"{app['id']} drift policy ({what})\n{policy_summary(app.get('drift'))}"


def _fields(entry: JSON) -> str:
    if entry.get("drift") == "deleted":
        return "(object deleted)"
    return or_dash(entry.get("fields"))


def _drift(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    wanted = None if args.all else args.limit
    params: dict[str, Any] = {
        "application": args.app,
        "cluster": args.cluster,
        "drifting": "true" if args.drifting else None,
        "limit": PAGE if wanted is None else max(1, min(wanted, PAGE)),
    }
    body = client.drift(params)
    while body.get("next_cursor") and (wanted is None or len(body["items"]) < wanted):
        more = client.drift({**params, "cursor": body["next_cursor"]})
        body["items"].extend(more["items"])
        body["next_cursor"] = more.get("next_cursor")
    if wanted is not None:
        body["items"] = body["items"][:wanted]
    rows = [
        [
            e["cluster"],
            e["application"],
            e["object"],
            or_dash(e.get("drift")) if e.get("drift") else "corrected",
            _fields(e),
            or_dash(e.get("managers")),
            or_dash(e.get("since")),
            or_dash(e.get("mode")),
            str(e.get("corrections", 0)),
        ]
        for e in body["items"]
    ]
    head = f"{body['drifting']} object(s) drifting, {body['total'] - body['drifting']} corrected before"
    if not rows:
        return body, f"{head}\nno drift reported"
    table = render_table(
        ["CLUSTER", "APPLICATION", "OBJECT", "DRIFT", "FIELDS", "MANAGERS", "SINCE", "MODE", "CORRECTIONS"], rows
    )
    shown = "" if len(rows) >= body["total"] else f"\n(showing {len(rows)} of {body['total']}; --all for every row)"
    return body, f"{head}\n{table}{shown}"


def _message(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def _events(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = client.kube_events(args.app, {"cluster": args.cluster, "type": args.type, "limit": args.limit})
    rows = [
        [
            or_dash(e.get("last_time")),
            e["cluster"],
            e["type"],
            e["reason"],
            _about(e),
            str(e.get("count", 1)),
            _message(e.get("message") or ""),
        ]
        for e in body["items"]
    ]
    dropped = body.get("dropped") or 0
    note = f"\n({dropped} event(s) not forwarded by the spokes' rate limit)" if dropped else ""
    if not rows:
        return body, f"no events of {args.app}" + (f" on {args.cluster}" if args.cluster else "") + note
    table = render_table(["LAST SEEN", "CLUSTER", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"], rows)
    return body, table + note


def _about(e: JSON) -> str:
    """The event's object, and the managed object it is attributed to when it is not that one."""
    return f"{e['object']} (of {e['owner']})" if e.get("owner") else str(e["object"])


def _short(e: JSON) -> str:
    """Kind/name of the event's object (describe's section already says the namespace)."""
    return f"{e.get('kind')}/{e.get('name')}"


def _indent(lines: list[str], by: str = "  ") -> list[str]:
    return [by + line for line in lines]


def describe_text(d: JSON) -> str:
    """kubectl describe-like: the application on the cluster, then a section per object."""
    lines = [
        f"Application:   {d['application']}",
        f"Cluster:       {d['cluster']}",
        f"Revision:      {d['revision']} (desired {or_dash(d.get('desired_revision'))}, observed "
        f"{or_dash(d.get('observed_revision'))}, applied {or_dash(d.get('last_applied_revision'))})",
        f"Health:        {'Removed' if d.get('removed') else d.get('health')}",
        f"Reported:      {or_dash(d.get('reported_at'))}",
        f"Drifted:       {d.get('drifted', 0)} object(s)",
    ]
    if d.get("errors"):
        lines.append("Errors:")
        lines += _indent([str(e) for e in d["errors"]])
    if d.get("events_dropped"):
        lines.append(f"Events dropped: {d['events_dropped']} (the spoke's rate limit)")
    for o in d.get("objects") or []:
        lines += ["", f"{o['object']} ({o['api_version']})"]
        lines.append(f"  Health:       {o['health']}" + (f": {o['message']}" if o.get("message") else ""))
        lines.append(f"  Last apply:   {or_dash(o.get('action'))}")
        if o.get("error"):
            lines.append(f"  Error:        {o['error']}")
        if o.get("conditions"):
            lines.append("  Conditions:")
            rows = [
                [c["type"], c["status"], or_dash(c.get("reason")), _message(c.get("message") or "", 80)]
                for c in o["conditions"]
            ]
            lines += _indent(render_table(["TYPE", "STATUS", "REASON", "MESSAGE"], rows).splitlines(), "    ")
        drift = o.get("drift")
        if drift:
            what = "deleted" if drift.get("kind") == "deleted" else f"modified: {or_dash(drift.get('fields'))}"
            lines.append(f"  Drift:        {what}")
            lines.append(f"    By:         {or_dash(drift.get('managers'))}")
            lines.append(f"    Since:      {or_dash(drift.get('detected_at'))}")
        if o.get("corrections"):
            last = o.get("last_correction") or {}
            lines.append(f"  Corrections:  {o['corrections']} (last: {or_dash(last.get('fields'))})")
        events = o.get("events") or []
        if events:
            lines.append("  Events:")
            # Events of the objects it owns (its pods) come with it: then each row says which object.
            owned = any(e.get("owner") for e in events)
            rows = [
                [e["type"], e["reason"]]
                + ([_short(e)] if owned else [])
                + [or_dash(e.get("last_time")), f"x{e.get('count', 1)}", _message(e["message"])]
                for e in events
            ]
            head = ["TYPE", "REASON"] + (["OBJECT"] if owned else []) + ["LAST SEEN", "COUNT", "MESSAGE"]
            lines += _indent(render_table(head, rows).splitlines(), "    ")
    return "\n".join(lines)


def _describe(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = client.describe(args.app, args.cluster)
    return body, describe_text(body)


def add_drift_commands(commands: Any, add_command: AddCommand) -> None:
    p = add_command(commands, "drift", _drift, "objects that differ from their release, fleet-wide")
    p.add_argument("app", nargs="?", help="only this application")
    p.add_argument("--cluster", help="only this cluster")
    p.add_argument("--drifting", action="store_true", help="only objects drifting now (not corrected ones)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--limit", type=int, default=DEFAULT_SHOWN, help=f"rows to show ({DEFAULT_SHOWN})")
    shown.add_argument("--all", action="store_true", help="every row")

    p = add_command(commands, "drift-policy", _drift_policy, "show or set an application's drift policy")
    p.add_argument("app")
    p.add_argument("--mode", choices=["correct", "alert"], help="correct: re-apply at once; alert: report only")
    p.add_argument("--ignore", action="append", default=[], metavar="RULE", help="replace the ignore rules")
    p.add_argument("--add-ignore", action="append", default=[], metavar="RULE", help="add an ignore rule")
    p.add_argument("--clear-ignore", action="store_true", help="remove every ignore rule")
    p.add_argument("-f", "--file", help="the whole policy as YAML or JSON (- for stdin)")

    p = add_command(commands, "events", _events, "Kubernetes Events of an application's objects, newest first")
    p.add_argument("app")
    p.add_argument("--cluster", help="only this cluster")
    p.add_argument("--type", choices=["Normal", "Warning"], help="only events of this type")
    p.add_argument("--limit", type=int, default=50, help="at most this many (50)")

    p = add_command(commands, "describe", _describe, "an application on one cluster, object by object")
    p.add_argument("app")
    p.add_argument("--cluster", "-c", required=True, help="the cluster")


__all__ = ["add_apply_drift_options", "add_drift_commands", "apply_drift_policy"]
