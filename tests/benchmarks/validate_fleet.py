"""Benchmark: `fleetcast validate` over a generated fleet directory. Not a test: it prints figures
(docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.validate_fleet [--applications 50] [--clusters 10] [--runs 5]
        [--charts DIR] [--no-policies]

Generates `--applications` applications (each a Namespace, a ConfigMap, a Deployment and a Service in
a manifests file; with `--charts`, every other one a chart application using the chart at DIR, rendered
by the real Helm as `fleetcast validate` renders it), the baseline policies (evaluated on every rendered
object of every cluster; the generated objects break some of them, which is counted, not fatal), two
strategies, and an inventory of
`--clusters` clusters (half env=prod, half env=staging; applications select one or both). Times the
phases in process (load, checks, render+policies) and the whole command as a fresh process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from hub.fleetcode.checks import reference_problems
from hub.fleetcode.inventory import parse_inventory
from hub.fleetcode.loader import load
from hub.fleetcode.validate import steps, validate


def _objects(name: str) -> list[dict[str, Any]]:
    labels = {"app": name}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "config", "namespace": name},
            "data": {"a": "1"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": name},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": f"registry.example.test/{name}:1.0.0"}]},
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": name},
            "spec": {"selector": labels, "ports": [{"port": 80}]},
        },
    ]


BASELINE = Path(__file__).resolve().parents[2] / "hub" / "policies" / "baseline"


def generate(root: Path, applications: int, clusters: int, chart: Path | None, policies: bool = True) -> Path:
    for index in range(applications):
        name = f"app-{index:03d}"
        folder = root / "applications" / name
        folder.mkdir(parents=True)
        spec: dict[str, Any] = {
            "selector": "env in (prod,staging)" if index % 2 else "env=prod",
            "strategy": "staged" if index % 3 else "fast",
        }
        if chart is not None and index % 2:
            spec |= {"chart": "../../charts/web", "values": {"replicas": 2}}
        else:
            (folder / "manifests.yaml").write_text(yaml.safe_dump_all(_objects(name)))
            spec["manifests"] = ["manifests.yaml"]
        (folder / "app.yaml").write_text(
            yaml.safe_dump(
                {"apiVersion": "fleetcast.dev/v1", "kind": "Application", "metadata": {"name": name}, "spec": spec}
            )
        )
    if chart is not None:
        shutil.copytree(chart, root / "charts" / "web")
    if policies:  # the shipped baseline set: every rendered object of every cluster is checked
        shutil.copytree(BASELINE, root / "policies")
    (root / "strategies").mkdir()
    for name, waves in (
        ("staged", [{"name": "staging", "selector": "env=staging"}, {"name": "prod", "selector": "env=prod"}]),
        ("fast", [{"name": "all", "selector": ""}]),
    ):
        (root / "strategies" / f"{name}.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "fleetcast.dev/v1",
                    "kind": "Strategy",
                    "metadata": {"name": name},
                    "spec": {"waves": waves},
                }
            )
        )
    inventory = root / "inventory.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "clusters": [
                    {
                        "name": f"cluster-{i}",
                        "labels": {"env": "prod" if i % 2 else "staging"},
                        "kubernetesVersion": "v1.34.1",
                    }
                    for i in range(clusters)
                ]
            }
        )
    )
    return inventory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=50)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--charts", type=Path, help="a chart directory to use for every other application")
    parser.add_argument("--no-policies", action="store_true", help="leave the baseline policies out of the directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcast-validate-bench-") as tmp:
        root = Path(tmp)
        inventory = generate(root, args.applications, args.clusters, args.charts, not args.no_policies)
        phases: dict[str, list[float]] = {"load": [], "checks": [], "validate (all)": [], "fleetcast validate": []}
        report = None
        for _ in range(args.runs):
            started = time.perf_counter()
            loaded = load(root)
            phases["load"].append(time.perf_counter() - started)
            started = time.perf_counter()
            reference_problems(loaded.documents)
            phases["checks"].append(time.perf_counter() - started)
            clusters, _ = parse_inventory(inventory.read_text())
            renderer, template_check, policy_check = steps()
            started = time.perf_counter()
            report = validate(
                load(root), clusters, renderer=renderer, template_check=template_check, policy_check=policy_check
            )
            phases["validate (all)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "deploy.cli", "validate", str(root), "--inventory", str(inventory)],
                capture_output=True,
                check=False,
            )
            phases["fleetcast validate"].append(time.perf_counter() - started)
        assert report is not None
        print(f"{args.applications} applications x {args.clusters} clusters, {args.runs} runs")
        print(f"last report: {report.summary()}")
        for phase, times in phases.items():
            print(f"  {phase:<20} median {statistics.median(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
