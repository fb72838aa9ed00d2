"""Finding Helm: the one configured, then PATH, then the build cache; a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.charts import binary
from hub.charts.binary import HelmNotFound, find_helm


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_configured_binary_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _executable(tmp_path / "helm")
    monkeypatch.setenv("PATH", str(tmp_path))
    configured = _executable(tmp_path / "my-helm")
    assert find_helm(configured) == configured


@pytest.mark.parametrize(("make", "problem"), [(False, "does not exist"), (True, "is not an executable file")])
def test_a_configured_binary_that_cannot_run_is_an_error(tmp_path: Path, make: bool, problem: str) -> None:
    path = tmp_path / "helm"
    if make:
        path.write_text("not executable")
    with pytest.raises(HelmNotFound, match=f"{path}, {problem}; run `fleetcast dev tools helm`"):
        find_helm(path)


def test_helm_on_path_comes_before_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _executable(tmp_path / "helm")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(binary, "cached_helm", lambda: tmp_path / "cached")
    assert find_helm(None) == on_path


def test_the_cache_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    cache = tmp_path / "cache"
    monkeypatch.setenv("FLEETCAST_DEV_CACHE_DIR", str(cache))
    with pytest.raises(HelmNotFound, match=r"no Helm found .* `fleetcast dev tools helm`"):
        find_helm(None)
    from deploy.local.settings import DevSettings

    built = cache / "bin" / f"helm-{DevSettings().helm_version}"
    built.mkdir(parents=True)
    _executable(built / "helm")
    # A build counts only once finished (its `.complete` marker written).
    with pytest.raises(HelmNotFound):
        find_helm(None)
    (built / ".complete").write_text("done\n")
    assert find_helm(None) == built / "helm"
