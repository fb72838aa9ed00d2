"""The access commands of `fleetcast`: API tokens, who am I, and the audit log.

fleetcast token create NAME --role R [--role R2] [--expires-in 30d]    the secret is printed once
fleetcast token list | revoke ID
fleetcast whoami
fleetcast audit [--app APP] [--since 1h|2026-11-22T10:00:00Z] [--until T] [--actor NAME]
                [--action release.created|rollout.] [--cluster C] [--run ID] [--limit N] [--before ID]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

ROLES_HELP = "viewer, deployer, approver, admin, or a custom role (e.g. prod-approver) that approval gates name"


def since_time(text: str, now: datetime) -> datetime:
    """`--since 1h` (that long before now) or an ISO 8601 time (`2026-11-22T10:00:00Z`; no zone: UTC)."""
    from hub.durations import DurationError, parse_duration

    try:
        return now - parse_duration(text)
    except DurationError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HubError(
            f"invalid time {text!r}: use a duration back from now (30m, 1h, 2d) or an ISO 8601 time such as "
            "2026-11-22T10:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def token_state(token: JSON, now: datetime) -> str:
    if token.get("revoked_at"):
        return "revoked"
    expires = token.get("expires_at")
    if expires and datetime.fromisoformat(expires) <= now:
        return "expired"
    return "active"


def created_text(token: JSON) -> str:
    """What a person sees when a token is made: shared by `fleetcast token create` and the bootstrap command."""
    expires = f"expires {token['expires_at']}" if token.get("expires_at") else "does not expire"
    return (
        f"created token {token['id']} for {token['name']} (roles {', '.join(token['roles'])}; {expires})\n"
        "The secret is shown only now and the hub keeps only its hash; use it with\n"
        f"  export FLEETCAST_TOKEN={token['token']}\n"
        "or as `token:` in the CLI config file (~/.config/fleetcast/config.yaml, or $FLEETCAST_CONFIG)."
    )


def _token_create(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    from hub.durations import DurationError, parse_duration

    seconds = None
    if args.expires_in is not None:
        try:
            seconds = max(1, round(parse_duration(args.expires_in).total_seconds()))
        except DurationError as error:
            raise HubError(f"--expires-in: {error}") from error
    token = client.create_token(args.name, args.role, seconds)
    return token, created_text(token)


def _token_list(client: HubClient, _args: argparse.Namespace) -> tuple[Any, str]:
    tokens = client.list_tokens()
    now = datetime.now(UTC)
    rows = [
        [
            t["id"],
            t["name"],
            ",".join(t.get("roles") or []),
            token_state(t, now),
            or_dash(t.get("created_by")),
            or_dash(t.get("created_at")),
            or_dash(t.get("expires_at")),
            or_dash(t.get("last_used_at")),
        ]
        for t in tokens
    ]
    header = ["ID", "NAME", "ROLES", "STATE", "CREATED BY", "CREATED", "EXPIRES", "LAST USED"]
    return tokens, render_table(header, rows)


def _token_revoke(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    token = client.revoke_token(args.id)
    return token, f"revoked token {token['id']} ({token['name']}); requests with it are refused from now on"


def _whoami(client: HubClient, _args: argparse.Namespace) -> tuple[Any, str]:
    me = client.whoami()
    return me, f"{me['name']} (token {or_dash(me.get('token_id'))}), roles {', '.join(me.get('roles') or [])}"


def details_text(event: JSON, width: int = 80) -> str:
    """An event's reason and details on one line, cut to `width`."""
    parts = [f"reason={event['reason']}"] if event.get("reason") else []
    for key, value in (event.get("details") or {}).items():
        shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={shown}")
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _audit(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    now = datetime.now(UTC)
    page = client.audit(
        application=args.app,
        actor=args.actor,
        action=args.action,
        cluster=args.cluster,
        run=str(args.run) if args.run is not None else None,
        since=_time(since_time(args.since, now)) if args.since else None,
        until=_time(since_time(args.until, now)) if args.until else None,
        limit=str(args.limit) if args.limit is not None else None,
        before=str(args.before) if args.before is not None else None,
    )
    events: list[JSON] = page["items"]
    rows = [
        [
            str(e["id"]),
            e["time"],
            e["actor"],
            e["action"],
            or_dash(e.get("application")),
            or_dash(e.get("cluster")),
            or_dash(e.get("revision")),
            details_text(e),
        ]
        for e in events
    ]
    text = render_table(["ID", "TIME", "ACTOR", "ACTION", "APPLICATION", "CLUSTER", "REVISION", "DETAILS"], rows)
    if page.get("next_before"):
        text += f"\n(more: add --before {page['next_before']})"
    return events, text


def add_access_commands(commands: Any, command: AddCommand) -> None:
    """Add `token`, `whoami` and `audit` to `fleetcast`'s subparsers; `command` adds one with `-o`."""
    token = commands.add_parser("token", help="create, list or revoke API tokens (admin)")
    actions = token.add_subparsers(dest="token_command", required=True)
    p = command(actions, "create", _token_create, "create a token; its secret is printed once")
    p.add_argument("name", help="who acts with it (a DNS-1123 label); the audit log records it")
    p.add_argument("--role", action="append", required=True, metavar="ROLE", help=ROLES_HELP)
    p.add_argument("--expires-in", metavar="DURATION", help="e.g. 12h, 30d (default: never)")
    command(actions, "list", _token_list, "list tokens (never their secrets)")
    p = command(actions, "revoke", _token_revoke, "revoke a token at once")
    p.add_argument("id", help="the token's id (`fleetcast token list`)")

    command(commands, "whoami", _whoami, "the name and roles of the token in use")

    p = command(commands, "audit", _audit, "the audit log: who changed what, newest first")
    p.add_argument("--app", help="only this application")
    p.add_argument("--since", metavar="WHEN", help="a duration back from now (30m, 1h, 2d) or an ISO 8601 time")
    p.add_argument("--until", metavar="WHEN", help="the same forms as --since")
    p.add_argument("--actor", help="a token's name, or system:<component>")
    p.add_argument("--action", help="an action (release.created) or a prefix ending in a dot (rollout.)")
    p.add_argument("--cluster", help="only this cluster")
    p.add_argument("--run", type=int, help="only this rollout run")
    p.add_argument("--limit", type=int, help="at most this many events (default 100, at most 1000)")
    p.add_argument("--before", type=int, metavar="ID", help="only events older than this id (the next page)")
