"""`fleetcast notify`: how the commands parse, what they send, and what a person reads (the secret the
hub made shown once, the one from a file never)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.cli import build_parser
from hub.client.config import ClientSettings
from hub.client.http import HubClient, HubError
from hub.client.notify import read_secret, subscription_body

CREATED = {
    "id": 3,
    "url": "https://hooks.slack.com/services/***",
    "events": ["rollout.approval-requested"],
    "applications": ["web"],
    "selector": "env=prod",
    "format": "slack",
    "description": None,
    "created_at": "2026-11-22T12:00:00Z",
    "created_by": "dana",
    "deliveries": {},
}


def run(argv: list[str], answer: dict[str, Any]) -> tuple[list[httpx.Request], Any, str]:
    requests: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=answer)

    args = build_parser().parse_args(argv)
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(hub)) as client:
        data, text = args.handler(client, args)
    return requests, data, text


def test_add_sends_the_subscription_and_shows_a_generated_secret_once() -> None:
    argv = ["notify", "add", "https://hooks.slack.com/services/T/B/X", "--event", "rollout.approval-requested"]
    argv += ["--app", "web", "-l", "env=prod", "--format", "slack"]
    requests, data, text = run(argv, {**CREATED, "secret": "generated-secret-xyz"})
    [request] = requests
    assert (request.method, request.url.path) == ("POST", "/api/v1/notifications/subscriptions")
    assert json.loads(request.content) == {
        "url": "https://hooks.slack.com/services/T/B/X",
        "events": ["rollout.approval-requested"],
        "applications": ["web"],
        "selector": "env=prod",
        "format": "slack",
    }
    assert data["secret"] == "generated-secret-xyz"
    assert text.splitlines()[0] == (
        "created subscription 3 -> https://hooks.slack.com/services/*** (slack): "
        "events rollout.approval-requested; applications web; clusters env=prod"
    )
    assert "it is shown only now:\n  generated-secret-xyz" in text


def test_a_secret_from_a_file_is_sent_and_never_printed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-the-file-0123456789\n")
    argv = ["notify", "add", "https://x.example/hook", "--event", "*", "--secret-file", str(secret)]
    requests, _data, text = run(argv, {**CREATED, "secret": None})
    assert json.loads(requests[0].content)["secret"] == "from-the-file-0123456789"
    assert "from-the-file" not in text and "secret from your file" in text


def test_a_missing_or_empty_secret_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(HubError, match="cannot read the secret file"):
        read_secret(str(tmp_path / "nope"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(HubError, match="is empty"):
        read_secret(str(tmp_path / "empty"))


def test_the_other_commands_parse() -> None:
    parser = build_parser()
    log = parser.parse_args(
        ["notify", "log", "--subscription", "3", "--status", "failed", "--limit", "5", "-o", "json"]
    )
    assert (log.subscription, log.status, log.limit, log.output) == (3, "failed", 5, "json")
    assert parser.parse_args(["notify", "rm", "3"]).id == 3
    assert parser.parse_args(["notify", "test", "3"]).id == 3
    assert parser.parse_args(["notify", "list"]).notify_command == "list"
    with pytest.raises(SystemExit):
        parser.parse_args(["notify", "log", "--status", "lost"])
    with pytest.raises(SystemExit):
        parser.parse_args(["notify", "add", "https://x.example"])  # --event is required
    body = subscription_body(parser.parse_args(["notify", "add", "https://x.example", "--event", "rollout.*"]))
    assert body == {
        "url": "https://x.example",
        "events": ["rollout.*"],
        "applications": [],
        "selector": "",
        "format": "json",
    }
