"""The diff preview commands of `fleetcast`.

fleetcast diff APP -f new.yaml [--selector S] [--live [--timeout SECONDS]]
    what the change would do on each cluster; exit 0: no changes, 1: changes, 2: could not tell
    (an error, or a cluster that did not answer the live dry run while no change was found elsewhere)
fleetcast apply APP -f new.yaml --selector S --dry-run [--live]
    the same preview of the apply, which is not made (exit 0 unless an error)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

# `fleetcast diff` exits like diff(1) and kubectl diff.
NO_CHANGES, CHANGES, UNKNOWN = 0, 1, 2
_SIGNS = {"added": "+", "removed": "-", "changed": "~", "created": "+", "pruned": "-", "rejected": "!"}


def exit_status(result: JSON) -> int:
    summary = result.get("summary") or {}
    if summary.get("changed"):
        return CHANGES
    return NO_CHANGES if summary.get("complete", True) else UNKNOWN


def _counted(items: list[JSON], key: str, order: list[str]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return ", ".join(f"{counts[k]} {k}" for k in order if counts.get(k)) or "no changes"


def _indented(text: str) -> list[str]:
    return [f"    {line}" for line in text.splitlines()]


def _live_lines(live: JSON) -> list[str]:
    state = live["state"]
    objects = live.get("objects") or []
    if state != "answered":
        lines = [f"  live: {state}: {live.get('reason') or ''}".rstrip()]
    else:
        counts = _counted(objects, "state", ["created", "changed", "pruned", "rejected", "unchanged"])
        lines = [f"  live ({state}): {counts}"]
    for obj in objects:
        if obj["state"] == "unchanged":
            continue
        lines.append(f"  {_SIGNS[obj['state']]} {obj['identity']} ({obj['state']}, live)")
        if obj.get("error"):
            lines.append(f"    error: {obj['error']}")
        if obj.get("note"):
            lines.append(f"    note: {obj['note']}")
        lines += _indented(obj.get("diff") or "")
    return lines


def diff_text(result: JSON) -> str:
    """The preview for people: a head line, a summary, then every cluster the change reaches."""
    summary = result["summary"]
    if not result["exists"]:
        what = "new application"
    elif result["new_release"]:
        what = f"revision {result['current_revision']} -> a new release"
    else:
        what = f"revision {result['current_revision']} (unchanged: no new release)"
    selector = result["selector"] or '"" (every cluster)'
    if result.get("current_selector") is not None and result["current_selector"] != result["selector"]:
        selector = f"{result['current_selector'] or '(every cluster)'} -> {selector}"
    lines = [f"{result['application']}: {what}; selector {selector}"]
    clusters = summary["clusters"]
    counts = f"clusters: {clusters['enter']} enter, {clusters['leave']} leave, {clusters['stay']} stay"
    counts += f", {clusters['none']} not reached"
    objects = summary["objects"]
    counts += f"; objects: {objects['added']} added, {objects['removed']} removed, {objects['changed']} changed"
    if summary.get("live") is not None:
        counts += "; live: " + ", ".join(f"{n} {state}" for state, n in summary["live"].items() if n)
    lines.append(counts)
    for cluster in result["clusters"]:
        if cluster["change"] == "none":
            continue
        revision = f", revision {cluster['current_revision']}" if cluster["current_revision"] is not None else ""
        changed = _counted(cluster["objects"], "change", ["added", "removed", "changed"])
        lines.append(f"== {cluster['cluster']} ({cluster['change']}{revision}): {changed}")
        for obj in cluster["objects"]:
            lines.append(f"  {_SIGNS[obj['change']]} {obj['identity']} ({obj['change']})")
            lines += _indented(obj["diff"])
        if cluster.get("live") is not None:
            lines += _live_lines(cluster["live"])
    if not summary["changed"]:
        lines.append(
            "no changes" if summary.get("complete", True) else "no changes found, but not every cluster answered"
        )
    return "\n".join(lines)


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as error:
        raise HubError(f"cannot read {path}: {error.strerror}") from error


def _diff(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.diff_application(
        args.app,
        _read(args.file),
        args.selector,
        strategy=getattr(args, "strategy", None),
        no_strategy=getattr(args, "no_strategy", False),
        live=args.live,
        timeout_seconds=args.timeout,
    )
    if not getattr(args, "dry_run", False):
        args.exit_code = exit_status(result)
    return result, diff_text(result)


def _add_live_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--live",
        action="store_true",
        help="also ask each cluster's spoke for a server-side-apply dry run against what is live there",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="with --live: seconds to wait for the clusters (default 10)"
    )


def add_diff_commands(commands: Any, add_command: AddCommand) -> None:
    """`fleetcast diff`, and `--dry-run` on the existing `fleetcast apply`."""
    p = add_command(commands, "diff", _diff, "preview what applying manifests would change on each cluster")
    p.add_argument("app")
    p.add_argument("-f", "--file", required=True, help="YAML or JSON manifests, multi-document; - for stdin")
    p.add_argument("--selector", "-l", help="the new selector; default: the application's current one")
    _add_live_options(p)
    # Errors must not exit 1, which says "changes found".
    p.set_defaults(error_exit_code=UNKNOWN)

    apply: argparse.ArgumentParser = commands.choices["apply"]
    apply.add_argument("--dry-run", action="store_true", help="show what the apply would change; apply nothing")
    _add_live_options(apply)
    applying: Handler = apply.get_default("handler")

    def apply_or_preview(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
        return _diff(client, args) if args.dry_run else applying(client, args)

    apply.set_defaults(handler=apply_or_preview)
