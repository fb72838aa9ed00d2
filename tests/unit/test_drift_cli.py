"""fleetcast drift, drift-policy, events, describe, and apply's drift options: against a fake hub
(httpx's mock transport): what they send and what they print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.cli import build_parser
from hub.client.config import ClientSettings
from hub.client.drift import describe_text, parse_ignore_rule, policy_from_args, rule_text
from hub.client.http import HubClient, HubError

APP: dict[str, Any] = {
    "id": "web",
    "revision": 3,
    "selector": "",
    "drift": {"mode": "correct", "ignore": []},
    "clusters": [],
}


def test_ignore_rules_read_like_kubectl_selectors_and_keep_commas_inside_paths() -> None:
    rule = parse_ignore_rule(
        'kind=Service,name=web,path=spec.ports[port=80,protocol=TCP].nodePort,path=metadata.labels["a,b"]'
    )
    assert rule == {
        "kind": "Service",
        "name": "web",
        "paths": ["spec.ports[port=80,protocol=TCP].nodePort", 'metadata.labels["a,b"]'],
    }
    assert parse_ignore_rule(rule_text(rule)) == rule
    assert parse_ignore_rule("group=apps,namespace=n,paths=spec.replicas") == {
        "api_group": "apps",
        "namespace": "n",
        "paths": ["spec.replicas"],
    }


@pytest.mark.parametrize(
    ("text", "problem"), [("kind=Deployment", "no path="), ("colour=red,path=a", "unknown key"), ("path", "key=value")]
)
def test_bad_ignore_rules_are_named(text: str, problem: str) -> None:
    with pytest.raises(HubError, match=problem):
        parse_ignore_rule(text)


def test_policy_options_change_the_current_policy() -> None:
    current = {"mode": "correct", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}]}
    assert policy_from_args(current) is None
    assert policy_from_args(current, mode="alert") == {"mode": "alert", "ignore": current["ignore"]}
    added = policy_from_args(current, add_ignore=["kind=HorizontalPodAutoscaler,path=spec.minReplicas"])
    assert added is not None and len(added["ignore"]) == 2
    assert policy_from_args(current, clear_ignore=True) == {"mode": "correct", "ignore": []}
    replaced = policy_from_args(current, ignore=["path=metadata.annotations"])
    assert replaced == {"mode": "correct", "ignore": [{"paths": ["metadata.annotations"]}]}


def test_a_policy_file_may_hold_the_policy_or_a_drift_key(tmp_path: Path) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text("drift:\n  mode: alert\n  ignore:\n    - kind: Deployment\n      paths: [spec.replicas]\n")
    assert policy_from_args(None, file=str(file)) == {
        "mode": "alert",
        "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}],
    }
    file.write_text("- not a mapping\n")
    with pytest.raises(HubError, match="a drift policy is a mapping"):
        policy_from_args(None, file=str(file))


def run(argv: list[str], answer: dict[str, Any], status: int = 200) -> tuple[Any, str, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "GET" and request.url.path == "/api/v1/applications/web":
            return httpx.Response(200, json=APP)
        return httpx.Response(status, json=answer)

    args = build_parser().parse_args(argv)
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(handler)) as client:
        data, text = args.handler(client, args)
    return data, text, requests


def test_drift_policy_sets_the_mode_with_a_put_of_the_policy_alone() -> None:
    changed = APP | {
        "revision": 4,
        "drift": {"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}]},
    }
    _data, text, requests = run(
        ["drift-policy", "web", "--mode", "alert", "--ignore", "kind=Deployment,path=spec.replicas"], changed, 201
    )
    put = requests[-1]
    assert put.method == "PUT"
    assert json.loads(put.content) == {"drift": changed["drift"]}
    assert "new release 4" in text
    assert "mode: alert" in text
    assert "ignore: kind=Deployment,path=spec.replicas" in text


def test_drift_policy_without_options_shows_it() -> None:
    data, text, requests = run(["drift-policy", "web"], {})
    assert [r.method for r in requests] == ["GET"]
    assert data == APP["drift"]
    assert "mode: correct" in text and "ignore: -" in text


def test_apply_sends_the_drift_options(tmp_path: Path) -> None:
    manifests = tmp_path / "app.yaml"
    manifests.write_text("kind: ConfigMap\n")
    _data, _text, requests = run(
        [
            "apply",
            "web",
            "-f",
            str(manifests),
            "-l",
            "",
            "--drift-mode",
            "alert",
            "--drift-ignore",
            "path=spec.replicas",
        ],
        APP,
        201,
    )
    body = json.loads(requests[-1].content)
    assert body["drift"] == {"mode": "alert", "ignore": [{"paths": ["spec.replicas"]}]}
    _data, _text, requests = run(["apply", "web", "-f", str(manifests), "-l", ""], APP, 200)
    assert "drift" not in json.loads(requests[-1].content)


DRIFT_ROW = {
    "cluster": "c1",
    "application": "web",
    "object": "Deployment/default/web",
    "drift": "modified",
    "fields": ["spec.template.spec.containers[name=web].image"],
    "managers": ["kubectl-edit"],
    "since": "2026-11-22T12:00:00Z",
    "mode": "alert",
    "corrections": 0,
}


def test_drift_lists_objects_with_their_fields_and_follows_pages() -> None:
    pages = iter(
        [
            {"total": 2, "drifting": 1, "items": [DRIFT_ROW], "next_cursor": "abc"},
            {"total": 2, "drifting": 1, "items": [DRIFT_ROW | {"drift": None, "corrections": 3}], "next_cursor": None},
        ]
    )
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=next(pages))

    args = build_parser().parse_args(["drift", "web", "--cluster", "c1"])
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(handler)) as client:
        data, text = args.handler(client, args)
    assert dict(requests[0].url.params) == {"application": "web", "cluster": "c1", "limit": "100"}
    assert requests[1].url.params["cursor"] == "abc"
    assert len(data["items"]) == 2
    assert "1 object(s) drifting, 1 corrected before" in text
    assert "spec.template.spec.containers[name=web].image" in text
    assert "corrected" in text.splitlines()[-1]


def test_events_show_newest_first_and_say_what_was_dropped() -> None:
    body = {
        "application": "web",
        "dropped": 4,
        "items": [
            {
                "cluster": "c1",
                "object": "Deployment/default/web",
                "type": "Warning",
                "reason": "FailedCreate",
                "message": "quota\nexceeded",
                "count": 3,
                "last_time": "2026-11-22T12:00:00Z",
            }
        ],
    }
    _data, text, requests = run(["events", "web", "--type", "Warning", "--limit", "5"], body)
    assert dict(requests[0].url.params) == {"type": "Warning", "limit": "5"}
    assert "FailedCreate" in text and "quota exceeded" in text
    assert "4 event(s) not forwarded" in text


def test_describe_reads_like_kubectl_describe() -> None:
    text = describe_text(
        {
            "application": "web",
            "cluster": "c1",
            "revision": 3,
            "desired_revision": 3,
            "observed_revision": 3,
            "last_applied_revision": 3,
            "health": "Degraded",
            "reported_at": "2026-11-22T12:00:00Z",
            "drifted": 1,
            "errors": [],
            "events_dropped": 0,
            "objects": [
                {
                    "object": "Deployment/default/web",
                    "api_version": "apps/v1",
                    "health": "Degraded",
                    "message": "0 of 1 ready",
                    "action": "applied",
                    "error": None,
                    "conditions": [
                        {"type": "Available", "status": "False", "reason": "MinimumReplicas", "message": ""}
                    ],
                    "drift": {
                        "kind": "modified",
                        "fields": ["spec.replicas"],
                        "managers": ["kubectl"],
                        "detected_at": "2026-11-22T12:00:00Z",
                    },
                    "corrections": 0,
                    "events": [
                        {"type": "Warning", "reason": "FailedCreate", "last_time": "t", "count": 2, "message": "quota"}
                    ],
                }
            ],
        }
    )
    assert "Deployment/default/web (apps/v1)" in text
    assert "Drift:        modified: spec.replicas" in text
    assert "By:         kubectl" in text
    assert "Available  False" in text
    assert "FailedCreate" in text


def test_events_of_owned_objects_say_which_object_and_whose() -> None:
    body = {
        "application": "web",
        "dropped": 0,
        "items": [
            {
                "cluster": "c1",
                "object": "Pod/default/web-7d4b9-x2",
                "owner": "Deployment/default/web",
                "type": "Warning",
                "reason": "BackOff",
                "message": "Back-off restarting failed container",
                "count": 5,
                "last_time": "2026-11-22T12:00:00Z",
            }
        ],
    }
    _data, text, _requests = run(["events", "web"], body)
    assert "Pod/default/web-7d4b9-x2 (of Deployment/default/web)" in text
    section = {
        "object": "Deployment/default/web",
        "api_version": "apps/v1",
        "health": "Degraded",
        "events": [
            {
                "type": "Warning",
                "reason": "BackOff",
                "kind": "Pod",
                "name": "web-7d4b9-x2",
                "owner": "x",
                "count": 5,
                "last_time": "t",
                "message": "back-off",
            },
            {
                "type": "Warning",
                "reason": "ProgressDeadlineExceeded",
                "kind": "Deployment",
                "name": "web",
                "count": 1,
                "last_time": "t",
                "message": "too slow",
            },
        ],
    }
    text = describe_text({"application": "web", "cluster": "c1", "revision": 1, "objects": [section]})
    [head, pod_row, own_row] = [
        line.strip()
        for line in text.splitlines()
        if "BackOff" in line or "OBJECT" in line or "ProgressDeadline" in line
    ]
    assert head.split()[:3] == ["TYPE", "REASON", "OBJECT"]
    assert "Pod/web-7d4b9-x2" in pod_row and "Deployment/web" in own_row
