"""Benchmark: how long `fleetcast` takes to start, per command. Not a test: it prints figures
(docs/benchmarks.md). The structural guard is tests/unit/test_cli_startup.py.

    .venv/bin/python -m tests.benchmarks.cli_startup [--runs 30] [--source DIR]

Each command runs `--runs` times as a fresh process (the installed `fleetcast` script of this venv, or
with `--source DIR` the code in DIR: `python -m deploy.cli` with DIR first on the path, e.g. an older
commit from `git archive`), one after another; the wall time from spawn to exit is what a person
waits. `clusters` talks to a hub address where nothing listens, so it measures everything but the
network: start, imports, settings, the HTTP client, and the connection refused. Run it on an idle
machine for figures worth comparing.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def commands(state_dir: str) -> list[list[str]]:
    return [
        ["--help"],
        ["clusters", "--help"],
        ["rollout", "status", "--help"],
        ["clusters"],
        ["dev", "status", "--state-dir", state_dir],
    ]


def measure(argv: list[str], runs: int, env: dict[str, str], source: Path | None) -> list[float]:
    if source is None:
        fleetcast = [str(Path(sys.executable).with_name("fleetcast"))]
    else:
        fleetcast = [sys.executable, "-m", "deploy.cli"]
        env = {**env, "PYTHONPATH": str(source)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*fleetcast, *argv], env=env, cwd=source, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--source", type=Path, help="run the code in this directory instead of the installed one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state_dir:
        env = {
            **os.environ,
            "FLEETCAST_HUB_URL": f"http://127.0.0.1:{_unused_port()}",
            "FLEETCAST_TOKEN": "fct_benchmark_unused",
            "FLEETCAST_CONFIG": str(Path(state_dir) / "absent.yaml"),
        }
        baseline = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            baseline.append(time.perf_counter() - started)
        print(f"{'command':40} {'p50':>8} {'p90':>8}   ({args.runs} runs each)")
        print(f"{'python -c pass (the interpreter alone)':40} {_ms(baseline, 0.5)} {_ms(baseline, 0.9)}")
        for argv in commands(state_dir):
            times = measure(argv, args.runs, env, args.source)
            shown = " ".join(a if a != state_dir else "DIR" for a in argv)
            print(f"{'fleetcast ' + shown:40} {_ms(times, 0.5)} {_ms(times, 0.9)}")


def _ms(values: list[float], q: float) -> str:
    return f"{quantile(values, q) * 1000:6.0f} ms"


if __name__ == "__main__":
    main()
