"""Fleetcast wire contract (v1): events, topics and keys shared by hub and spoke."""
