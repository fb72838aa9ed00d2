"""Which Helm the hub, the renderer and the CLI run: one finder, so they all agree.

In order: the binary configured (`FLEETCAST_HUB_HELM_BINARY`, or a CLI flag), `helm` on PATH, then the
pinned version in the build cache (`fleetcast dev tools helm` builds it there: ~/.cache/fleetcast/bin).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HOW_TO_GET_ONE = (
    "run `fleetcast dev tools helm` to build the pinned Helm into the cache (or install helm on PATH), "
    "or point FLEETCAST_HUB_HELM_BINARY at one"
)


class HelmNotFound(RuntimeError):
    """No Helm to run: the message says where we looked and how to get one."""


def cached_helm() -> Path | None:
    """The pinned Helm if the build cache holds a finished build of it."""
    # Imported here: the dev toolkit's settings name the pinned version and the cache; the rest of it
    # is not needed to read a path.
    from deploy.local.artifacts import Artifacts
    from deploy.local.settings import DevSettings

    return Artifacts(DevSettings(), lambda _: None).cached_helm()


def find_helm(explicit: Path | None) -> Path:
    """The Helm binary to run; HelmNotFound saying how to get one."""
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return explicit
        problem = "does not exist" if not explicit.exists() else "is not an executable file"
        raise HelmNotFound(f"the Helm binary configured, {explicit}, {problem}; {HOW_TO_GET_ONE}")
    on_path = shutil.which("helm")
    if on_path is not None:
        return Path(on_path)
    cached = cached_helm()
    if cached is not None:
        return cached
    raise HelmNotFound(f"no Helm found (none configured, none on PATH, none in the build cache); {HOW_TO_GET_ONE}")
