"""fleetcast: an event-driven multi-cluster Kubernetes fleet controller.

Talk to a hub (set FLEETCAST_HUB_URL and FLEETCAST_TOKEN, or ~/.config/fleetcast/config.yaml):
  clusters, cluster, apply, status, versions, releases, delete, token, whoami, audit.
Run a real local fleet on this machine:  dev up | status | down."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from deploy.local import control
from deploy.local.errors import ComponentError
from deploy.local.fleet import ComponentStatus, LocalFleet, cluster_names
from deploy.local.settings import DevSettings
from hub.client import commands as user_commands
from hub.client.config import ClientSettings, config_path
from hub.client.tables import render_table

T = TypeVar("T")

EXAMPLE_APP = Path(__file__).parent / "examples" / "web.yaml"


def _say(message: str) -> None:
    print(f"[fleetcast dev] {message}", file=sys.stderr, flush=True)


def _run_cancellable(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro`; Ctrl-C (SIGINT) and SIGTERM cancel it, so its clean-up runs either way.

    SIGINT is handled explicitly rather than left to Python's default: a process started in the
    background by a non-interactive shell inherits SIGINT *ignored*, and would not stop at all."""

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        return await coro

    return asyncio.run(main())


def _status_table(rows: list[ComponentStatus]) -> str:
    header = ["COMPONENT", "STATE", "PID", "RSS", "ENDPOINT", "LOG"]
    body = [
        [
            r.component,
            "running" if r.running else "stopped",
            str(r.pid or "-"),
            f"{r.rss_mib:.0f} MiB" if r.rss_mib is not None else "-",
            r.endpoint or "-",
            r.log,
        ]
        for r in rows
    ]
    return render_table(header, body)


def _settings(args: argparse.Namespace) -> DevSettings:
    overrides: dict[str, Any] = {}
    if getattr(args, "clusters", None) is not None:
        overrides["clusters"] = args.clusters
    if args.state_dir is not None:
        overrides["state_dir"] = args.state_dir
    settings = DevSettings(**overrides)
    if getattr(args, "label", None):
        existing = LocalFleet(settings, _say).load()
        known = [c.name for c in existing.clusters] if existing else []
        names = {*cluster_names(settings.clusters), *known}
        settings.labels = {**settings.labels, **control.cluster_labels(args.label, sorted(names))}
    return settings


def _cli_access(hub_url: str, token: str) -> str:
    """Configure the CLI for the local hub, or say how to, when the config file is someone else's."""
    path = config_path()
    if control.write_cli_config(path, hub_url, token):
        return f"CLI configured in {path} (the local hub's address and admin token)"
    exports = [f"export FLEETCAST_TOKEN={token}"]
    if hub_url != ClientSettings.model_fields["hub_url"].default:
        exports.insert(0, f"export FLEETCAST_HUB_URL={hub_url}")
    lines = [f"{path} is your own config, left alone; use the local hub's admin token with:", *exports]
    return "\n  ".join(lines)


def _dev(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except ValueError as error:
        _say(f"error: {error}")
        return 2
    fleet = LocalFleet(settings, _say)
    if args.dev_command == "up":
        try:
            ready = _run_cancellable(fleet.up())
        except ComponentError as error:
            _say(f"error: {error}")
            return 1
        except (KeyboardInterrupt, asyncio.CancelledError):
            _say("interrupted; nothing this run started is left running")
            return 130
        print(_status_table(fleet.status()))
        print()
        print(f"Kafka bootstrap:  {ready.kafka_bootstrap}")
        for cluster in ready.clusters:
            print(f"{cluster.name}:        KUBECONFIG={fleet.cluster_files(cluster.name).kubeconfig}")
        print(f"State and logs:   {fleet.home}")
        token = fleet.admin_token()
        if ready.hub_url and token:
            print(f"Hub API:          {ready.hub_url}")
            print(f"Admin token:      {fleet.admin_token_path}")
            print()
            print(_cli_access(ready.hub_url, token))
            print()
            print("Deploy the sample application to both clusters and watch it roll out:")
            print("  fleetcast clusters")
            print(f"  fleetcast apply web -f {EXAMPLE_APP} --selector 'env in (staging,prod)'")
            print("  fleetcast status web")
            print("  fleetcast versions --image nginx")
        print("Stop with:        fleetcast dev down")
        return 0
    if args.dev_command == "status":
        rows = fleet.status()
        state = fleet.load()
        if args.output == "json":
            print(
                json.dumps(
                    {
                        "state_dir": str(fleet.home),
                        "kafka_bootstrap": state.kafka_bootstrap if state else None,
                        "clusters": [
                            {
                                "name": c.name,
                                "server": c.server,
                                "kubeconfig": str(fleet.cluster_files(c.name).kubeconfig),
                            }
                            for c in (state.clusters if state else [])
                        ],
                        "components": [asdict(r) for r in rows],
                    },
                    indent=2,
                )
            )
        elif not rows:
            print(f"no local fleet in {fleet.home}; start one with `fleetcast dev up`")
        else:
            print(_status_table(rows))
        # Exit status tells scripts whether everything runs.
        return 0 if rows and all(r.running for r in rows) else 3
    if args.dev_command == "down":
        stopped = fleet.down(purge=args.purge)
        _say(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
        if args.purge:
            _say(f"removed {fleet.home}")
        return 0
    raise AssertionError(args.dev_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleetcast", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    user_commands.add_commands(commands)
    # Listed for --help; their arguments go to their own parsers (see main).
    commands.add_parser(
        "hub", help="run the hub: API, store, outbox relay, report consumer (hub --help); hub token create: a token"
    )
    commands.add_parser("spoke", help="run the agent of one cluster (spoke --help)")

    dev = commands.add_parser("dev", help="run a real local fleet: Kafka and Kubernetes clusters on this machine")
    dev_commands = dev.add_subparsers(dest="dev_command", required=True)
    state_help = "state directory (default: $FLEETCAST_DEV_STATE_DIR or ~/.local/state/fleetcast/dev)"

    up = dev_commands.add_parser("up", help="start Kafka and N clusters (building them on first run)")
    up.add_argument("--clusters", type=int, help="number of clusters (default 2)")
    up.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="CLUSTER:KEY=VALUE",
        help="set a cluster's label (repeatable), e.g. --label cluster-2:env=canary; "
        "defaults: cluster-1 env=staging, the others env=prod",
    )
    up.add_argument("--state-dir", type=Path, help=state_help)

    status = dev_commands.add_parser("status", help="show what runs where")
    status.add_argument("-o", "--output", choices=["table", "json"], default="table")
    status.add_argument("--state-dir", type=Path, help=state_help)

    down = dev_commands.add_parser("down", help="stop every component of the local fleet")
    down.add_argument("--purge", action="store_true", help="also delete its data, logs and kubeconfigs")
    down.add_argument("--state-dir", type=Path, help=state_help)
    return parser


def _run_hub(argv: list[str]) -> int:
    from hub.main import main as hub_main

    return hub_main(argv)


def _run_spoke(argv: list[str]) -> int:
    from spoke.main import main as spoke_main

    return spoke_main(argv)


# Long-running programs with their own flags: everything after their name is theirs. Imported only
# when run, so the user commands start quickly.
_PROGRAMS = {"hub": _run_hub, "spoke": _run_spoke}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in _PROGRAMS:
        return _PROGRAMS[arguments[0]](arguments[1:])
    args = build_parser().parse_args(arguments)
    if args.command == "dev":
        return _dev(args)
    if user_commands.is_user_command(args):
        return user_commands.run(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
