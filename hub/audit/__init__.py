"""The audit log: who did what, when, to which application or cluster. Append-only in the database."""
