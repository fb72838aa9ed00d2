"""The first admin token of a hub that runs as a process, made as an operator makes it: with
`fleetcast hub token create` on the hub's database."""

from __future__ import annotations

import json
import subprocess
import sys


def bootstrap_token(database_url: str, name: str = "admin", *roles: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "hub", "token", "create", "--name", name, "--database-url", database_url]
        + [f"--role={role}" for role in roles or ("admin",)]
        + ["-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token: str = json.loads(result.stdout)["token"]
    return token
