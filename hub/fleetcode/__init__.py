"""The fleet as code: documents read from a directory (or a git tree), validated offline, and synced to
the hub so it matches them (docs/fleet-as-code.md)."""
