"""`fleetcast` starts fast because building its parser imports only light modules (a structural check,
not a timed one: figures are in docs/benchmarks.md, from tests/benchmarks/cli_startup.py).

Each heavy package below costs 50-400 ms at start; a command imports what it needs when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

HEAVY = [
    "kubernetes_asyncio",
    "aiokafka",
    "sqlalchemy",
    "fastapi",
    "deploy.local",
    "hub.app",
    "spoke",
    "httpx",
    "pydantic",
    "pydantic_settings",
]


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_building_the_parser_imports_nothing_heavy() -> None:
    # Building the parser imports every hub/client module that registers commands: a module that
    # imports a heavy package at its top fails here. Import it inside the handler that needs it.
    assert heavy(imported_after("import deploy.cli\ndeploy.cli.build_parser()")) == []


@pytest.mark.parametrize("argv", [["--help"], ["clusters", "--help"], ["dev", "up", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code = "import contextlib, io, deploy.cli\nwith contextlib.redirect_stdout(io.StringIO()):\n"
    code += f"    try:\n        deploy.cli.main({argv!r})\n    except SystemExit:\n        pass"
    assert heavy(imported_after(code)) == []


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    # The other side of the same coin: the lazy imports are really there when a command runs.
    code = (
        "import contextlib, io, os, deploy.cli\n"
        "os.environ.update(FLEETCAST_HUB_URL='http://127.0.0.1:9', FLEETCAST_CONFIG='/nonexistent/fleetcast.yaml')\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    deploy.cli.main(['clusters'])"
    )
    modules = imported_after(code)
    assert {"httpx", "pydantic_settings"} <= modules
    assert "deploy.local" not in modules and "kubernetes_asyncio" not in modules
