"""`fleetcast dev` as a user runs it: a second `up` starts nothing, `down` and Ctrl-C leave no process
behind, and an error names the component and its log. Uses its own one-cluster fleet in a temporary
state directory, beside the session fleet."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.local import processes, state

FLEETCAST = [sys.executable, "-m", "deploy.cli"]


def fleetcast(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLEETCAST, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def records(state_dir: Path) -> list[processes.ProcessRecord]:
    fleet = state.load(state_dir / "fleet.json")
    assert fleet is not None
    return [r for r in (fleet.record(c) for c in fleet.processes) if r is not None]


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """A state directory for one test's own fleet, stopped afterwards whatever the test did."""
    path = tmp_path / "fleet"
    yield path
    fleetcast("dev", "down", "--state-dir", str(path))


def status(state_dir: Path) -> tuple[int, dict[str, Any]]:
    result = fleetcast("dev", "status", "-o", "json", "--state-dir", str(state_dir))
    return result.returncode, json.loads(result.stdout)


def test_up_is_idempotent_and_down_leaves_nothing(state_dir: Path) -> None:
    up = fleetcast("dev", "up", "--clusters", "1", "--state-dir", str(state_dir))
    assert up.returncode == 0, up.stderr
    assert "fleet ready" in up.stderr
    assert "cluster-1:        KUBECONFIG=" in up.stdout
    first = {r.name: r.pid for r in records(state_dir)}
    assert set(first) == {
        "kafka",
        "etcd",
        "cluster-1/kube-apiserver",
        "cluster-1/kube-controller-manager",
        "cluster-1/kube-scheduler",
        "cluster-1/kwok",
        "hub",
        "cluster-1/spoke",
    }
    assert "hub: registered cluster-1 (env=staging" in up.stderr
    assert "cluster-1: spoke healthy" in up.stderr
    assert "fleetcast apply web -f " in up.stdout
    code, report = status(state_dir)
    assert code == 0
    assert all(c["running"] for c in report["components"])
    assert Path(report["clusters"][0]["kubeconfig"]).exists()

    again = fleetcast("dev", "up", "--clusters", "1", "--state-dir", str(state_dir))
    assert again.returncode == 0, again.stderr
    assert "started " not in again.stderr
    assert {r.name: r.pid for r in records(state_dir)} == first

    down = fleetcast("dev", "down", "--state-dir", str(state_dir))
    assert down.returncode == 0, down.stderr
    assert not [r.name for r in records(state_dir) if processes.is_alive(r)]
    code, report = status(state_dir)
    assert code == 3
    assert not any(c["running"] for c in report["components"])


def test_ctrl_c_during_up_stops_what_it_started(state_dir: Path) -> None:
    proc = subprocess.Popen(
        [*FLEETCAST, "dev", "up", "--clusters", "1", "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        seen.append(line)
        if "started cluster-1/kube-apiserver" in line:
            break
        assert time.monotonic() < deadline, "".join(seen)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, "".join(seen) + rest
    assert "stopping what this run started" in rest
    started = records(state_dir)
    assert started, "the run recorded what it started"
    assert not [r.name for r in started if processes.is_alive(r)]


def test_a_taken_port_is_an_error_naming_the_component_and_its_log(state_dir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        up = fleetcast(
            "dev",
            "up",
            "--clusters",
            "1",
            "--state-dir",
            str(state_dir),
            env={"FLEETCAST_DEV_KAFKA_PORT": str(port)},
        )
    assert up.returncode == 1
    assert f"kafka: port {port} is taken by another program" in up.stderr
    assert f"(see {state_dir / 'logs' / 'kafka.log'})" in up.stderr
    assert not [r.name for r in records(state_dir) if processes.is_alive(r)]
