"""The fleet as code in `fleetcast` (docs/fleet-as-code.md):

fleetcast validate DIR [--inventory clusters.yaml]     offline: every problem with file:line; exit 1 on any
fleetcast sync DIR [--prune] [--dry-run]               make the hub match the directory
fleetcast sync --git REPO [--ref REF] [--path SUBDIR] [--prune] [--dry-run]
                                                       the same from a local git repository at a ref
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import render_table

if TYPE_CHECKING:
    from hub.client.rollouts import AddCommand
    from hub.fleetcode.documents import Problem
    from hub.fleetcode.loader import Loaded
    from hub.sources.facts import ClusterFacts
    from hub.sources.origin import Origin


def _validate(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    from hub.fleetcode.inventory import parse_inventory
    from hub.fleetcode.loader import load
    from hub.fleetcode.validate import steps, validate

    clusters: list[ClusterFacts] = []
    inventory_problems: list[Problem] = []
    if args.inventory:
        try:
            text = Path(args.inventory).read_text()
        except OSError as error:
            raise HubError(f"cannot read the inventory {args.inventory}: {error}") from error
        clusters, inventory_problems = parse_inventory(text, args.inventory)
    renderer, template_check, policy_check = steps(Path(args.helm) if args.helm else None)
    report = validate(
        load(Path(args.dir)),
        clusters,
        renderer=renderer,
        template_check=template_check,
        policy_check=policy_check,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    report.problems[:0] = inventory_problems
    if report.skipped:
        report.problems.append(
            Problem(
                args.dir,
                0,
                f"{report.skipped} chart or template renderings not done: no Helm (--helm PATH, helm on PATH, or "
                "`fleetcast dev tools helm` to build the pinned one)",
            )
        )
    args.exit_code = 1 if report.problems else 0
    lines = [str(p) for p in report.problems] + [f"warning: {w}" for w in report.warnings] + [report.summary()]
    return report.as_json(), "\n".join(lines)


def _loaded(args: argparse.Namespace, into: Path) -> tuple[Loaded, Origin]:
    from hub.fleetcode.git import GitError, directory_origin, extract, ref_origin, resolve_commit
    from hub.fleetcode.loader import load

    try:
        if args.git:
            repository = Path(args.git)
            commit = resolve_commit(repository, args.ref)
            root = extract(repository, commit, args.path, into)
            return load(root), ref_origin(repository, commit, args.path)
        if not args.dir:
            raise HubError("give a directory (fleetcast sync DIR) or a repository (--git REPO --ref REF)")
        return load(Path(args.dir)), directory_origin(Path(args.dir))
    except GitError as error:
        raise HubError(str(error)) from error


def _sync(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    import tempfile

    from hub.fleetcode.wire import wire_document

    with tempfile.TemporaryDirectory(prefix="fleetcast-sync-") as tmp:
        loaded, origin = _loaded(args, Path(tmp))
    if loaded.problems:
        raise HubError(
            f"{len(loaded.problems)} problem(s), nothing synced (fleetcast validate shows them too):\n"
            + "\n".join(str(p) for p in loaded.problems)
        )
    body: JSON = {
        "origin": origin.model_dump(),
        "documents": [wire_document(d, origin.path) for d in loaded.documents],
        "prune": args.prune,
        "dry_run": args.dry_run,
    }
    result = client.sync(body)
    return result, _plan_text(result, origin.describe())


def _plan_text(result: JSON, origin: str) -> str:
    rows = [
        [
            s["kind"],
            s["name"],
            "delete (skipped: pass --prune)" if s.get("skipped") and s["action"] == "delete" else s["action"],
            s.get("detail") or "-",
        ]
        for s in result.get("plan", [])
    ]
    counts = result.get("counts", {})
    said = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    head = "plan (dry run, nothing changed)" if not result.get("applied") else "synced"
    return f"{render_table(['KIND', 'NAME', 'ACTION', 'DETAIL'], rows)}\n{head} from {origin}: {said or 'nothing'}"


def add_fleetcode_commands(commands: Any, add_command: AddCommand) -> None:
    p = add_command(commands, "validate", _validate, "check a fleet directory offline: render, policies, references")
    p.add_argument("dir", help="a fleet repository's directory, or an application repository (fleetcast.yaml)")
    p.add_argument("--inventory", help="YAML: clusters: [{name, labels, kubernetesVersion}] to render for")
    p.add_argument("--helm", metavar="PATH", help="the Helm binary (default: helm on PATH, then the build cache)")

    p = add_command(commands, "sync", _sync, "make the hub match a directory or a git ref (creates, updates, prunes)")
    p.add_argument("dir", nargs="?", help="the directory to sync (in a git work tree: records its HEAD)")
    p.add_argument("--git", metavar="REPO", help="a local git repository: sync the tree at --ref")
    p.add_argument("--ref", default="HEAD", help="branch, tag or commit of --git (default HEAD)")
    p.add_argument("--path", default=".", help="the directory inside --git's repository (default its root)")
    p.add_argument("--prune", action="store_true", help="delete what this source manages and no longer holds")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
