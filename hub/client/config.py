"""Where the command line finds the hub and its token: `FLEETCAST_HUB_URL` and `FLEETCAST_TOKEN`, else
the config file (`$FLEETCAST_CONFIG`, else `$XDG_CONFIG_HOME/fleetcast/config.yaml`, by default
`~/.config/fleetcast/config.yaml`) with the keys `hub_url` and `token`. The environment wins.

`fleetcast dev up` writes that file for its local hub, but only a file that does not exist yet or that it
wrote itself (marked by its first line): a file a person wrote is never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

DEV_MARKER = "# written by `fleetcast dev up` for its local hub; delete this line and dev up leaves the file alone"


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("FLEETCAST_CONFIG"):
        return Path(env["FLEETCAST_CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "fleetcast" / "config.yaml"


class ClientSettings(BaseSettings):
    """Arguments, then `FLEETCAST_*` environment variables, then the config file."""

    model_config = SettingsConfigDict(env_prefix="FLEETCAST_", extra="ignore")

    hub_url: str = "http://127.0.0.1:8080"
    token: str | None = None
    timeout: float = 30.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=config_path())


class ConfigError(RuntimeError):
    """The config file cannot be read; the message names it."""


def load_settings() -> ClientSettings:
    try:
        return ClientSettings()
    except (ValueError, yaml.YAMLError, OSError, TypeError, AttributeError) as error:  # ValidationError too
        raise ConfigError(
            f"cannot read the CLI config {config_path()} (a YAML mapping with hub_url and token): {error}"
        ) from error


def may_overwrite(existing: str | None) -> bool:
    """`dev up` may write the file when there is none, or when it wrote the one there."""
    return existing is None or existing.startswith(DEV_MARKER)


def dev_config_text(hub_url: str, token: str) -> str:
    return f"{DEV_MARKER}\n" + yaml.safe_dump({"hub_url": hub_url, "token": token}, sort_keys=False)
