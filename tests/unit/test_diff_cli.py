"""`fleetcast diff` and `apply --dry-run`: what they send, how the answer reads, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.cli import build_parser
from hub.client import commands
from hub.client.config import ClientSettings
from hub.client.diffs import diff_text, exit_status
from hub.client.http import HubClient

CHANGED_CONFIG = "\n".join(
    [
        "--- live/ConfigMap/shop/cfg",
        "+++ dry-run/ConfigMap/shop/cfg",
        "@@ -1 +1 @@",
        "-  GREETING: hijacked",
        "+  GREETING: hello",
    ]
)


def answer(*, changed: bool = True, complete: bool = True) -> dict[str, Any]:
    live_objects = [
        {
            "identity": "ConfigMap/shop/cfg",
            "api_version": "v1",
            "kind": "ConfigMap",
            "namespace": "shop",
            "name": "cfg",
            "state": "changed" if changed else "unchanged",
            "diff": CHANGED_CONFIG if changed else "",
            "error": None,
            "note": None,
        }
    ]
    return {
        "application": "web",
        "exists": True,
        "current_revision": 3,
        "new_release": False,
        "digest": "sha256:x",
        "selector": "env in (prod,staging)",
        "current_selector": "env in (prod,staging)",
        "strategy": None,
        "clusters": [
            {
                "cluster": "cluster-1",
                "change": "stay",
                "current_revision": 3,
                "selected_now": True,
                "objects": [],
                "live": {"state": "answered", "reason": None, "objects": live_objects, "answered_at": None},
            },
            {
                "cluster": "ghost",
                "change": "enter",
                "current_revision": None,
                "selected_now": True,
                "objects": [],
                "live": {"state": "timeout", "reason": "no answer within 5s", "objects": [], "answered_at": None},
            },
            {"cluster": "cluster-9", "change": "none", "current_revision": None, "selected_now": False, "objects": []},
        ],
        "summary": {
            "changed": changed,
            "complete": complete,
            "clusters": {"enter": 1, "leave": 0, "stay": 1, "none": 1},
            "entering": ["ghost"],
            "leaving": [],
            "objects": {"added": 0, "removed": 0, "changed": 0},
            "live": {"answered": 1, "timeout": 1, "unreachable": 0, "error": 0},
            "live_changes": 1 if changed else 0,
        },
    }


def test_the_exit_status_says_whether_anything_changes() -> None:
    assert exit_status(answer(changed=True, complete=False)) == 1
    assert exit_status(answer(changed=False, complete=True)) == 0
    assert exit_status(answer(changed=False, complete=False)) == 2


def test_the_text_shows_each_reached_cluster_with_its_live_diff() -> None:
    text = diff_text(answer())
    lines = text.splitlines()
    assert lines[0] == "web: revision 3 (unchanged: no new release); selector env in (prod,staging)"
    assert "clusters: 1 enter, 0 leave, 1 stay, 1 not reached" in lines[1]
    assert "== cluster-1 (stay, revision 3): no changes" in lines
    assert "  live (answered): 1 changed" in lines
    assert "  ~ ConfigMap/shop/cfg (changed, live)" in lines
    assert "    +  GREETING: hello" in lines
    assert "  live: timeout: no answer within 5s" in lines
    assert "cluster-9" not in text


class Recorder:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def run(argv: list[str], recorder: Recorder, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = build_parser().parse_args(argv)
    client = HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(recorder))
    try:
        data, text = args.handler(client, args)
    except Exception as error:
        print(f"error: {error}")
        return getattr(args, "error_exit_code", 1), capsys.readouterr().out
    print(json.dumps(data) if args.output == "json" else text)
    return getattr(args, "exit_code", 0), capsys.readouterr().out


def test_diff_posts_the_manifests_and_exits_1_on_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "web.yaml"
    manifests.write_text("kind: ConfigMap\n")
    recorder = Recorder(200, answer())
    code, out = run(["diff", "web", "-f", str(manifests), "--live", "--timeout", "5", "-o", "json"], recorder, capsys)
    assert code == 1
    assert json.loads(out)["application"] == "web"
    (request,) = recorder.requests
    assert request.method == "POST" and request.url.path == "/api/v1/applications/web/diff"
    assert json.loads(request.content) == {"manifests": "kind: ConfigMap\n", "live": True, "timeout_seconds": 5.0}


def test_apply_dry_run_previews_instead_of_applying(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "web.yaml"
    manifests.write_text("kind: ConfigMap\n")
    recorder = Recorder(200, answer())
    argv = ["apply", "web", "-f", str(manifests), "--selector", "env=prod", "--strategy", "careful", "--dry-run"]
    code, out = run(argv, recorder, capsys)
    assert code == 0  # a preview that worked; only `diff` reports changes in its exit status
    assert out.startswith("web: revision 3")
    (request,) = recorder.requests
    assert request.method == "POST"
    assert json.loads(request.content)["selector"] == "env=prod"
    assert json.loads(request.content)["strategy"] == "careful"


def test_apply_without_dry_run_still_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "web.yaml"
    manifests.write_text("kind: ConfigMap\n")
    recorder = Recorder(200, {"id": "web", "revision": 4, "selector": "env=prod"})
    code, _out = run(["apply", "web", "-f", str(manifests), "--selector", "env=prod"], recorder, capsys)
    assert code == 0
    assert recorder.requests[0].method == "PUT"


def test_a_diff_that_fails_does_not_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "web.yaml"
    manifests.write_text("kind: ConfigMap\n")
    recorder = Recorder(422, {"detail": "invalid manifests: document 1: missing apiVersion", "errors": []})
    code, out = run(["diff", "web", "-f", str(manifests)], recorder, capsys)
    assert code == 2
    assert "missing apiVersion" in out


def test_the_error_exit_status_is_the_commands_own() -> None:
    args = build_parser().parse_args(["diff", "web", "-f", "/nonexistent/web.yaml"])
    assert commands.run(args) == 2
