"""Notifications end to end, through `fleetcast notify`, on the real fleet (hub and spokes as processes):
a webhook receiver started by the test sees the approval request, signed, with the plan and the diff,
before the production wave is dispatched; a Slack-format subscription for production clusters gets the
same request as a Slack message; the delivery log, a test notification and removal through the CLI."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import deployment_available
from tests.e2e.test_staged_rollouts import (
    PROD,
    audit,
    baseline,
    desired,
    release,
    strategy,
    times,
    token,
    until,
    waves,
)
from tests.waiting import eventually


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime

    @property
    def event(self) -> str:
        return self.headers["x-fleetcast-event"]

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def signed_with(self, secret: str) -> bool:
        timestamp, signature = self.headers[TIMESTAMP_HEADER.lower()], self.headers[SIGNATURE_HEADER.lower()]
        return verify(secret.encode(), timestamp, signature, self.body, now=time.time(), tolerance=300) == ""


@dataclass
class Webhook:
    base: str
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def received(self, path: str, event: str | None = None) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.path == path and (event is None or d.event == event)]


@contextmanager
def webhook() -> Iterator[Webhook]:
    """A real HTTP server on a free port, in a thread: records every POST and answers 204."""
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with hook.lock:
                hook.deliveries.append(Delivery(self.path, headers, body, datetime.now(UTC)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_sees_the_approval_request_before_the_production_wave(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    old = baseline(fleet, app_name, tmp_path)
    secret = f"e2e-secret-for-{app_name}-0123456789"
    secret_file = tmp_path / "webhook.secret"
    secret_file.write_text(secret + "\n")
    spec = {
        "waves": waves(
            staging={"minHealthy": "2s", "progressDeadline": "2m"},
            canary={"minHealthy": "2s", "progressDeadline": "2m"},
            prod={"minHealthy": "1s", "progressDeadline": "2m", "before": [{"approval": {"role": "approver"}}]},
        )
    }
    strategy(fleet, tmp_path, f"gated-{app_name}", spec)

    with webhook() as hook:
        team = fleet.cli_json(
            "notify", "add", hook.url("/team"), "--event", "rollout.*", "--app", app_name,
            "--secret-file", str(secret_file), "--description", "the web team",
        )  # fmt: skip
        assert team["secret"] is None and team["applications"] == [app_name]
        added = fleet.cli(
            "notify", "add", hook.url("/chat/T1/B2/XYZ"), "--event", "rollout.approval-requested",
            "--app", app_name, "--selector", "ring=prod", "--format", "slack",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "it is shown only now" in added.stdout
        chat_secret = added.stdout.split("it is shown only now:\n", 1)[1].split()[0]
        chat = next(s for s in fleet.cli_json("notify", "list") if s["url"] == f"{hook.base}/chat/***")

        new = release(fleet, app_name, tmp_path, "1.0.1", f"gated-{app_name}")
        [asked] = eventually(
            lambda: hook.received("/team", "rollout.approval-requested"), "the approval request", timeout=180
        )
        # Production has not been touched when the request arrives: still the baseline, nothing dispatched.
        status = until(fleet, app_name, "waiting-for-approval")
        assert desired(fleet, app_name) == {"cluster-1": 2, "cluster-2": 1, "cluster-3": 2, "cluster-4": 1}
        for cluster in PROD:
            assert deployment_available(fleet, cluster, app_name, old)

        assert asked.signed_with(secret)
        note = asked.document
        assert note["summary"] == f"{app_name} revision 2: approval by role approver needed before wave prod"
        assert (note["run"], note["revision"]) == (status["id"], 2)
        plan = note["plan"]
        assert {w["name"]: sorted(w["clusters"]) for w in plan["waves"]} == {
            "staging": ["cluster-1"],
            "canary": ["cluster-3"],
            "prod": sorted(PROD),
        }
        assert {w["name"]: w["state"] for w in plan["waves"]} == {
            "staging": "passed",
            "canary": "passed",
            "prod": "in progress",
        }
        assert plan["approve_command"] == f"fleetcast rollout approve {app_name} --wave prod --revision 2"
        assert f"-      - image: {old}" in note["diff"] and f"+      - image: {new}" in note["diff"]

        [message] = eventually(lambda: hook.received("/chat/T1/B2/XYZ"), "the Slack message", timeout=60)
        assert message.signed_with(chat_secret) and message.event == "rollout.approval-requested"
        slack = message.document
        assert slack["text"] == note["summary"]
        sections = [b["text"]["text"] for b in slack["blocks"] if b["type"] == "section"]
        assert any("Approve with: `fleetcast rollout approve" in text for text in sections)

        approved = fleet.cli(
            "rollout", "approve", app_name, "--wave", "prod", "--revision", "2",
            token=token(fleet, f"appr-{app_name}", "approver"),
        )  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        until(fleet, app_name, "succeeded", timeout=180)
        eventually(lambda: hook.received("/team", "rollout.succeeded"), "rollout.succeeded delivered", timeout=60)
        for cluster in PROD:
            eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")

        # The audit log agrees: the request reached the receiver before either production cluster was dispatched.
        entries = audit(fleet, app_name)
        dispatched = times(entries, "rollout.dispatched", status["id"])
        assert asked.received_at < min(dispatched[c] for c in PROD)

        # The delivery log, through the CLI.
        log = fleet.cli_json("notify", "log", "--subscription", str(team["id"]))
        events = {d["event"] for d in log}
        assert {"rollout.started", "rollout.approval-requested", "rollout.approved", "rollout.succeeded"} <= events
        assert all(d["status"] == "delivered" and d["response_status"] == 204 for d in log)
        table = fleet.cli("notify", "log", "--subscription", str(team["id"]), "--status", "delivered")
        assert table.returncode == 0 and "rollout.approval-requested" in table.stdout

        tested = fleet.cli_json("notify", "test", str(team["id"]))
        [test] = eventually(lambda: hook.received("/team", "notification.test"), "the test notification", timeout=60)
        assert test.signed_with(secret) and test.headers["x-fleetcast-delivery"] == str(tested["id"])

        for subscription in (team, chat):
            removed = fleet.cli("notify", "rm", str(subscription["id"]))
            assert removed.returncode == 0, removed.stderr
        remaining = {s["id"] for s in fleet.cli_json("notify", "list")}
        assert team["id"] not in remaining and chat["id"] not in remaining
