"""Reporter: a report per change (not per timestamp), debounced re-reports on watch events, per-object
extras from its provider, and a failed send is retried at the next change."""

from __future__ import annotations

import asyncio

from schemas.v1 import Condition, Health, ObjectDrift, ObjectRef, StatusReport, decode_report
from spoke.controllers.reporter import Reporter
from spoke.controllers.state import AppState, AppStates
from spoke.objects import APPLICATION_LABEL
from spoke.reconciler import Outcome
from spoke.reports import ObjectExtras, ObjectOutcome
from tests.unit.spoke.controllers.fakes import CLUSTER, NOW, FakeSender, bundle, metrics, ref, sample
from tests.waiting import eventually_async


def reporter(sender: FakeSender, states: AppStates, live: dict[ObjectRef, dict[str, object]]) -> Reporter:
    def extras(application: str, r: ObjectRef) -> ObjectExtras | None:
        if r == ref("a"):
            return ObjectExtras(conditions=(Condition(type="Ready", status="True"),), corrections=2)
        return None

    return Reporter(CLUSTER, states, live.get, sender, metrics(), debounce=0.01, clock=lambda: NOW, extras=extras)


def applied(states: AppStates) -> None:
    outcome = Outcome("a", bundle("a"), [ObjectOutcome(ref("a"), "applied")])
    states.set("a", AppState(outcome, 1))


def reports(sender: FakeSender) -> list[StatusReport]:
    out = []
    for _topic, _key, value in sender.sent:
        assert value is not None
        data = decode_report(value).data
        assert isinstance(data, StatusReport)
        out.append(data)
    return out


async def test_a_report_is_sent_once_per_change_with_the_extras() -> None:
    sender, states = FakeSender(), AppStates()
    live: dict[ObjectRef, dict[str, object]] = {ref("a"): {"kind": "ConfigMap", "metadata": {"name": "a"}}}
    report = reporter(sender, states, live)
    applied(states)
    await report.report("a")
    await report.report("a")  # nothing changed
    sent = reports(sender)
    assert len(sent) == 1 and sent[0].health is Health.READY and sent[0].cluster == CLUSTER
    assert sent[0].objects[0].corrections == 2 and sent[0].objects[0].conditions[0].type == "Ready"
    assert sample(report.metrics, "fleetcast_spoke_reports_total", type="status") == 1


async def test_a_burst_of_watch_events_makes_one_report() -> None:
    sender, states = FakeSender(), AppStates()
    live: dict[ObjectRef, dict[str, object]] = {}
    report = reporter(sender, states, live)
    applied(states)
    obj = {"kind": "ConfigMap", "metadata": {"name": "a", "labels": {APPLICATION_LABEL: "a"}}}
    for _ in range(5):
        report.on_event("MODIFIED", obj)
    report.on_event("MODIFIED", {"metadata": {"name": "x", "labels": {APPLICATION_LABEL: "unknown"}}})
    await eventually_async(lambda: asyncio.sleep(0, bool(sender.sent)), timeout=10, what="a report", interval=0.01)
    await asyncio.sleep(0.05)  # no further report comes of the burst
    assert len(sender.sent) == 1
    await report.close()


async def test_a_failed_send_is_not_taken_as_sent() -> None:
    sender, states = FakeSender(failing=True), AppStates()
    report = reporter(sender, states, {})
    applied(states)
    await report.report("a")
    assert report.sent == {}
    sender.failing = False
    await report.report("a")
    assert len(sender.sent) == 1


async def test_extras_added_later_are_merged_with_the_first() -> None:
    sender, states = FakeSender(), AppStates()
    report = reporter(sender, states, {})
    applied(states)
    drift = ObjectDrift(kind="modified", fields=["spec.replicas"], detected_at=NOW)
    report.add_extras(lambda _app, r: ObjectExtras(drift=drift) if r == ref("a") else None)
    status = report.status_of("a")
    assert status is not None
    one = status.objects[0]
    assert one.drift == drift and one.corrections == 2 and one.conditions[0].type == "Ready"
