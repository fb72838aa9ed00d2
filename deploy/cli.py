"""fleetcast: an event-driven multi-cluster Kubernetes fleet controller.

Talk to a hub (set FLEETCAST_HUB_URL and FLEETCAST_TOKEN, or ~/.config/fleetcast/config.yaml):
  clusters, cluster, apply, status, versions, releases, delete, token, whoami, audit.
Run a real local fleet on this machine:  dev up | status | stop | down; pinned tools: dev tools helm."""

# Starting fast matters (every command, `--help` included): this module and the parsers it builds
# import only the standard library and hub.client's light modules. What a command needs (the local
# fleet toolkit, httpx, the hub or spoke) is imported when that command runs.
# tests/unit/test_cli_startup.py keeps it so.
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hub.client import commands as user_commands


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

    up = dev_commands.add_parser(
        "up", help="start Kafka, N clusters, the hub, a spoke each and Prometheus (building them on first run)"
    )
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

    stop = dev_commands.add_parser(
        "stop", help="stop some components, e.g. a spoke to see the alerts fire; `dev up` starts them again"
    )
    stop.add_argument("components", nargs="+", metavar="COMPONENT", help="as `dev status` names it: cluster-2/spoke")
    stop.add_argument("--state-dir", type=Path, help=state_help)

    down = dev_commands.add_parser("down", help="stop every component of the local fleet")
    down.add_argument("--purge", action="store_true", help="also delete its data, logs and kubeconfigs")
    down.add_argument("--state-dir", type=Path, help=state_help)

    tools = dev_commands.add_parser(
        "tools", help="build (once) or find a pinned tool in the cache and print its path: helm (for CI, offline use)"
    )
    tools.add_argument("tool", choices=["helm"], help="helm: the Helm the hub renders charts with")
    tools.add_argument("-o", "--output", choices=["path", "json"], default="path")
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
        from deploy.local.commands import run_dev

        return run_dev(args)
    if user_commands.is_user_command(args):
        return user_commands.run(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
