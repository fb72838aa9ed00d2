"""`fleetcast dev tools helm`: the pinned Helm's path from the cache, for CI and offline use. The cache
here is a temporary one holding a finished entry, so nothing is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.cli import build_parser, main
from deploy.local.settings import DevSettings


@pytest.fixture
def cached_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLEETCAST_DEV_CACHE_DIR", str(tmp_path))
    entry = tmp_path / "bin" / f"helm-{DevSettings().helm_version}"
    entry.mkdir(parents=True)
    (entry / "helm").write_text("#!/bin/sh\n")
    (entry / ".complete").write_text("done\n")
    return entry / "helm"


def test_the_parser_knows_dev_tools() -> None:
    args = build_parser().parse_args(["dev", "tools", "helm", "-o", "json"])
    assert (args.command, args.dev_command, args.tool, args.output) == ("dev", "tools", "helm", "json")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["dev", "tools", "kubectl"])


def test_prints_the_cached_path(cached_helm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "tools", "helm"]) == 0
    assert capsys.readouterr().out == f"{cached_helm}\n"


def test_json_names_tool_version_and_path(cached_helm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "tools", "helm", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "tool": "helm",
        "version": DevSettings().helm_version,
        "path": str(cached_helm),
    }
