"""Talking to the hub over its HTTP API: a typed client, and the user commands of `fleetcast`."""
