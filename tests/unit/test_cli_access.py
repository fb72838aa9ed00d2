"""The access side of the command line: where the token comes from, what is sent, how the commands parse
their arguments, and how `dev up` decides whether it may write the config file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from deploy.cli import build_parser
from hub.auth.bootstrap import parse_args as bootstrap_args
from hub.client.access import details_text, since_time, token_state
from hub.client.config import DEV_MARKER, ConfigError, config_path, dev_config_text, load_settings, may_overwrite
from hub.client.http import HubClient, HubError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_the_config_file_is_found_by_flag_then_xdg_then_home() -> None:
    assert config_path({"FLEETCAST_CONFIG": "/etc/fc.yaml", "XDG_CONFIG_HOME": "/x"}) == Path("/etc/fc.yaml")
    assert config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/fleetcast/config.yaml")
    assert config_path({}) == Path.home() / ".config" / "fleetcast" / "config.yaml"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.yaml"
    monkeypatch.setenv("FLEETCAST_CONFIG", str(path))
    monkeypatch.delenv("FLEETCAST_TOKEN", raising=False)
    monkeypatch.delenv("FLEETCAST_HUB_URL", raising=False)
    return path


def test_settings_come_from_the_file_and_the_environment_wins(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().hub_url, load_settings().token) == ("http://127.0.0.1:8080", None)  # no file: defaults
    config.write_text("hub_url: http://hub.example:8080\ntoken: fct_from_file\n")
    assert (load_settings().hub_url, load_settings().token) == ("http://hub.example:8080", "fct_from_file")
    monkeypatch.setenv("FLEETCAST_TOKEN", "fct_from_env")
    assert (load_settings().hub_url, load_settings().token) == ("http://hub.example:8080", "fct_from_env")


@pytest.mark.parametrize("text", ["- a list\n", "token: [unclosed\n", "timeout: soon\n"])
def test_an_unreadable_config_file_is_an_error_naming_it(config: Path, text: str) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError, match=rf"cannot read the CLI config {config}"):
        load_settings()


def test_dev_up_overwrites_only_a_config_it_wrote() -> None:
    written = dev_config_text("http://127.0.0.1:8080", "fct_abc")
    assert written.startswith(DEV_MARKER)
    assert yaml.safe_load(written) == {"hub_url": "http://127.0.0.1:8080", "token": "fct_abc"}
    assert may_overwrite(None)
    assert may_overwrite(written)
    assert not may_overwrite("hub_url: https://hub.prod\ntoken: fct_mine\n")
    assert not may_overwrite("")


def test_the_client_sends_the_token_and_reports_a_refusal_like_any_error(config: Path) -> None:
    seen: list[str | None] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(
            403, json={"detail": "POST /api/v1/tokens needs the admin role; token ci has roles deployer"}
        )

    config.write_text("token: fct_0123456789ab_secret\n")
    with HubClient(load_settings(), transport=httpx.MockTransport(hub)) as client, pytest.raises(HubError) as error:
        client.create_token("x", ["viewer"])
    assert seen == ["Bearer fct_0123456789ab_secret"]
    assert (error.value.status, str(error.value)) == (
        403,
        "403: POST /api/v1/tokens needs the admin role; token ci has roles deployer",
    )


def test_without_a_token_no_header_is_sent(config: Path) -> None:
    seen: list[str | None] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={"name": "x", "roles": [], "token_id": None})

    with HubClient(load_settings(), transport=httpx.MockTransport(hub)) as client:
        client.whoami()
    assert seen == [None]


def test_since_is_a_duration_back_from_now_or_an_iso_time() -> None:
    assert since_time("1h", NOW) == NOW - timedelta(hours=1)
    assert since_time("30m", NOW) == NOW - timedelta(minutes=30)
    assert since_time("2026-11-22T10:00:00Z", NOW) == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert since_time("2026-11-22T10:00:00", NOW) == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with pytest.raises(HubError, match="invalid time 'yesterday': use a duration back from now"):
        since_time("yesterday", NOW)


def test_a_token_is_active_revoked_or_expired() -> None:
    assert token_state({"revoked_at": None, "expires_at": None}, NOW) == "active"
    assert token_state({"revoked_at": None, "expires_at": "2026-11-23T00:00:00Z"}, NOW) == "active"
    assert token_state({"revoked_at": None, "expires_at": "2026-11-22T11:00:00Z"}, NOW) == "expired"
    assert token_state({"revoked_at": "2026-11-22T11:00:00Z", "expires_at": None}, NOW) == "revoked"


def test_audit_details_are_one_line_cut_to_the_width() -> None:
    event = {"reason": "health gate failed", "details": {"selector": "env=prod", "old": {"env": "a"}}}
    assert details_text(event) == 'reason=health gate failed selector=env=prod old={"env":"a"}'
    assert details_text({"details": {"k": "v" * 100}}, width=20) == "k=" + "v" * 17 + "…"


def test_the_command_line_knows_the_access_commands() -> None:
    parser = build_parser()
    create = parser.parse_args(
        ["token", "create", "ci", "--role", "deployer", "--role", "prod-approver", "--expires-in", "30d"]
    )
    assert (create.name, create.role, create.expires_in, create.output) == (
        "ci",
        ["deployer", "prod-approver"],
        "30d",
        "table",
    )
    assert parser.parse_args(["token", "list", "-o", "json"]).output == "json"
    assert parser.parse_args(["token", "revoke", "0123456789ab"]).id == "0123456789ab"
    assert parser.parse_args(["whoami"]).command == "whoami"
    audit = parser.parse_args(["audit", "--app", "web", "--since", "1h", "--action", "rollout.", "--limit", "5"])
    assert (audit.app, audit.since, audit.action, audit.limit) == ("web", "1h", "rollout.", 5)


def test_the_bootstrap_command_parses_its_arguments() -> None:
    args = bootstrap_args(
        ["create", "--name", "admin", "--role", "admin", "--database-url", "sqlite+aiosqlite:///x.db", "-o", "json"]
    )
    assert (args.name, args.role, args.database_url, args.output, args.expires_in) == (
        "admin",
        ["admin"],
        "sqlite+aiosqlite:///x.db",
        "json",
        None,
    )
