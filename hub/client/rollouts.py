"""The rollout commands of `fleetcast`: strategies, and the runs that take releases out in waves.

fleetcast strategy apply -f strategy.yaml         create or update (kind: Strategy, one or more documents)
fleetcast strategy list | show NAME [--versions] | delete NAME
fleetcast rollout status APP [--watch] [--run ID]  waves, gates, clusters, and what the run waits for
fleetcast rollout history APP | list [--active]
fleetcast rollout approve APP [--wave W] [--revision N] [--comment TEXT]
fleetcast rollout pause|resume|abort|rollback APP [--revision N] [--comment TEXT]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

STRATEGY_KIND = "Strategy"
API_VERSION = "fleetcast.io/v1"
# A run in one of these states is finished: `--watch` stops there; and at `paused`, which needs a person.
FINISHED = {"succeeded", "failed", "aborted", "superseded", "rolled-back"}
# Exit status of `rollout status --watch` for scripts: 0 succeeded, 1 ended otherwise, 2 paused.
WATCH_EXIT = {"succeeded": 0, "paused": 2}
WATCH_FAILED = 1


def strategy_documents(text: str, source: str) -> list[tuple[str, JSON]]:
    """(name, spec) of each `kind: Strategy` document in a YAML or JSON file; every problem named."""
    import yaml

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        raise HubError(f"{source}: not valid YAML: {error}") from error
    if not documents:
        raise HubError(f"{source}: no strategy in it")
    result: list[tuple[str, JSON]] = []
    for index, document in enumerate(documents, start=1):
        where = f"{source}: document {index}"
        if not isinstance(document, dict):
            raise HubError(f"{where}: expected a mapping with kind: {STRATEGY_KIND}")
        if document.get("kind") != STRATEGY_KIND:
            raise HubError(f"{where}: kind is {document.get('kind')!r}, expected {STRATEGY_KIND}")
        if document.get("apiVersion", API_VERSION) != API_VERSION:
            raise HubError(f"{where}: apiVersion is {document.get('apiVersion')!r}, expected {API_VERSION}")
        name = (document.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise HubError(f"{where}: metadata.name is missing")
        spec = document.get("spec")
        if not isinstance(spec, dict):
            raise HubError(f"{where} ({name}): spec is missing")
        result.append((name, spec))
    return result


def _strategy_apply(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as error:
        raise HubError(f"cannot read {args.file}: {error.strerror}") from error
    results, lines = [], []
    for name, spec in strategy_documents(text, args.file):
        created, strategy = client.put_strategy(name, spec)
        results.append(strategy)
        what = "new version" if created else "unchanged"
        users = ", ".join(strategy.get("applications") or []) or "no application yet"
        lines.append(f"strategy {name}: version {strategy['version']} ({what}); used by {users}")
        if strategy["spec"].get("unmatched", "skip") == "skip":
            lines.append(
                "  clusters no wave selects are skipped (listed in each rollout); unmatched: lastWave adds them"
            )
    return results, "\n".join(lines)


def _waves_text(spec: JSON) -> str:
    return " -> ".join(w["name"] for w in spec.get("waves") or [])


def _strategy_list(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.list_strategies()
    rows = [
        [
            s["name"],
            str(s["version"]),
            _waves_text(s["spec"]),
            s["spec"].get("onFailure", "pause"),
            or_dash(s.get("applications")),
        ]
        for s in items
    ]
    return items, render_table(["STRATEGY", "VERSION", "WAVES", "ON FAILURE", "APPLICATIONS"], rows)


def _strategy_show(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    import yaml

    if args.versions:
        versions = client.strategy_versions(args.name)
        rows = [[str(v["version"]), v["digest"][:19], v["created_by"], v["created_at"]] for v in versions]
        return versions, render_table(["VERSION", "DIGEST", "BY", "CREATED"], rows)
    strategy = client.get_strategy(args.name)
    document = {
        "apiVersion": API_VERSION,
        "kind": STRATEGY_KIND,
        "metadata": {"name": strategy["name"]},
        "spec": strategy["spec"],
    }
    head = (
        f"# version {strategy['version']} ({strategy['digest']}), updated {strategy['updated_at']}; "
        f"used by {', '.join(strategy.get('applications') or []) or 'no application'}"
    )
    return strategy, head + "\n" + yaml.safe_dump(document, sort_keys=False).rstrip()


def _strategy_delete(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    return client.delete_strategy(args.name), f"deleted strategy {args.name}"


# -- rollout status -------------------------------------------------------------------------------


def _counts(counts: dict[str, int]) -> str:
    order = ["pending", "waiting", "healthy", "dispatched", "passed", "failed", "skipped"]
    keys = sorted(counts, key=lambda k: order.index(k) if k in order else len(order))
    return ", ".join(f"{counts[k]} {k}" for k in keys) or "-"


def _gates_text(wave: JSON) -> str:
    parts = []
    for gate in wave.get("gates") or []:
        who = f" by {gate['approved_by']}" if gate.get("approved_by") else ""
        parts.append(f"{gate['phase']}: {gate['kind']} ({gate['state']}{who})")
    return "; ".join(parts) or "-"


def rollout_text(run: JSON) -> str:
    """The whole picture of one run, for people."""
    head = (
        f"{run['application']} revision {run['revision']} ({run['digest'][:19]}...) with strategy "
        f"{run['strategy']} v{run['strategy_version']}: {run['state']}  [run {run['id']}, by {run['created_by']}, "
        f"{run['created_at']}]"
    )
    lines = [head]
    if run.get("waiting_for"):
        lines.append(f"waiting for: {run['waiting_for']}")
    elif run.get("reason"):
        lines.append(f"result: {run['reason']}")
    waves = [[w["name"], w["state"], _counts(w.get("clusters") or {}), _gates_text(w)] for w in run["waves"]]
    lines += ["", render_table(["WAVE", "STATE", "CLUSTERS", "GATES"], waves), ""]
    clusters = [
        [
            c["cluster"],
            or_dash(c.get("wave")),
            c["state"] + (f" ({c['progress']})" if c.get("progress") else ""),
            or_dash(c.get("baseline_revision")),
            or_dash(c.get("restore")),
            or_dash(c.get("restore_detail") if c.get("restore") else c.get("detail")),
        ]
        for c in run["clusters"]
    ]
    lines.append(render_table(["CLUSTER", "WAVE", "STATE", "BASELINE", "RESTORE", "DETAIL"], clusters))
    for approval in run.get("approvals") or []:
        comment = f": {approval['comment']}" if approval.get("comment") else ""
        lines.append(
            f"approved {approval['phase']} wave {approval['wave']} by {approval['actor']} (role {approval['role']}) "
            f"at {approval['decided_at']}{comment}"
        )
    return "\n".join(lines)


def progress_line(run: JSON, now: datetime) -> str:
    what = run.get("waiting_for") or run.get("reason") or ""
    return f"{now:%H:%M:%S} run {run['id']} {run['state']}: {what}"


def progress_key(run: JSON) -> tuple[Any, ...]:
    """What `--watch` reports a change of: states and counts, not the wording (which counts down)."""
    return (
        run["id"],
        run["state"],
        run.get("wave"),
        tuple((w["name"], w["state"], tuple(sorted((w.get("clusters") or {}).items()))) for w in run["waves"]),
        tuple(g["state"] for w in run["waves"] for g in w.get("gates") or []),
        tuple((c["cluster"], c["state"], c.get("progress"), c.get("restore")) for c in run["clusters"]),
    )


def _rollout_status(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    run = client.rollout(args.app, args.run)
    if not args.watch:
        return run, rollout_text(run)
    run = watch(client, args.app, run, args.interval, args.output == "table")
    args.exit_code = WATCH_EXIT.get(run["state"], WATCH_FAILED)
    return run, rollout_text(run)


def watch(client: HubClient, app: str, run: JSON, interval: float, show: bool) -> JSON:
    """Follow the run until it finishes or pauses, printing a line whenever what it waits for changes,
    and at least every 30 s while nothing does. A superseded run is followed into the one that replaced
    it; a hub that is briefly away is waited for."""
    say: Callable[[str], None] = (lambda line: print(line, flush=True)) if show else (lambda line: None)
    if show:
        say(rollout_text(run))
        say("")
    last_key: tuple[Any, ...] = ()
    last_said = 0.0
    while True:
        key = progress_key(run)
        if key != last_key or time.monotonic() - last_said >= 30:
            say(progress_line(run, datetime.now(UTC)))
            last_key, last_said = key, time.monotonic()
        if run["state"] == "paused":
            if show:
                say("")
            return run
        if run["state"] in FINISHED:
            if run["state"] == "superseded" and run.get("superseded_by"):
                say(f"run {run['id']} was superseded by run {run['superseded_by']}: following that one")
                run = _fetch(client, app, run["superseded_by"], say)
                continue
            if show:
                say("")
            return run
        time.sleep(interval)
        run = _fetch(client, app, run["id"], say)


def _fetch(client: HubClient, app: str, run_id: int, say: Callable[[str], None]) -> JSON:
    for attempt in range(60):
        try:
            return client.rollout(app, run_id)
        except HubError as error:
            if error.status is not None:
                raise
            if attempt % 5 == 0:
                say(f"{datetime.now(UTC):%H:%M:%S} the hub is not answering ({error}); still trying")
            time.sleep(2)
    raise HubError("the hub did not answer for 2 minutes; the rollout goes on without you watching")


def _rollout_history(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.rollout_history(args.app)
    return items, _runs_table(items)


def _rollout_list(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    items = client.rollouts(active=True if args.active else None)
    return items, _runs_table(items)


def _runs_table(items: list[JSON]) -> str:
    rows = [
        [
            str(r["id"]),
            r["application"],
            str(r["revision"]),
            f"{r['strategy']} v{r['strategy_version']}",
            r["state"],
            r["created_by"],
            r["created_at"],
            or_dash(r.get("reason")),
        ]
        for r in items
    ]
    return render_table(["RUN", "APPLICATION", "REVISION", "STRATEGY", "STATE", "BY", "STARTED", "REASON"], rows)


def _control(action: str) -> Handler:
    def handle(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
        body: dict[str, str | int | None] = {"comment": args.comment, "revision": args.revision}
        if action == "approve":
            body["wave"] = args.wave
        run = client.rollout_action(args.app, action, **body)
        done = {"approve": "approved", "pause": "paused", "resume": "resumed", "abort": "aborted"}
        verb = done.get(action, "rolling back")
        return run, f"{args.app}: {verb}; run {run['id']} is {run['state']}\n" + progress_line(run, datetime.now(UTC))

    return handle


def add_rollout_commands(commands: Any, add_command: AddCommand) -> None:
    strategy = commands.add_parser("strategy", help="rollout strategies: waves, gates, failure policy")
    actions = strategy.add_subparsers(dest="strategy_command", required=True)
    p = add_command(actions, "apply", _strategy_apply, "create or update strategies from a file (kind: Strategy)")
    p.add_argument("-f", "--file", required=True, help="YAML or JSON, one or more documents; - for stdin")
    add_command(actions, "list", _strategy_list, "strategies with their waves and who uses them")
    p = add_command(actions, "show", _strategy_show, "a strategy as stored (YAML), or its versions")
    p.add_argument("name")
    p.add_argument("--versions", action="store_true", help="list its versions instead")
    p = add_command(actions, "delete", _strategy_delete, "delete a strategy no application uses")
    p.add_argument("name")

    rollout = commands.add_parser("rollout", help="follow and steer rollouts: status, approve, pause, rollback")
    actions = rollout.add_subparsers(dest="rollout_command", required=True)
    p = add_command(actions, "status", _rollout_status, "an application's rollout: waves, gates, clusters")
    p.add_argument("app")
    p.add_argument("--run", type=int, help="an earlier run (see rollout history); default: the newest")
    p.add_argument(
        "--watch",
        "-w",
        action="store_true",
        help="follow it until it finishes or pauses; exit 0 if it succeeded, 2 if it paused, 1 otherwise",
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between looks while watching (default 2)")
    p = add_command(actions, "history", _rollout_history, "an application's rollout runs, newest first")
    p.add_argument("app")
    p = add_command(actions, "list", _rollout_list, "rollout runs of every application, newest first")
    p.add_argument("--active", action="store_true", help="only runs still in progress")
    for action, help_text in [
        ("approve", "approve the gate the rollout waits at (needs the role the gate names)"),
        ("pause", "stop dispatching and judging until resumed"),
        ("resume", "go on; after a failed wave, the failed clusters are judged again"),
        ("abort", "stop the rollout for good; clusters keep what they have"),
        ("rollback", "restore every cluster the rollout changed to its baseline, waves in reverse"),
    ]:
        p = add_command(actions, action, _control(action), help_text)
        p.add_argument("app")
        p.add_argument("--comment", "-m", help="why; recorded in the audit log")
        p.add_argument("--revision", type=int, help="refuse if the rollout no longer carries this revision")
        if action == "approve":
            p.add_argument("--wave", help="refuse if another wave is the one waiting")
