"""The drift index rows a report stands for, what changed between two reports, and the audit events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.drift.events import DRIFT_CORRECTED, DRIFT_DETECTED, audit_entries
from hub.drift.index import Corrected, Detected, DriftRow, ObjectKey, drift_rows, drifting_count, transitions
from hub.notifications.events import EVENT_TYPES, Event, pattern_problem, summary
from schemas.v1 import Health
from schemas.v1.drift import ObjectDrift
from schemas.v1.reports import ObjectRef, ObjectStatus, StatusReport

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def status(name: str, *, drift: ObjectDrift | None = None, corrections: int = 0) -> ObjectStatus:
    return ObjectStatus(
        ref=ObjectRef(api_version="apps/v1", kind="Deployment", name=name, namespace="default"),
        action="applied",
        health=Health.READY,
        drift=drift,
        corrections=corrections,
        last_correction=drift if corrections else None,
    )


def report(*objects: ObjectStatus, removed: bool = False) -> StatusReport:
    return StatusReport(
        cluster="c1",
        application="web",
        observed_generation=1,
        observed_revision=3,
        health=Health.READY,
        objects=list(objects),
        removed=removed,
        drift_mode="alert",
        time=T0,
    )


MODIFIED = ObjectDrift(kind="modified", fields=["spec.replicas"], managers=["kubectl-edit"], detected_at=T0)


def test_only_drifted_or_corrected_objects_make_rows() -> None:
    rows = drift_rows(report(status("a"), status("b", drift=MODIFIED), status("c", corrections=2)))
    assert [(r.object.name, r.drift, r.corrections) for r in rows] == [("b", "modified", 0), ("c", None, 2)]
    assert rows[0].fields == ("spec.replicas",)
    assert rows[0].managers == ("kubectl-edit",)
    assert rows[0].mode == "alert"
    assert rows[0].since == T0
    assert str(rows[0].object) == "Deployment/default/b"


def test_a_removed_application_has_no_rows() -> None:
    assert drift_rows(report(status("b", drift=MODIFIED), removed=True)) == []


def test_drifting_objects_are_counted_from_the_stored_status() -> None:
    stored = [o.model_dump(mode="json") for o in (status("a"), status("b", drift=MODIFIED), status("c", corrections=1))]
    assert drifting_count(stored) == 1


def row(name: str, *, drift: str | None = None, since: datetime | None = T0, corrections: int = 0) -> DriftRow:
    return DriftRow(
        object=ObjectKey("apps/v1", "Deployment", "default", name),
        drift=drift,
        fields=("spec.replicas",) if drift == "modified" else (),
        managers=("kubectl",) if drift else (),
        since=since if drift else None,
        mode="alert",
        corrections=corrections,
        last_correction={"kind": "modified", "fields": ["spec.replicas"]} if corrections else None,
    )


def test_an_object_that_starts_to_drift_is_detected_once() -> None:
    first = [row("a", drift="modified")]
    assert transitions([], first) == [Detected(first[0])]
    assert transitions(first, first) == []  # the same report again, or another report while it drifts
    again = [row("a", drift="modified", since=T0 + timedelta(minutes=5))]
    assert transitions(first, again) == [Detected(again[0])]  # another episode


def test_corrections_that_grew_are_reported_with_how_many() -> None:
    before = [row("a", corrections=1)]
    after = [row("a", corrections=3)]
    assert transitions(before, after) == [Corrected(after[0], 2)]
    assert transitions(after, after) == []
    # Counted anew by the spoke (it applied the object again): all of them are new.
    assert transitions(after, [row("a", corrections=1)]) == [Corrected(row("a", corrections=1), 1)]


rows_strategy = st.lists(
    st.builds(
        row,
        st.sampled_from(["a", "b", "c"]),
        drift=st.sampled_from([None, "modified", "deleted"]),
        since=st.sampled_from([T0, T0 + timedelta(seconds=1)]),
        corrections=st.integers(0, 5),
    ),
    max_size=3,
    unique_by=lambda r: r.object,
)


@given(rows_strategy, rows_strategy)
def test_transitions_are_about_the_new_rows_and_never_repeat(before: list[DriftRow], after: list[DriftRow]) -> None:
    happened = transitions(before, after)
    assert all(t.row in after for t in happened)
    assert all(t.added > 0 for t in happened if isinstance(t, Corrected))
    assert all(t.row.drift is not None for t in happened if isinstance(t, Detected))
    assert transitions(after, after) == []


def test_audit_entries_say_what_drifted_and_what_was_corrected() -> None:
    detected = Detected(row("a", drift="modified"))
    deleted = Detected(row("b", drift="deleted"))
    corrected = Corrected(row("c", corrections=2), 2)
    entries = audit_entries([detected, deleted, corrected])
    assert [e.action for e in entries] == [DRIFT_DETECTED, DRIFT_DETECTED, DRIFT_CORRECTED]
    assert entries[0].reason == "Deployment/default/a: changed spec.replicas by kubectl"
    assert entries[0].details["fields"] == ["spec.replicas"]
    assert entries[0].details["since"] == T0.isoformat()
    assert entries[1].reason == "Deployment/default/b: deleted by kubectl"
    assert entries[2].reason == "Deployment/default/c: re-applied 2 time(s) (spec.replicas)"
    assert entries[2].details["corrections"] == 2


def test_drift_events_are_in_the_notification_catalogue_with_a_readable_line() -> None:
    assert {DRIFT_DETECTED, DRIFT_CORRECTED} <= set(EVENT_TYPES)
    assert pattern_problem("drift.*") is None
    (entry,) = audit_entries([Detected(row("a", drift="modified"))])
    event = Event(
        id=1, type=entry.action, time=T0, actor="system:drift", application="web", cluster="c1", reason=entry.reason
    )
    assert summary(event) == "web on c1: drifted: Deployment/default/a: changed spec.replicas by kubectl"
