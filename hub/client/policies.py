"""The policy commands of `fleetcast`: CEL policies every release must pass (docs/policies.md).

fleetcast policy apply -f policy.yaml [-f more.yaml]   create or update (kind: Policy documents)
fleetcast policy list | show NAME | rm NAME
fleetcast policy baseline [--enable NAME ...]        the shipped set; --enable publishes one as is
fleetcast policy test -f policy.yaml -f app.yaml [--cluster NAME] [--labels env=prod,...] [--baseline]
                                                     offline: each finding; exit 1 on any deny
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.client.http import JSON, HubClient, HubError
from hub.client.tables import or_dash, render_table

if TYPE_CHECKING:
    from hub.client.commands import Handler

AddCommand = Callable[[Any, str, "Handler", str], argparse.ArgumentParser]

API_VERSION = "fleetcast.dev/v1"
KIND = "Policy"


# The API calls (here rather than in hub/client/http.py, through its request helpers).
def _put(client: HubClient, name: str, body: JSON) -> tuple[int, JSON]:
    """(201 created or 200, the policy)."""
    response = client._send("PUT", f"/policies/{name}", json=body)
    result: JSON = response.json()
    return response.status_code, result


def _policies(client: HubClient) -> list[JSON]:
    items: list[JSON] = client._call("GET", "/policies")["items"]
    return items


def policy_documents(text: str, source: str) -> list[tuple[str, JSON]]:
    """(name, spec) of each `kind: Policy` document in a YAML or JSON file; every problem named."""
    import yaml

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        raise HubError(f"{source}: not valid YAML: {error}") from error
    if not documents:
        raise HubError(f"{source}: no policy in it")
    result: list[tuple[str, JSON]] = []
    problems: list[str] = []
    for index, document in enumerate(documents, start=1):
        where = f"{source}: document {index}"
        if not isinstance(document, dict) or document.get("kind") != KIND:
            kind = document.get("kind") if isinstance(document, dict) else None
            problems.append(f"{where}: kind is {kind!r}, expected {KIND}")
            continue
        if document.get("apiVersion") != API_VERSION:
            problems.append(f"{where}: apiVersion is {document.get('apiVersion')!r}, expected {API_VERSION}")
            continue
        name = (document.get("metadata") or {}).get("name")
        spec = document.get("spec")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: metadata.name is missing")
        elif not isinstance(spec, dict):
            problems.append(f"{where} ({name}): spec is missing")
        else:
            result.append((name, spec))
    if problems:
        raise HubError("; ".join(problems))
    return result


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as error:
        raise HubError(f"cannot read {path}: {error.strerror}") from error


def _existing(client: HubClient, name: str) -> JSON | None:
    try:
        return client._call("GET", f"/policies/{name}")
    except HubError as error:
        if error.status == 404:
            return None
        raise


def _apply(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    documents = [doc for path in args.file for doc in policy_documents(_read(path), path)]
    results, lines = [], []
    for name, spec in documents:
        before = _existing(client, name)
        _status, policy = _put(client, name, spec)
        results.append(policy)
        if before is None:
            what = "created"
        elif (before["spec"], before["enabled"]) == (policy["spec"], policy["enabled"]):
            what = "unchanged"
        else:
            what = "updated"
        lines.append(f"policy {name}: {what}; {policy['action']}, {'enabled' if policy['enabled'] else 'disabled'}")
    return results, "\n".join(lines)


def _scope(spec: JSON) -> tuple[str, str, str]:
    match = spec.get("match") or {}
    return (
        ",".join(match.get("kinds") or []) or "*",
        ",".join(match.get("namespaces") or []) or "*",
        match.get("clusterSelector") or "*",
    )


def _list(client: HubClient, _args: argparse.Namespace) -> tuple[Any, str]:
    items = _policies(client)
    rows = [
        [p["name"], p["action"], "yes" if p["enabled"] else "no", *_scope(p["spec"]), or_dash(p.get("description"))]
        for p in items
    ]
    return items, render_table(["POLICY", "ACTION", "ENABLED", "KINDS", "NAMESPACES", "CLUSTERS", "DESCRIPTION"], rows)


def _show(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    import yaml

    policy = client._call("GET", f"/policies/{args.name}")
    document = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": policy["name"]}, "spec": policy["spec"]}
    origin = policy.get("origin")
    source = f", from {origin['repository']}@{(origin.get('commit') or '-')[:12]}" if origin else ""
    head = (
        f"# {'enabled' if policy['enabled'] else 'disabled'}; created by {policy['created_by']} "
        f"{policy['created_at']}, updated {policy['updated_at']}{source}"
    )
    return policy, head + "\n" + yaml.safe_dump(document, sort_keys=False).rstrip()


def _rm(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    return client._call("DELETE", f"/policies/{args.name}"), f"deleted policy {args.name}"


def _baseline(client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    lines = []
    for name in args.enable:
        response = client._send("POST", f"/policies/baseline/{name}")
        lines.append(f"policy {name}: {'enabled' if response.status_code == 201 else 'enabled as shipped'}")
    items: list[JSON] = client._call("GET", "/policies/baseline")["items"]
    rows = [[p["name"], p["action"], "yes" if p["enabled"] else "no", p["description"]] for p in items]
    table = render_table(["BASELINE POLICY", "ACTION", "ENABLED", "DESCRIPTION"], rows)
    return items, "\n".join([*lines, table])


def parse_labels(text: str | None) -> dict[str, str]:
    """`env=prod,tier=web` -> {"env": "prod", "tier": "web"}."""
    labels: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise HubError(f"--labels: {pair!r} is not key=value (e.g. env=prod,region=eu)")
        labels[key.strip()] = value.strip()
    return labels


def _renderer(args: argparse.Namespace, cluster: Any) -> Any:
    """The real Helm for applications made from a chart or template (None without one: those are named)."""
    from hub.charts.binary import HelmNotFound, find_helm
    from hub.charts.renderer import HelmRenderer
    from hub.fleetcode.rendering import offline_renderer

    try:
        return offline_renderer(HelmRenderer(find_helm(Path(args.helm) if args.helm else None)), cluster)
    except HelmNotFound:
        return None


def _test(_client: HubClient, args: argparse.Namespace) -> tuple[Any, str]:
    # Offline: nothing here talks to the hub.
    from hub.policies.baseline import baseline
    from hub.policies.evaluate import FindingOut, evaluate
    from hub.policies.offline import PolicyTestError, load
    from hub.policies.spec import Action
    from hub.sources.facts import ClusterFacts

    cluster = ClusterFacts(args.cluster, parse_labels(args.labels), args.kubernetes_version)
    try:
        loaded = load(args.file, need_policies=not args.baseline, render=_renderer(args, cluster))
    except PolicyTestError as error:
        raise HubError("\n  ".join(["cannot test:", *error.problems])) from error
    policies = loaded.policies + (list(baseline().values()) if args.baseline else [])
    findings = evaluate(policies, [(cluster, loaded.objects)])
    denied = [f for f in findings if f.action is Action.DENY]
    args.exit_code = 1 if denied else 0
    lines = [f"{f.action.upper():<4} {f.describe()}" for f in findings]
    lines.append(
        f"{len(denied)} denied, {len(findings) - len(denied)} warned: {len(policies)} policies on "
        f"{len(loaded.objects)} objects for cluster {cluster.name}"
    )
    data = {
        "cluster": {"name": cluster.name, "labels": dict(cluster.labels)},
        "policies": [p.name for p in policies],
        "objects": len(loaded.objects),
        "findings": [FindingOut.of(f).model_dump(mode="json") for f in findings],
        "denied": len(denied),
    }
    return data, "\n".join(lines)


def add_policy_commands(commands: Any, add_command: AddCommand) -> None:
    policy = commands.add_parser("policy", help="CEL policies every release must pass: publish, list, test offline")
    actions = policy.add_subparsers(dest="policy_command", required=True)
    p = add_command(actions, "apply", _apply, "create or update policies from files (kind: Policy); platform role")
    p.add_argument("-f", "--file", action="append", required=True, help="YAML, one or more documents; - for stdin")
    add_command(actions, "list", _list, "published policies with their action and scope")
    p = add_command(actions, "show", _show, "a policy as stored, as a document `policy apply` takes back")
    p.add_argument("name")
    p = add_command(actions, "rm", _rm, "delete a policy; platform role")
    p.add_argument("name")
    p = add_command(actions, "baseline", _baseline, "the shipped baseline set; --enable publishes one as shipped")
    p.add_argument("--enable", action="append", default=[], metavar="NAME", help="publish this baseline policy")
    p = add_command(actions, "test", _test, "judge objects by policies offline; exit 1 on any deny")
    p.add_argument(
        "-f", "--file", action="append", default=[], help="Policy documents, Kubernetes objects, Application documents"
    )
    p.add_argument("--cluster", default="local", help="the cluster's name the policies see (default: local)")
    p.add_argument("--labels", "-l", help="the cluster's labels the policies see: env=prod,region=eu")
    p.add_argument("--kubernetes-version", help="the cluster's Kubernetes version charts render for (v1.34.1)")
    p.add_argument("--helm", metavar="PATH", help="the Helm that renders chart and template applications")
    p.add_argument("--baseline", action="store_true", help="test against the shipped baseline set too")
