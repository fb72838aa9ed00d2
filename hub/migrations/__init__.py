"""Alembic migrations of the hub's store, applied programmatically at start (hub.store.database.migrate)."""
