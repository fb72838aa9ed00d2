"""`fleetcast versions --image IMAGE` with version bounds: which clusters, applications and containers
run an image older (or newer) than a version, as spokes report.

fleetcast versions --image nginx --older-than 1.27.4 [--newer-than V] [--not TAG_OR_DIGEST ...]
                   [--selector S] [--app APP] [--limit N | --all] [-o json]

Without --older-than, --newer-than or --not, `versions --image` keeps its per-tag summary.
"""

from __future__ import annotations

import argparse
from typing import Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

# What one request asks for; the command follows cursors for more.
PAGE = 1000
DEFAULT_SHOWN = 100


def add_image_version_options(parser: argparse.ArgumentParser) -> None:
    """The version bounds of `versions --image`."""
    parser.add_argument("--older-than", metavar="VERSION", help="only versions below this one, e.g. 1.27.4")
    parser.add_argument("--newer-than", metavar="VERSION", help="only versions above this one")
    parser.add_argument(
        "--not", dest="exclude", action="append", default=[], metavar="TAG_OR_DIGEST", help="leave out (repeatable)"
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--limit", type=int, default=DEFAULT_SHOWN, help=f"rows to show per list ({DEFAULT_SHOWN})")
    shown.add_argument("--all", action="store_true", help="every row")


def wants_version_query(args: argparse.Namespace) -> bool:
    bounded = bool(args.older_than or args.newer_than or args.exclude)
    if bounded and not args.image:
        raise HubError("--older-than, --newer-than and --not need --image, e.g. --image nginx")
    return bounded


def _fetch(client: HubClient, args: argparse.Namespace) -> JSON:
    """Pages until `--limit` rows of each list (or all), merged into one answer of the API's shape."""
    wanted = None if args.all else args.limit
    params: dict[str, Any] = {
        "older_than": args.older_than,
        "newer_than": args.newer_than,
        "not": args.exclude or None,
        "selector": args.selector,
        "application": args.app,
        "limit": PAGE if wanted is None else max(1, min(wanted, PAGE)),
    }
    body = client.image_versions(args.image, params)
    for items, cursor_name, next_name in (
        ("items", "cursor", "next_cursor"),
        ("unordered", "unordered_cursor", "unordered_next_cursor"),
    ):
        while body[next_name] and (wanted is None or len(body[items]) < wanted):
            more = client.image_versions(args.image, {**params, cursor_name: body[next_name]})
            body[items].extend(more[items])
            body[next_name] = more[next_name]
        if wanted is not None and len(body[items]) > wanted:
            del body[items][wanted:]
    return body


def _object(row: JSON) -> str:
    if not row.get("kind"):
        return "-"  # an older spoke names only images
    where = f"{row['namespace']}/" if row.get("namespace") else ""
    return f"{row['kind']}/{where}{row['name']}"


def _container(row: JSON) -> str:
    name = or_dash(row.get("container"))
    return name if row.get("container_type", "container") == "container" else f"{name} ({row['container_type']})"


def _table(rows: list[JSON]) -> str:
    return render_table(
        ["CLUSTER", "APPLICATION", "OBJECT", "CONTAINER", "IMAGE"],
        [[r["cluster"], r["application"], _object(r), _container(r), r["reference"]] for r in rows],
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_image_versions(body: JSON) -> str:
    """The rows in the bounds, the summary line, and the rows that cannot be ordered, apart."""
    lines = []
    if body["items"]:
        lines.append(_table(body["items"]))
    hidden = body["totals"]["rows"] - len(body["items"])
    if hidden > 0:
        lines.append(f"... and {_plural(hidden, 'more row')} (--limit N or --all)")
    lines.append(body["summary"])
    apart = body["unordered_totals"]
    if apart["rows"]:
        lines.append("")
        lines.append(
            f"Not ordered (a tag that is no version, or a digest only): {_plural(apart['rows'], 'container')} on "
            f"{_plural(apart['clusters'], 'cluster')}; check these by hand"
        )
        lines.append(_table(body["unordered"]))
        hidden = apart["rows"] - len(body["unordered"])
        if hidden > 0:
            lines.append(f"... and {_plural(hidden, 'more row')} (--limit N or --all)")
    return "\n".join(lines)


def image_versions(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = _fetch(client, args)
    return body, render_image_versions(body)
