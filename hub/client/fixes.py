"""The security-fix commands of `fleetcast`: image overrides, fix campaigns, auto-update.

fleetcast set-image APP nginx=1.27.4 [redis=sha256:...] [busybox-]   change an application's image overrides
fleetcast fix nginx --to 1.27.4 [--older-than 1.27.4] [--strategy S] [--dry-run] [--watch]
fleetcast campaign status ID [--watch] | list [--active]
fleetcast auto-update set APP --image nginx --constraint '~1.27' [--strategy staging-first] | rm APP --image nginx
fleetcast announce nginx 1.27.5                                       what a CI job or registry webhook sends
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

# `campaign status --watch` exits 0 when the campaign succeeded, 2 when it stalled (needs a person).
WATCH_EXIT = {"succeeded": 0, "stalled": 2}


def _canonical(name: str) -> str:
    """The image as the hub keys it (docker.io/library/nginx for nginx); a bad name is the user's error."""
    from hub.images.references import ImageRefError, normalise_name  # pure and light, but only when needed

    try:
        return normalise_name(name)
    except ImageRefError as error:
        raise HubError(str(error)) from error


def parse_overrides(pairs: list[str], current: dict[str, str]) -> dict[str, str]:
    """`nginx=1.27.4` sets, `nginx-` removes; the rest of `current` (keyed by canonical name) is kept."""
    result = dict(current)
    for pair in pairs:
        if pair.endswith("-") and "=" not in pair:
            name = pair[:-1]
            if result.pop(_canonical(name), None) is None:
                raise HubError(f"{name}: the application has no override for that image")
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise HubError(f"{pair!r}: expected IMAGE=TAG, IMAGE=DIGEST or IMAGE- (remove)")
        result[_canonical(name)] = value
    return result


