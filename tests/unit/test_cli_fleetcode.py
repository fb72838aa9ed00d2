"""`fleetcast validate` and `fleetcast sync`: what they read, what they send, what a person reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from deploy.cli import build_parser
from hub.client.config import ClientSettings
from hub.client.http import HubClient
from tests.unit.hub.fleetcode.test_loader import DEPLOYMENT, WEB, write

PLAN = {
    "plan": [
        {"kind": "Application", "name": "web", "action": "update", "detail": "changed: manifests", "skipped": False},
        {"kind": "Application", "name": "old", "action": "delete", "detail": "skipped: pass --prune", "skipped": True},
    ],
    "applied": True,
    "counts": {"create": 0, "update": 1, "unchanged": 0, "delete": 0, "skipped": 1},
}


def run(argv: list[str]) -> tuple[list[httpx.Request], Any, str, int]:
    requests: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=PLAN)

    args = build_parser().parse_args(argv)
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(hub)) as client:
        data, text = args.handler(client, args)
    return requests, data, text, getattr(args, "exit_code", 0)


def test_validate_exits_1_with_every_problem_and_a_summary(tmp_path: Path) -> None:
    root = write(tmp_path / "fleet", {"web.yaml": WEB.replace("manifests/*.yaml", "nope.yaml")})
    inventory = write(tmp_path, {"clusters.yaml": "clusters: [{name: a, labels: {env: prod}}]\n"}) / "clusters.yaml"
    requests, data, text, code = run(["validate", str(root), "--inventory", str(inventory)])
    assert requests == [] and code == 1  # offline
    assert text.splitlines()[0] == "web.yaml:6: Application web: manifests: no file matches nope.yaml"
    assert text.splitlines()[-1].startswith("1 applications x 1 clusters: 0 rendered")
    assert data["problems"][0]["line"] == 6


def test_sync_sends_resolved_documents_with_their_origin_and_prints_the_plan(tmp_path: Path) -> None:
    root = write(tmp_path / "fleet", {"web.yaml": WEB, "manifests/d.yaml": DEPLOYMENT})
    requests, _data, text, code = run(["sync", str(root), "--prune"])
    assert code == 0
    body = json.loads(requests[0].content)
    assert requests[0].url.path == "/api/v1/sync"
    assert body["prune"] is True and body["dry_run"] is False
    assert body["origin"] == {"repository": str(root.resolve()), "path": ".", "commit": None, "file": None}
    (document,) = body["documents"]
    assert document["file"] == "web.yaml"
    assert document["spec"]["manifests"][0]["kind"] == "Deployment"
    assert "delete (skipped: pass --prune)" in text
    assert text.splitlines()[-1].endswith(": 1 update, 1 skipped")
