"""Settings of notifications: FLEETCAST_HUB_NOTIFICATIONS__<NAME> (nested in the hub's settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NotificationSettings(BaseModel):
    enabled: bool = Field(
        default=True,
        description="Run the notifier, the deliverer and the cluster monitor. One per database: off on the other "
        "replicas (like the relay and the rollout driver).",
    )
    hub_url: str | None = Field(
        default=None,
        description="The hub's address as receivers should reach its API, for the links in notifications; "
        "default http://<host>:<port>.",
    )
    poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="Fallback look for new audit events and due deliveries; commits wake both."
    )
    settle_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a missing audit id may still commit (PostgreSQL hands out ids before commit) "
        "before the notifier's cursor moves past it.",
    )
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Audit events read per pass.")
    concurrency: int = Field(default=8, ge=1, le=256, description="Deliveries in flight at once.")
    per_receiver_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Deliveries in flight at once to one subscription: a slow one cannot take every slot.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Longest a receiver may take to answer.")
    max_attempts: int = Field(default=10, ge=1, le=100, description="Attempts before a delivery is failed.")
    backoff_initial_seconds: float = Field(default=2.0, gt=0, description="Wait before the first retry.")
    backoff_max_seconds: float = Field(default=600.0, gt=0, description="Longest wait between two attempts.")
    retention_days: float = Field(default=14.0, gt=0, description="Finished deliveries are kept this long.")
    retention_rows: int = Field(default=100_000, ge=100, description="At most this many finished deliveries kept.")
    monitor_interval_seconds: float = Field(
        default=2.0, gt=0, description="How often the cluster monitor compares cluster states."
    )
