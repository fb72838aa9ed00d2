"""Fleetcast spoke: the per-cluster agent that applies desired state and reports back."""
