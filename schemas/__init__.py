"""Fleetcast's wire contract: what the hub and the spokes say to each other through Kafka.

One module per schema version (`schemas.v1`). Hub and spoke import this package, never each other.
JSON Schema files for non-Python consumers are exported next to the models (`schemas/v1/jsonschema/`).
"""
