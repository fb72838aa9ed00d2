"""`fleetcast dev` as a user runs it: a second `up` starts nothing, `down` and Ctrl-C leave no process
behind, and an error names the component and its log; `up` makes an admin token once and configures
the CLI with it (in a config file under tmp: FLEETCAST_CONFIG). Uses its own one-cluster fleet in a
temporary state directory, beside the session fleet."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.local import processes, state
from deploy.local.prometheus import ALERT_RULES, HUB_JOB, SPOKE_JOB, alert_names
from tests.prometheus import PrometheusServer

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


def records_by_name(state_dir: Path) -> dict[str, processes.ProcessRecord]:
    return {r.name: r for r in records(state_dir)}


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


def test_up_is_idempotent_and_down_leaves_nothing(state_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "fleetcast" / "config.yaml"
    up = fleetcast("dev", "up", "--clusters", "1", "--state-dir", str(state_dir), env={"FLEETCAST_CONFIG": str(config)})
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
        "prometheus",
    }
    assert "hub: registered cluster-1 (env=staging" in up.stderr
    assert "cluster-1: spoke healthy" in up.stderr
    assert "fleetcast apply web -f " in up.stdout
    assert "prometheus: ready at http://127.0.0.1:" in up.stderr

    # An admin token, kept for the owner only, registered the cluster and configured the CLI.
    token_file = state_dir / "hub" / "admin.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert token.startswith("fct_")
    assert f"Admin token:      {token_file}" in up.stdout
    assert f"CLI configured in {config}" in up.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    fleet = state.load(state_dir / "fleet.json")
    assert fleet is not None
    assert yaml.safe_load(config.read_text()) == {"hub_url": fleet.hub_url, "token": token}
    me = fleetcast("whoami", "-o", "json", env={"FLEETCAST_CONFIG": str(config)})
    assert me.returncode == 0, me.stderr
    assert (json.loads(me.stdout)["name"], json.loads(me.stdout)["roles"]) == ("admin", ["admin"])
    code, report = status(state_dir)
    assert code == 0
    assert all(c["running"] for c in report["components"])
    assert Path(report["clusters"][0]["kubeconfig"]).exists()

    # The hub renders charts with the Helm `up` built (or found) in the cache, the one `dev tools helm` prints.
    helm = fleetcast("dev", "tools", "helm")
    assert helm.returncode == 0, helm.stderr
    hub_environment = Path(f"/proc/{records_by_name(state_dir)['hub'].pid}/environ").read_bytes().split(b"\0")
    assert f"FLEETCAST_HUB_HELM_BINARY={helm.stdout.strip()}".encode() in hub_environment

    # Prometheus scrapes the hub and the spoke, with the shipped alert rules loaded.
    assert fleet.prometheus_url is not None
    assert f"Prometheus:       {fleet.prometheus_url}" in up.stdout
    assert report["prometheus_url"] == fleet.prometheus_url
    record = records_by_name(state_dir)["prometheus"]
    prometheus = PrometheusServer(fleet.prometheus_url, state_dir / "prometheus", record)
    asyncio.run(prometheus.wait_for_targets({HUB_JOB, SPOKE_JOB}, timeout=120))
    spokes = asyncio.run(prometheus.query(f'up{{job="{SPOKE_JOB}"}}'))
    assert [s["metric"]["cluster"] for s in spokes] == ["cluster-1"]
    rules = [rule["name"] for group in asyncio.run(prometheus.rules()) for rule in group["rules"]]
    assert sorted(rules) == sorted(alert_names(ALERT_RULES.read_text()))

    # Again, with a config file of the user's own: it is left alone, and the same token is printed instead.
    own = tmp_path / "own.yaml"
    own.write_text("hub_url: https://hub.example.com\ntoken: fct_mine\n")
    again = fleetcast("dev", "up", "--clusters", "1", "--state-dir", str(state_dir), env={"FLEETCAST_CONFIG": str(own)})
    assert again.returncode == 0, again.stderr
    assert "started " not in again.stderr
    assert own.read_text() == "hub_url: https://hub.example.com\ntoken: fct_mine\n"
    assert f"{own} is your own config, left alone" in again.stdout
    assert f"export FLEETCAST_TOKEN={token}" in again.stdout
    assert token_file.read_text().strip() == token
    assert {r.name: r.pid for r in records(state_dir)} == first

    # One component stopped (as the alert tutorial does), and started again by `up`, alone.
    stop = fleetcast("dev", "stop", "cluster-1/spoke", "--state-dir", str(state_dir))
    assert stop.returncode == 0, stop.stderr
    assert "stopped cluster-1/spoke" in stop.stderr
    assert not processes.is_alive(records_by_name(state_dir)["cluster-1/spoke"])
    code, report = status(state_dir)
    assert code == 3
    assert [c["component"] for c in report["components"] if not c["running"]] == ["cluster-1/spoke"]
    unknown = fleetcast("dev", "stop", "cluster-9/spoke", "--state-dir", str(state_dir))
    assert unknown.returncode == 2
    assert "no component cluster-9/spoke in this fleet; its components: kafka, etcd" in unknown.stderr
    restart = fleetcast("dev", "up", "--clusters", "1", "--state-dir", str(state_dir))
    assert restart.returncode == 0, restart.stderr
    started = [line for line in restart.stderr.splitlines() if "started " in line]
    assert len(started) == 1 and "started cluster-1/spoke" in started[0], restart.stderr

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
