"""What a receiver gets: the versioned JSON document (valid against its exported JSON Schema's model),
with the plan and the diff for an approval request; or a Slack message saying the same, cut to fit."""

from __future__ import annotations

import json

from hub.notifications.events import Event
from hub.notifications.payloads import DIFF_LIMIT, SLACK_TEXT_LIMIT, body, links, notification, plan_of, slack_message
from hub.notifications.spec import Format
from hub.rollouts.views import RolloutOut, RunRecord, rollout_view
from schemas.v1.notifications import Notification
from tests.unit.hub.rollouts.builders import T0, Driver, at, planned, strategy

HUB = "https://fleet.example.com"
THREE = {"staging-1": {"env": "staging"}, "prod-1": {"env": "prod"}, "prod-2": {"env": "prod"}, "lab": {"env": "lab"}}


def waiting_for_prod() -> RolloutOut:
    spec = strategy(
        [
            {"name": "staging", "selector": "env=staging"},
            {"name": "prod", "selector": "env=prod", "before": [{"approval": {"role": "approver"}}]},
        ],
        unmatched="skip",
    )
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.healthy("staging-1", since=at(1))
    driver.step(at(2))
    record = RunRecord("careful", 2, T0, "dana", T0, None, None, None)
    return rollout_view(driver.run, record, spec, list(driver.targets.values()), driver.observations, [], at(60))


APPROVAL = Event(
    id=41,
    type="rollout.approval-requested",
    time=T0,
    actor="system:rollouts",
    application="web",
    strategy="careful",
    run_id=1,
    revision=7,
    digest="sha256:abc",
    details={"wave": "prod", "phase": "before", "gate": 0, "role": "approver"},
)


def test_an_approval_request_carries_the_plan_and_who_may_approve() -> None:
    plan = plan_of(waiting_for_prod(), APPROVAL)
    assert [(w.name, w.clusters) for w in plan.waves] == [("staging", ["staging-1"]), ("prod", ["prod-1", "prod-2"])]
    assert plan.waves[0].state == "passed"
    assert plan.waves[1].gates == ["before: approval by role approver (open)"]
    assert plan.skipped == ["lab"]
    assert plan.approvers == "role approver (or admin)"
    assert plan.approve_command == "fleetcast rollout approve web --wave prod --revision 7"
    assert plan.waiting_for is not None and plan.waiting_for.startswith("approval by role approver before wave prod")


def test_the_json_document_is_versioned_and_links_to_the_api() -> None:
    diff = "revision 6 -> 7: 1 object(s) changed, 0 added, 0 removed\n~ Deployment.apps shop/web"
    note = notification(APPROVAL, 3, HUB, plan_of(waiting_for_prod(), APPROVAL), diff)
    document = json.loads(body(note, Format.JSON))
    assert document["type"] == "fleetcast.notification" and document["schema_version"] == "v1"
    assert (document["id"], document["event"], document["subscription"]) == (41, "rollout.approval-requested", 3)
    assert document["summary"] == "web revision 7: approval by role approver needed before wave prod"
    assert (document["application"], document["run"], document["revision"]) == ("web", 1, 7)
    assert document["diff"] == diff and document["diff_truncated"] is False
    assert document["plan"]["waves"][1]["clusters"] == ["prod-1", "prod-2"]
    assert document["links"]["rollout"] == f"{HUB}/api/v1/applications/web/rollout?run=1"
    assert document["links"]["audit"] == f"{HUB}/api/v1/audit?before=42&limit=1"
    assert Notification.model_validate(document) == note  # what receivers parse is what was sent


def test_a_huge_diff_is_cut_and_says_so() -> None:
    diff = "\n".join(f"    spec.data.key{i}: 1 -> 2" for i in range(20_000))
    note = notification(APPROVAL, 3, HUB, None, diff)
    assert note.diff is not None and len(note.diff) <= DIFF_LIMIT and note.diff_truncated
    assert note.diff.endswith("more line(s) left out)")


def test_slack_gets_text_and_blocks_with_the_plan_and_a_code_block() -> None:
    diff = "\n".join(f"~ ConfigMap ns/cm-{i}\n    data.x: 1 -> <2>" for i in range(500))
    note = notification(APPROVAL, 3, HUB, plan_of(waiting_for_prod(), APPROVAL), diff)
    message = json.loads(body(note, Format.SLACK))
    assert message == slack_message(note)
    assert message["text"] == note.summary
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert texts[0] == f"*{note.summary}*"
    assert "*prod* (in progress): prod-1, prod-2" in texts[1]
    assert "Approve with: `fleetcast rollout approve web --wave prod --revision 7`" in texts[1]
    assert texts[2].startswith("*What changes*\n```") and texts[2].endswith("```")
    assert "&lt;2&gt;" in texts[2]  # mrkdwn control characters escaped
    assert "more line(s) left out" in texts[2]
    assert all(len(text) <= SLACK_TEXT_LIMIT for text in texts)
    context = message["blocks"][-1]["elements"][0]["text"]
    assert f"<{HUB}/api/v1/applications/web/rollout?run=1|rollout>" in context


def test_events_without_an_application_link_to_what_they_are_about() -> None:
    event = Event(id=5, type="cluster.unreachable", time=T0, actor="system:hub", cluster="edge-7")
    assert links(HUB + "/", event) == {
        "audit": f"{HUB}/api/v1/audit?before=6&limit=1",
        "cluster": f"{HUB}/api/v1/clusters/edge-7",
    }
    test = Event(id=None, type="notification.test", time=T0, actor="dana", details={"subscription": 3})
    assert links(HUB, test) == {}
    assert json.loads(body(notification(test, 3, HUB), Format.JSON))["id"] is None
