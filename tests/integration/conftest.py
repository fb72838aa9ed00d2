"""Integration tests use the session's real fleet: the `local_fleet` fixture from `tests.fleet`."""

from tests.fleet import FleetCluster, RunningFleet

__all__ = ["FleetCluster", "RunningFleet"]
