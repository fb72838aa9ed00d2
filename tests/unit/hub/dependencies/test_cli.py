"""`fleetcast apply --depends-on` and `fleetcast status`'s WAITING FOR, against a fake hub (httpx's mock
transport): what they send and what they print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from deploy.cli import build_parser
from hub.client.commands import depends_on_given
from hub.client.config import ClientSettings
from hub.client.http import HubClient

APP: dict[str, Any] = {
    "id": "web",
    "revision": 1,
    "selector": "",
    "depends_on": ["db", "cache"],
    "missing_dependencies": ["cache"],
    "clusters": [
        {"cluster": "c1", "desired_revision": 1, "health": "Unknown", "waiting_for": ["db (Progressing)"]},
        {"cluster": "c2", "desired_revision": 1, "health": "Ready", "waiting_for": []},
    ],
}


def run(argv: list[str]) -> tuple[Any, str, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=APP)

    args = build_parser().parse_args(argv)
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(handler)) as client:
        data, text = args.handler(client, args)
    return data, text, requests


def test_depends_on_is_kept_unless_given_and_an_empty_value_clears() -> None:
    assert depends_on_given(None) is None
    assert depends_on_given([""]) == []
    assert depends_on_given(["db", "cache, queue"]) == ["db", "cache", "queue"]


def test_apply_sends_the_dependencies_given(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    _data, text, requests = run(
        ["apply", "web", "-f", str(file), "-l", "", "--depends-on", "db", "--depends-on", "cache"]
    )
    assert json.loads(requests[0].content)["depends_on"] == ["db", "cache"]
    assert "depends on: db, cache (no such application yet: cache)" in text
    _data, _text, requests = run(["apply", "web", "-f", str(file), "-l", ""])
    assert "depends_on" not in json.loads(requests[0].content)
    _data, _text, requests = run(["apply", "web", "-f", str(file), "-l", "", "--depends-on", ""])
    assert json.loads(requests[0].content)["depends_on"] == []


def test_status_shows_what_each_cluster_waits_for() -> None:
    data, text, _requests = run(["status", "web"])
    assert data == APP
    lines = text.splitlines()
    assert lines[1] == "depends on: db, cache (no such application yet: cache)"
    assert "WAITING FOR" in lines[2]
    assert lines[3].startswith("c1") and lines[3].endswith("db (Progressing)")
    assert lines[4].startswith("c2") and lines[4].endswith("-")
