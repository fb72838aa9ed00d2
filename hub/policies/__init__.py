"""Policies: CEL rules every rendered object must pass before anything is published (issue 9)."""
