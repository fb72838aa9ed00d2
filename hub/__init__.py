"""Fleetcast hub: API, store, outbox relay, report consumer."""
