"""`fleetcast hub token create`: make a token directly in the hub's database, the trust root. It is how the
first admin token comes to be (every API call needs one), and how a lost one is replaced; whoever can
write the database can do this anyway. Migrates the database first, so it works before the hub ever ran.

fleetcast hub token create --name admin --role admin [--database-url URL] [--expires-in 30d] [-o json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hub.auth.roles import BOOTSTRAP_ACTOR
from hub.auth.service import TokenService
from hub.auth.views import TokenCreated
from hub.client.access import ROLES_HELP, created_text
from hub.durations import DurationError, parse_duration
from hub.errors import HubError
from hub.services.context import ServiceContext
from hub.settings import HubSettings
from hub.store.database import create_engine, migrate, session_factory
from hub.topics import TopicManager


async def create_token(
    settings: HubSettings, name: str, roles: list[str], *, expires_in: timedelta | None = None
) -> TokenCreated:
    """A new token in the database of `settings`, recorded in the audit log as made by system:bootstrap."""
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        # Tokens need only the store; the topic manager is never started.
        ctx = ServiceContext(session_factory(engine), settings, TopicManager(settings.kafka(), 1))
        token, bearer = await TokenService(ctx).create(name, roles, created_by=BOOTSTRAP_ACTOR, expires_in=expires_in)
    finally:
        await engine.dispose()
    return TokenCreated(**token.model_dump(), token=bearer)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fleetcast hub token", description="Make API tokens in the hub's database.")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token in the database; its secret is printed once")
    create.add_argument("--name", required=True, help="who acts with it (a DNS-1123 label), e.g. admin")
    create.add_argument("--role", action="append", required=True, metavar="ROLE", help=ROLES_HELP)
    create.add_argument("--expires-in", metavar="DURATION", help="e.g. 12h, 30d (default: never)")
    create.add_argument("--database-url", help="SQLAlchemy async URL (FLEETCAST_HUB_DATABASE_URL)")
    create.add_argument("-o", "--output", choices=["table", "json"], default="table")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    overrides: dict[str, Any] = {"database_url": args.database_url} if args.database_url else {}
    settings = HubSettings(**overrides)
    try:
        expires_in = parse_duration(args.expires_in) if args.expires_in is not None else None
        token = asyncio.run(create_token(settings, args.name, args.role, expires_in=expires_in))
    except HubError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except DurationError as error:
        print(f"error: --expires-in: {error}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as error:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(f"error: cannot use the database {where}: {error}", file=sys.stderr)
        return 1
    data = token.model_dump(mode="json")
    print(json.dumps(data, indent=2) if args.output == "json" else created_text(data))
    return 0
