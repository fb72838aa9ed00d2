"""Helm charts as an application source: chart archives (pure), values with cluster facts, and the
renderer that runs a real Helm per cluster (the one I/O shell)."""
