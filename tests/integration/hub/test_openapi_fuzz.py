"""The hub's OpenAPI document is what the API does: schemathesis (`st run`) sends every operation the
app exposes, whatever routes it has by now, generated requests valid and invalid, as an admin, and
checks every response. No 5xx; every status code documented for its operation; every body and
content type as documented; also the checks of auth being enforced, 405s and their Allow header,
deleted resources staying deleted.

Two of schemathesis' checks are left out, on purpose: `positive_data_acceptance` (a request the schema
allows must not get a 4xx) and `negative_data_rejection` (one it forbids must). The API validates more
than a JSON Schema says (DNS-1123 names, label selector syntax, YAML manifests), and repeated query
parameters are read as the last one, as every framework does: both would fail on correct behaviour.

A run takes about a minute on two busy cores; the seed is random (printed, and settable with
FLEETCAST_FUZZ_SEED to replay a failure). The hub runs in this process on SQLite, served over HTTP by
uvicorn on the test's event loop; `st` is a separate process, whose hooks (fuzz_hooks.py) keep it
authenticated even after it revokes its own token.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from deploy.local.processes import free_port
from tests.integration.hub.conftest import RunningHub
from tests.waiting import eventually_async as eventually

REPO = Path(__file__).resolve().parents[3]
# The hooks module `st` loads, and what it reads from the environment (not imported here: importing it
# would register its auth provider in this process).
HOOKS = "tests.integration.hub.fuzz_hooks"
CHECKS_LEFT_OUT = "positive_data_acceptance,negative_data_rejection"
EXAMPLES_PER_OPERATION = 25
RUN_TIMEOUT_SECONDS = 600

# SQLite only: the fuzzer hunts for responses the document does not describe, which do not depend on
# the database (the PostgreSQL runs of the other hub tests cover the store).
pytestmark = pytest.mark.parametrize("database_server", ["sqlite"], indirect=True)


async def serve(hub: RunningHub, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """The running hub's app over HTTP (its lifespan already runs: running_hub started it)."""
    server = uvicorn.Server(uvicorn.Config(hub.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        assert not task.done(), f"uvicorn stopped on port {port}: {task.exception()}"
        return bool(server.started)

    # a safety net: it starts in well under a second on a quiet machine
    await eventually(started, 60, f"uvicorn started on port {port}", interval=0.05)
    return server, task


async def test_every_response_is_documented_and_conforms(
    running_hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fuzzer makes up URLs wherever the API takes one (a webhook's, say), and the hub may call
    # them. Nothing of that may leave this machine: HTTP clients that honour the proxy variables (httpx,
    # urllib) go to a local port where nothing listens; only the loopback is reached directly.
    nowhere = f"http://127.0.0.1:{free_port()}"
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(variable, nowhere)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with running_hub() as hub:
        port = free_port()
        server, serving = await serve(hub, port)
        try:
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                "SCHEMATHESIS_HOOKS": HOOKS,
                "FLEETCAST_FUZZ_DATABASE_URL": hub.settings.database_url,
                "FLEETCAST_FUZZ_TOKEN": await hub.token("fuzzer", "admin"),
            }
            seed = ["--seed", os.environ["FLEETCAST_FUZZ_SEED"]] if os.environ.get("FLEETCAST_FUZZ_SEED") else []
            process = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("st")),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "--checks=all",
                f"--exclude-checks={CHECKS_LEFT_OUT}",
                f"--max-examples={EXAMPLES_PER_OPERATION}",
                "--workers=1",
                "--request-timeout=60",  # a busy machine is slow, not wrong
                "--no-color",
                *seed,
                cwd=tmp_path,  # its cache and reports stay out of the repository
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_SECONDS)
        finally:
            server.should_exit = True
            await serving
        report = output.decode(errors="replace")
        print(report)  # shown with -rP: what was tested, and the seed
        assert process.returncode == 0, f"schemathesis found responses the OpenAPI document does not allow:\n{report}"
        # It did test every operation the app exposes, not a subset.
        operations = sum(len(methods) for methods in hub.app.openapi()["paths"].values())
        assert f"Selected: {operations}/{operations}" in report, report
        assert f"Tested: {operations}" in report, report
