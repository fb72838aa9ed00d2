"""`python -m hub` / `fleetcast hub`: run the hub's API, outbox relay and report consumer.

`fleetcast hub token create ...` makes an API token directly in the database instead (hub/auth/bootstrap.py).

uvicorn handles SIGTERM and SIGINT: it stops accepting requests, finishes those in flight, and runs
the lifespan's shutdown (relay and consumer stopped, Kafka clients closed, database disposed).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from hub.app import create_app
from hub.auth import bootstrap
from hub.settings import HubSettings

STARTUP_FAILED = 3


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, so the process would end as
        # "killed by a signal". A completed graceful shutdown is a success: main() returns 0 instead.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fleetcast hub",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="The first admin token: fleetcast hub token create --name admin --role admin [--database-url URL]",
    )
    parser.add_argument("--host", help="listen address (FLEETCAST_HUB_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (FLEETCAST_HUB_PORT, default 8080)")
    parser.add_argument("--database-url", help="SQLAlchemy async URL (FLEETCAST_HUB_DATABASE_URL)")
    parser.add_argument("--kafka-bootstrap", help="Kafka bootstrap servers (FLEETCAST_HUB_KAFKA_BOOTSTRAP)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> HubSettings:
    overrides: dict[str, Any] = {
        name: value
        for name in ("host", "port", "database_url", "kafka_bootstrap")
        if (value := getattr(args, name)) is not None
    }
    return HubSettings(**overrides)


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["token"]:
        return bootstrap.main(arguments[1:])
    args = parse_args(arguments)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiokafka is chatty at INFO about every (re)connection.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    settings = settings_from(args)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        log_config=None,  # keep the logging configured above
        lifespan="on",
    )
    server = _Server(config)
    server.run()
    return 0 if server.started else STARTUP_FAILED
