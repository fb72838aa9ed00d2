"""Services: what the API and the report consumer do, one database transaction at a time."""
