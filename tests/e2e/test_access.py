"""Access through the command line: a deployer deploys but may not make tokens, the audit log shows the
release under the deployer's name, and a missing token is a 401 that says what to do."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import BOTH, image_for


def test_a_deployer_deploys_but_may_not_make_tokens_and_the_audit_log_names_it(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    made = fleet.cli_json("token", "create", f"ci-{app_name}", "--role", "deployer", "--expires-in", "1d")
    assert made["roles"] == ["deployer"] and made["expires_at"]
    deployer = made["token"]

    me = fleet.cli("whoami", "-o", "json", token=deployer)
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout) == {"name": f"ci-{app_name}", "roles": ["deployer"], "token_id": made["id"]}

    path = write(tmp_path / "v1.yaml", web_app(app_name, image_for(app_name, "1.0.0")))
    applied = fleet.cli("apply", app_name, "-f", str(path), "--selector", BOTH, "-o", "json", token=deployer)
    assert applied.returncode == 0, applied.stderr
    revision = json.loads(applied.stdout)["revision"]

    refused = fleet.cli("token", "create", "sneaky", "--role", "admin", token=deployer)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: 403: POST /api/v1/tokens needs the admin role; token ci-")
    assert "has roles deployer" in refused.stderr

    log = fleet.cli("audit", "--app", app_name, token=deployer)
    assert log.returncode == 0, log.stderr
    header, row = log.stdout.splitlines()[:2]
    assert header.split()[:4] == ["ID", "TIME", "ACTOR", "ACTION"]
    assert row.split()[2:6] == [f"ci-{app_name}", "release.created", app_name, "-"]
    events = fleet.cli_json("audit", "--app", app_name, "--since", "1h", "--action", "release.")
    assert [(e["actor"], e["revision"]) for e in events] == [(f"ci-{app_name}", revision)]

    revoked = fleet.cli("token", "revoke", made["id"])
    assert revoked.returncode == 0, revoked.stderr
    again = fleet.cli("clusters", token=deployer)
    assert again.returncode == 1 and "error: 401: token " in again.stderr and "was revoked" in again.stderr


def test_without_a_token_the_cli_says_how_to_get_one(fleet: Fleetcast) -> None:
    result = fleet.cli("clusters", token="")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: 401: missing bearer token: pass Authorization: Bearer <token> "
        "(the CLI reads FLEETCAST_TOKEN or ~/.config/fleetcast/config.yaml)"
    )
