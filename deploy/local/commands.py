"""`fleetcast dev up | status | stop | down`: the real local fleet on this machine, for people.

Imported only when a `dev` command runs (deploy/cli.py): the toolkit pulls in the Kubernetes and Kafka
clients, which the rest of the command line does without."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from deploy.local import control
from deploy.local.errors import ComponentError
from deploy.local.fleet import ComponentStatus, LocalFleet, cluster_names
from deploy.local.settings import DevSettings
from hub.client.config import ClientSettings, config_path
from hub.client.tables import render_table

T = TypeVar("T")

EXAMPLE_APP = Path(__file__).parent.parent / "examples" / "web.yaml"


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
    if getattr(args, "state_dir", None) is not None:
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


def run_dev(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except ValueError as error:
        _say(f"error: {error}")
        return 2
    if args.dev_command == "tools":
        return _tools(settings, args)
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
            if ready.prometheus_url and fleet.runs_prometheus:
                print(f"Prometheus:       {ready.prometheus_url}  (API and promtool; see docs/observability.md)")
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
                        "prometheus_url": state.prometheus_url if state else None,
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
    if args.dev_command == "stop":
        try:
            stopped = fleet.stop(args.components)
        except ValueError as error:
            _say(f"error: {error}")
            return 2
        _say(f"stopped {', '.join(stopped)}" if stopped else "none of them was running")
        _say("`fleetcast dev up` starts them again")
        return 0
    if args.dev_command == "down":
        stopped = fleet.down(purge=args.purge)
        _say(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
        if args.purge:
            _say(f"removed {fleet.home}")
        return 0
    raise AssertionError(args.dev_command)


def _tools(settings: DevSettings, args: argparse.Namespace) -> int:
    """`dev tools helm`: the pinned Helm from the cache, built there first if need be; its path on stdout."""
    from deploy.local.artifacts import Artifacts

    try:
        path = _run_cancellable(Artifacts(settings, _say).ensure_helm())
    except ComponentError as error:
        _say(f"error: {error}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("interrupted; the unfinished build is redone next time")
        return 130
    if args.output == "json":
        print(json.dumps({"tool": args.tool, "version": settings.helm_version, "path": str(path)}, indent=2))
    else:
        print(path)
    return 0
