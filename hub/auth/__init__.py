"""API authentication: bearer tokens (only a hash of the secret is stored) and the roles they carry."""
