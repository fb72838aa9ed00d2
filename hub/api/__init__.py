"""HTTP API v1: thin routers that call the services."""
