"""The notification commands of `fleetcast`: webhook subscriptions and what was delivered to them.

fleetcast notify add URL --event rollout.* [--event cluster.unreachable] [--app APP|GLOB ...]
                     [--selector 'env=prod'] [--format json|slack] [--secret-file F] [--description TEXT]
fleetcast notify list | rm ID | test ID | events
fleetcast notify log [--subscription ID] [--status pending|delivered|failed|cancelled] [--event TYPE]
                     [--limit N] [--before ID]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

STATUSES = ["pending", "delivered", "failed", "cancelled"]


def read_secret(path: str) -> str:
    """The secret in a file (its first line, without the line break), so it stays out of shell history."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise HubError(f"cannot read the secret file {path}: {error.strerror}") from error
    secret = text.strip()
    if not secret:
        raise HubError(f"the secret file {path} is empty")
    return secret


def subscription_body(args: argparse.Namespace) -> JSON:
    body: JSON = {
        "url": args.url,
        "events": args.event,
        "applications": args.app,
        "selector": args.selector or "",
        "format": args.format,
    }
    if args.secret_file:
        body["secret"] = read_secret(args.secret_file)
    if args.description:
        body["description"] = args.description
    return body


def subscription_line(s: JSON) -> str:
    scope = [f"events {','.join(s['events'])}"]
    if s.get("applications"):
        scope.append(f"applications {','.join(s['applications'])}")
    if s.get("selector"):
        scope.append(f"clusters {s['selector']}")
    return f"subscription {s['id']} -> {s['url']} ({s['format']}): {'; '.join(scope)}"


def _add(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    created = client.subscribe(subscription_body(args))
    text = f"created {subscription_line(created)}"
    if created.get("secret"):
        text += (
            "\nDeliveries are signed with this secret (X-Fleetcast-Signature); it is shown only now:\n"
            f"  {created['secret']}\n"
            "Keep it with the receiver; docs/notifications.md shows how to check a signature."
        )
    else:
        text += "\nDeliveries are signed with the secret from your file (X-Fleetcast-Signature)."
    return created, text


def _counts(counts: dict[str, int]) -> str:
    return ",".join(f"{status} {counts[status]}" for status in STATUSES if counts.get(status)) or "-"


def _list(client: HubClient, _args: argparse.Namespace) -> tuple[Any, str]:
    items = client.subscriptions()
    rows = [
        [
            str(s["id"]),
            s["url"],
            s["format"],
            ",".join(s["events"]),
            or_dash(s.get("applications")),
            or_dash(s.get("selector")),
            _counts(s.get("deliveries") or {}),
            or_dash(s.get("description")),
        ]
        for s in items
    ]
    header = ["ID", "URL", "FORMAT", "EVENTS", "APPLICATIONS", "CLUSTERS", "DELIVERIES", "DESCRIPTION"]
    return items, render_table(header, rows)


def _rm(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    removed = client.unsubscribe(args.id)
    pending = (removed.get("deliveries") or {}).get("cancelled", 0)
    return removed, f"removed subscription {removed['id']}; {pending} undelivered notification(s) cancelled"


def _test(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    delivery = client.test_subscription(args.id)
    return delivery, (
        f"queued test delivery {delivery['id']} to subscription {args.id}; see how it went with: "
        f"fleetcast notify log --subscription {args.id}"
    )


def _events(client: HubClient, _args: argparse.Namespace) -> tuple[Any, str]:
    items = client.notification_events()
    return items, render_table(["EVENT", "WHEN"], [[e["type"], e["description"]] for e in items])


def _log(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    page = client.deliveries(
        subscription=str(args.subscription) if args.subscription is not None else None,
        status=args.status,
        event=args.event,
        limit=str(args.limit) if args.limit is not None else None,
        before=str(args.before) if args.before is not None else None,
    )
    items: list[JSON] = page["items"]
    rows = [
        [
            str(d["id"]),
            str(d["subscription"]),
            d["event"],
            or_dash(d.get("application") or d.get("cluster")),
            d["status"],
            str(d["attempts"]),
            or_dash(d.get("response_status")),
            or_dash(d.get("last_attempt_at")),
            or_dash(d.get("next_attempt_at")),
            or_dash(d.get("last_error")),
        ]
        for d in items
    ]
    header = ["ID", "SUB", "EVENT", "ABOUT", "STATUS", "ATTEMPTS", "ANSWER", "LAST ATTEMPT", "NEXT ATTEMPT"]
    text = render_table([*header, "LAST ERROR"], rows)
    if page.get("next_before"):
        text += f"\n(more: add --before {page['next_before']})"
    return items, text


def add_notify_commands(commands: Any, command: AddCommand) -> None:
    """Add `notify` to `fleetcast`'s subparsers; `command` adds one with `-o`."""
    notify = commands.add_parser("notify", help="webhook notifications: subscriptions and their delivery log")
    actions = notify.add_subparsers(dest="notify_command", required=True)
    p = command(actions, "add", _add, "send events to a webhook (admin)")
    p.add_argument("url", help="http(s) URL the notifications are POSTed to")
    p.add_argument(
        "--event",
        action="append",
        required=True,
        metavar="TYPE",
        help="an event type or a glob (rollout.*, cluster.unreachable); repeat for more; `notify events` lists them",
    )
    p.add_argument("--app", action="append", default=[], metavar="APP", help="only these applications (globs work)")
    p.add_argument("--selector", "-l", help="only events about clusters matching this label selector")
    p.add_argument("--format", choices=["json", "slack"], default="json", help="json (default) or a Slack message")
    p.add_argument("--secret-file", metavar="FILE", help="sign with the secret in FILE (default: the hub makes one)")
    p.add_argument("--description", help="what it is for")
    command(actions, "list", _list, "subscriptions and their deliveries by status (never secrets)")
    p = command(actions, "rm", _rm, "remove a subscription; what it has not delivered yet is cancelled (admin)")
    p.add_argument("id", type=int)
    p = command(actions, "test", _test, "send a test notification to a subscription (admin)")
    p.add_argument("id", type=int)
    command(actions, "events", _events, "the event types one can subscribe to")
    p = command(actions, "log", _log, "deliveries, newest first: status, attempts, last answer and error")
    p.add_argument("--subscription", type=int, metavar="ID", help="only this subscription's")
    p.add_argument("--status", choices=STATUSES, help="only deliveries in this state")
    p.add_argument("--event", metavar="TYPE", help="only this event type")
    p.add_argument("--limit", type=int, help="at most this many (default 100, at most 1000)")
    p.add_argument("--before", type=int, metavar="ID", help="only deliveries older than this id (the next page)")
