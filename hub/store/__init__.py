"""The hub's store: SQLAlchemy 2 async models on SQLite (default) or PostgreSQL, migrated by Alembic."""
