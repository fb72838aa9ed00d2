"""What ingest keeps for the health gate: since when a report says what it says, the last healthy
revision, since when heartbeats have been gap-free, and when a cluster becomes reachable again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.ingest import HealthFacts, became_reachable, health_facts, health_since, last_healthy_revision, reachable_since

T0 = datetime(2026, 11, 22, 12, tzinfo=UTC)
U = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def facts(health: str = "Ready", generation: int = 3, revision: int = 2, applied: int | None = 2) -> HealthFacts:
    return HealthFacts(generation, revision, applied, health, (), False)


def test_object_errors_count_as_errors_naming_the_object() -> None:
    objects = [
        {"ref": {"kind": "Deployment", "name": "web", "namespace": "shop"}, "error": "422: bad replicas"},
        {"ref": {"kind": "Service", "name": "web", "namespace": "shop"}, "error": None},
    ]
    result = health_facts(3, 2, None, "Degraded", ["reconcile failed"], objects, False)
    assert result.errors == ("reconcile failed", "Deployment/shop/web: 422: bad replicas")


def test_an_unchanged_report_keeps_its_since_and_any_change_restarts_it() -> None:
    assert health_since(None, None, facts(), at(5)) == at(5)
    assert health_since(facts(), at(5), facts(), at(60)) == at(5)  # re-delivered or re-timed
    assert health_since(facts(), at(5), facts("Progressing"), at(60)) == at(60)
    assert health_since(facts(), at(5), facts(generation=4), at(61)) == at(61)


def test_the_last_healthy_revision_moves_only_on_a_clean_ready_report() -> None:
    assert last_healthy_revision(facts(), None) == 2
    assert last_healthy_revision(facts("Progressing", revision=3, applied=3), 2) == 2
    assert last_healthy_revision(facts(revision=3, applied=2), 2) == 2  # revision 3 not applied yet
    assert last_healthy_revision(HealthFacts(4, 3, 3, "Ready", ("boom",), False), 2) == 2
    assert last_healthy_revision(HealthFacts(5, 3, 3, "Ready", (), True), 2) == 2  # removed


def test_reachable_since_restarts_after_a_gap_longer_than_the_threshold() -> None:
    assert reachable_since(None, None, at(0), U) == at(0)
    assert reachable_since(at(0), at(0), at(10), U) == at(0)
    assert reachable_since(at(10), at(0), at(40), U) == at(0)  # 30 s apart: still no gap
    assert reachable_since(at(40), at(0), at(71), U) == at(71)


def test_reachable_again_on_the_hubs_clock_also_after_the_hubs_own_absence() -> None:
    # the cluster was silent and speaks again
    assert became_reachable(at(0), at(100), at(100), U)
    # a fresh heartbeat after a fresh one changes nothing
    assert not became_reachable(at(90), at(100), at(100), U)
    # a restarted hub catching up: heartbeats sent while it was down are old when it reads them; only
    # the one that makes the cluster fresh again counts
    assert not became_reachable(at(0), at(50), at(100), U)
    assert became_reachable(at(50), at(90), at(100), U)
    assert became_reachable(None, at(100), at(100), U)
