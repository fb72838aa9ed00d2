"""Templates on the real fleet: a platform engineer publishes the documented example through the CLI,
operators list and read it; an operator's application from it is refused (422, nothing published) for a
value outside the allowed set and for overriding a locked value."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import httpx

from tests.e2e.conftest import Fleetcast

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/templates/web-service"


def example_template(tmp_path: Path) -> tuple[str, Path]:
    """The documented web-service template under a name of this test's own."""
    name = f"web-{uuid.uuid4().hex[:6]}"
    directory = tmp_path / "template"
    shutil.copytree(EXAMPLE, directory)
    path = directory / "template.yaml"
    path.write_text(path.read_text().replace("name: web-service", f"name: {name}"))
    return name, path


def test_a_platform_engineer_publishes_and_anyone_reads(fleet: Fleetcast, tmp_path: Path) -> None:
    name, path = example_template(tmp_path)
    platform = fleet.cli_json("token", "create", f"platform-{name}", "--role", "platform")["token"]
    deployer = fleet.cli_json("token", "create", f"operator-{name}", "--role", "deployer")["token"]

    refused = fleet.cli("template", "publish", "-f", str(path), token=deployer)
    assert refused.returncode == 1
    assert f"error: 403: PUT /api/v1/templates/{name} needs the platform role" in refused.stderr

    published = fleet.cli("template", "publish", "-f", str(path), token=platform)
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == f"template {name}: revision 1 (published)"
    again = fleet.cli("template", "publish", "-f", str(path), "-o", "json", token=platform)
    assert again.returncode == 0, again.stderr
    assert [t["revision"] for t in json.loads(again.stdout)] == [1]

    listed = fleet.cli("template", "list", "-o", "json", token=deployer)
    assert listed.returncode == 0, listed.stderr
    mine = [t for t in json.loads(listed.stdout) if t["name"] == name]
    assert [p["name"] for p in mine[0]["parameters"]] == ["image", "size", "replicas", "port"]

    shown = fleet.cli("template", "show", name, token=deployer)
    assert shown.returncode == 0, shown.stderr
    assert f"template {name} revision 1 of 1, published by platform-{name}" in shown.stdout
    assert "one of small, medium, large" in shown.stdout and "runAsNonRoot: true" in shown.stdout
    detail = fleet.cli_json("template", "show", name, "--revision", "1")
    assert detail["cluster_overridable"] == ["replicas"]
    assert detail["source"]["kind"] == "manifests"

    removed = fleet.cli("template", "rm", name, token=platform)
    assert removed.returncode == 0, removed.stderr
    gone = fleet.cli("template", "show", name)
    assert gone.returncode == 1 and f"template {name} does not exist" in gone.stderr


def test_an_operator_is_refused_a_value_outside_the_allowed_set_and_a_locked_value(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    name, path = example_template(tmp_path)
    published = fleet.cli("template", "publish", "-f", str(path))
    assert published.returncode == 0, published.stderr
    operator = fleet.cli_json("token", "create", f"operator-{app_name}", "--role", "deployer")["token"]
    body = {
        "selector": "env=prod",
        "template": name,
        "values": {
            "image": "registry.example.com/shop/web:1.4.2",
            "size": "huge",
            "securityContext": {"runAsNonRoot": False},
        },
        "cluster_values": [{"selector": "env=prod", "values": {"port": 9090}}],
    }
    headers = {"Authorization": f"Bearer {operator}"}
    with httpx.Client(base_url=fleet.hub_url, headers=headers, timeout=60) as client:
        refused = client.put(f"/api/v1/applications/{app_name}", json=body)
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert any(
            "parameter size: 'huge' is not allowed; allowed values: small, medium, large" in e for e in errors
        ), errors
        assert any(
            f"parameter securityContext.runAsNonRoot is locked by template {name} (value: true)" in e for e in errors
        ), errors
        assert any(
            f"parameter port may not be overridden per cluster; template {name} allows: replicas" in e for e in errors
        ), errors
        # Nothing was published: the application does not exist.
        assert client.get(f"/api/v1/applications/{app_name}").status_code == 404

        body["values"] = {"image": "registry.example.com/shop/web:1.4.2", "size": "medium"}
        body["cluster_values"] = [{"selector": "env=prod", "values": {"replicas": 4}}]
        accepted = client.put(f"/api/v1/applications/{app_name}", json=body)
        assert accepted.status_code in (200, 201), accepted.text
        client.delete(f"/api/v1/applications/{app_name}")