def _set_image(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    app = client.get_application(args.app)
    overrides = parse_overrides(args.overrides, app.get("image_overrides") or {})
    created, app = client.update_application(args.app, image_overrides=overrides)
    what = f"revision {app['revision']} released" if created else "no change to the manifests: no new release"
    shown = ", ".join(f"{k}={v}" for k, v in sorted((app.get("image_overrides") or {}).items())) or "none"
    return app, f"{args.app}: {what}; image overrides: {shown}"


def plan_text(plan: JSON) -> str:
    lines = [f"fix {plan['image']} older than {plan['older_than']} with {plan['target']}"]
    if plan["fixes"]:
        rows = [
            [f["application"], ", ".join(f["found"]), f["image_override"], or_dash(f.get("strategy"))]
            for f in plan["fixes"]
        ]
        lines.append(render_table(["APPLICATION", "VULNERABLE", "NEW", "STRATEGY"], rows))
    else:
        lines.append("no application's desired manifests use a vulnerable version")
    for s in plan["skipped"]:
        lines.append(f"left to you: {s['application']} ({', '.join(s['references'])}): {s['reason']}")
    if plan["current"]:
        lines.append(f"already fixed: {', '.join(plan['current'])}")
    return "\n".join(lines)


def campaign_text(campaign: JSON) -> str:
    lines = [
        f"campaign {campaign['id']}: fix {campaign['image']} older than {campaign['older_than']} with "
        f"{campaign['target']} -- {campaign['state']}",
        f"vulnerable clusters: {campaign['vulnerable_clusters']} ({or_dash(campaign.get('reason'))})",
    ]
    rows = [
        [
            a["application"],
            str(a["revision"]),
            or_dash(a.get("run_id")),
            a.get("run_state") or "released at once",
            "yes" if a["desired_vulnerable"] else "no",
            str(a["vulnerable_clusters"]),
        ]
        for a in campaign["applications"]
    ]
    if rows:
        lines.append(
            render_table(
                ["APPLICATION", "REVISION", "RUN", "ROLLOUT", "DESIRED VULNERABLE", "VULNERABLE CLUSTERS"], rows
            )
        )
    for s in campaign.get("skipped") or []:
        lines.append(f"left to you: {s['application']} ({', '.join(s['references'])}): {s['reason']}")
    return "\n".join(lines)


def watch_campaign(client: HubClient, campaign: JSON, interval: float, show: bool) -> JSON:
    """Follow a campaign until it succeeds or stalls, a line whenever it changes and at least every 30 s."""
    say: Callable[[str], None] = (lambda line: print(line, flush=True)) if show else (lambda line: None)
    last: tuple[Any, ...] = ()
    last_said = 0.0
    while True:
        key = (
            campaign["state"],
            campaign["vulnerable_clusters"],
            tuple((a["application"], a.get("run_state")) for a in campaign["applications"]),
        )
        if key != last or time.monotonic() - last_said >= 30:
            runs = ", ".join(f"{a['application']} {a.get('run_state') or 'released'}" for a in campaign["applications"])
            say(
                f"{datetime.now(UTC):%H:%M:%S} {campaign['state']}: {campaign['vulnerable_clusters']} vulnerable "
                f"cluster(s); {runs or 'no application released'}"
            )
            last, last_said = key, time.monotonic()
        if campaign["state"] in WATCH_EXIT:
            return campaign
        time.sleep(interval)
        try:
            campaign = client.campaign(campaign["id"])
        except HubError as error:
            if error.status is not None:
                raise
            say(f"{datetime.now(UTC):%H:%M:%S} the hub is not answering ({error}); still trying")


def _fix(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.fix(
        image=args.image, to=args.to, older_than=args.older_than, strategy=args.strategy, dry_run=args.dry_run
    )
    text = plan_text(result["plan"])
    if args.dry_run:
        return result, text + "\n(dry run: nothing was changed)"
    campaign = result["campaign"]
    text += f"\ncampaign {campaign['id']} started: fleetcast campaign status {campaign['id']} --watch"
    if args.watch:
        if args.output == "table":
            print(text, flush=True)
        campaign = watch_campaign(client, campaign, args.interval, args.output == "table")
        args.exit_code = WATCH_EXIT.get(campaign["state"], 1)
        result["campaign"] = campaign
        return result, campaign_text(campaign)
    return result, text


def _campaign_status(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    campaign = client.campaign(args.id)
    if args.watch:
        campaign = watch_campaign(client, campaign, args.interval, args.output == "table")
        args.exit_code = WATCH_EXIT.get(campaign["state"], 1)
    return campaign, campaign_text(campaign)


def _campaign_list(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.campaigns(active=True if args.active else None)
    rows = [
        [
            str(c["id"]),
            c["image"],
            c["target"],
            c["state"],
            str(c["vulnerable_clusters"]),
            str(len(c["applications"])),
            c["created_by"],
            c["created_at"],
        ]
        for c in items
    ]
    return items, render_table(
        ["CAMPAIGN", "IMAGE", "TO", "STATE", "VULNERABLE CLUSTERS", "APPLICATIONS", "BY", "STARTED"], rows
    )


def _auto_update_set(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    app = client.get_application(args.app)
    policies = [p for p in app.get("auto_update") or [] if not _same_image(p["image"], args.image)]
    policies.append({"image": args.image, "constraint": args.constraint, "strategy": args.strategy})
    _created, app = client.update_application(args.app, auto_update=policies)
    return app, _policies_text(app)


def _auto_update_rm(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    app = client.get_application(args.app)
    policies = [p for p in app.get("auto_update") or [] if not _same_image(p["image"], args.image)]
    if len(policies) == len(app.get("auto_update") or []):
        raise HubError(f"{args.app} has no auto-update policy for {args.image}")
    _created, app = client.update_application(args.app, auto_update=policies)
    return app, _policies_text(app)


def _same_image(canonical: str, name: str) -> bool:
    return canonical == _canonical(name)


def _policies_text(app: JSON) -> str:
    rows = [[p["image"], p["constraint"], or_dash(p.get("strategy"))] for p in app.get("auto_update") or []]
    if not rows:
        return f"{app['id']}: no auto-update policy"
    return f"{app['id']}:\n" + render_table(["IMAGE", "CONSTRAINT", "STRATEGY"], rows)


def _announce(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    result = client.announce_image_version(args.image, args.version)
    rows = [
        [u["application"], "released" if u["updated"] else "unchanged", or_dash(u.get("revision")), u["reason"]]
        for u in result["applications"]
    ]
    if not rows:
        return result, f"{result['image']} {result['version']}: no application has an auto-update policy for it"
    return result, render_table(["APPLICATION", "RESULT", "REVISION", "WHY"], rows)


def add_fix_commands(commands: Any, add_command: AddCommand) -> None:
    p = add_command(commands, "set-image", _set_image, "set or remove an application's image overrides")
    p.add_argument("app")
    p.add_argument("overrides", nargs="+", metavar="IMAGE=TAG|IMAGE=DIGEST|IMAGE-")

    p = add_command(commands, "fix", _fix, "release every application that uses an image below a version, fixed")
    p.add_argument("image", help="the image, as manifests write it: nginx, ghcr.io/acme/api")
    p.add_argument("--to", required=True, help="what fixed applications run: a tag, a digest or tag@digest")
    p.add_argument("--older-than", help="versions below this are vulnerable (default: the --to version)")
    p.add_argument("--strategy", help="roll every release out with this strategy (default: each application's)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    p.add_argument("--watch", "-w", action="store_true", help="follow the campaign until it succeeds or stalls")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between looks while watching (default 2)")

    campaign = commands.add_parser("campaign", help="follow fix campaigns")
    actions = campaign.add_subparsers(dest="campaign_command", required=True)
    p = add_command(actions, "status", _campaign_status, "a campaign: each application's rollout, vulnerable clusters")
    p.add_argument("id", type=int)
    p.add_argument(
        "--watch", "-w", action="store_true", help="follow it until no cluster is vulnerable (exit 0) or it stalls (2)"
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between looks while watching (default 2)")
    p = add_command(actions, "list", _campaign_list, "campaigns, newest first")
    p.add_argument("--active", action="store_true", help="only campaigns still running")

    auto = commands.add_parser("auto-update", help="applications that follow new image versions by themselves")
    actions = auto.add_subparsers(dest="auto_update_command", required=True)
    p = add_command(actions, "set", _auto_update_set, "follow an image's new versions within a constraint")
    p.add_argument("app")
    p.add_argument("--image", required=True)
    p.add_argument("--constraint", required=True, help="~1.27 (1.27.x), ^2 (2.x), '>=1.2 <2', *")
    p.add_argument("--strategy", help="the strategy automatic releases go out with (e.g. staging first)")
    p = add_command(actions, "rm", _auto_update_rm, "stop following an image")
    p.add_argument("app")
    p.add_argument("--image", required=True)

    p = add_command(commands, "announce", _announce, "announce an image's new version (what CI or a registry sends)")
    p.add_argument("image")
    p.add_argument("version")
