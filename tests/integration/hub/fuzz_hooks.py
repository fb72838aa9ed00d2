"""Schemathesis hooks for tests/integration/hub/test_openapi_fuzz.py (loaded by `st run` through
SCHEMATHESIS_HOOKS): every request carries a valid admin token.

The fuzzer may well revoke the very token it uses (it lists tokens, then deletes one). When the hub then
answers 401, schemathesis asks this provider again, and it makes a fresh admin token the way an operator
does, on the hub's database (`fleetcast hub token create`): never through the API, whose tokens the
fuzzer can revoke too."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from tests.tokens import bootstrap_token

# Set by the test (which does not import this module: that would register the provider in pytest).
DATABASE_URL = "FLEETCAST_FUZZ_DATABASE_URL"
FIRST_TOKEN = "FLEETCAST_FUZZ_TOKEN"


@schemathesis.auth(refresh_interval=3600)
class AdminToken:
    def __init__(self) -> None:
        self._first_used = False

    def get(self, case: Any, context: Any) -> str:
        if not self._first_used:
            self._first_used = True
            return os.environ[FIRST_TOKEN]
        return bootstrap_token(os.environ[DATABASE_URL], "fuzzer")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
