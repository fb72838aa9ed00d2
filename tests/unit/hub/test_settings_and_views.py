from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.main import parse_args, settings_from
from hub.settings import HubSettings
from hub.store import models
from hub.views import deployment_fields, worth_showing

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_settings_from_the_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETCAST_HUB_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("FLEETCAST_HUB_RELAY_ENABLED", "false")
    monkeypatch.setenv("FLEETCAST_HUB_PORT", "9000")
    settings = settings_from(parse_args(["--port", "8181", "--database-url", "postgresql+asyncpg://h/db"]))
    assert (settings.kafka_bootstrap, settings.relay_enabled) == ("kafka:9092", False)
    # A flag beats the environment.
    assert (settings.port, settings.database_url) == (8181, "postgresql+asyncpg://h/db")


def test_defaults() -> None:
    settings = HubSettings()
    assert settings.database_url == "sqlite+aiosqlite:///./fleetcast-hub.db"
    assert (settings.unreachable_after_seconds, settings.relay_enabled, settings.report_group_id) == (
        30.0,
        True,
        "fleetcast-hub",
    )


def placement(active: bool) -> models.Placement:
    return models.Placement(
        cluster_id="c1", application_id="web", generation=3, active=active, revision=2, kind="bundle", updated_at=NOW
    )


def status(removed: bool) -> models.Status:
    return models.Status(
        cluster_id="c1",
        application_id="web",
        observed_generation=3,
        observed_revision=2,
        last_applied_revision=2,
        removed=removed,
        health="Ready",
        objects=[],
        images=["nginx:1"],
        errors=[],
        reported_at=NOW,
        received_at=NOW,
    )


def test_placed_but_never_reported_is_unknown_not_ready() -> None:
    fields = deployment_fields(placement(True), None)
    assert (fields["desired_revision"], fields["health"], fields["observed_revision"]) == (2, "Unknown", None)
    assert worth_showing(placement(True), None)


def test_a_removal_stays_visible_until_and_after_it_is_confirmed() -> None:
    assert not worth_showing(placement(False), None)
    in_progress = deployment_fields(placement(False), status(False))
    assert (in_progress["desired_state"], in_progress["desired_revision"], in_progress["removed"]) == (
        "absent",
        None,
        False,
    )
    assert deployment_fields(placement(False), status(True))["removed"] is True
