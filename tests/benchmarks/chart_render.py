"""Benchmark: rendering a realistic chart per cluster with the real Helm, as the hub does for a release.
Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.chart_render [--clusters 10 100] [--parallel 4] [--helm PATH]

The chart is tests/charts/web (Deployment, Service, ConfigMap, Ingress, HPA, a strict values.schema.json).
Each cluster gets its own values: `${cluster...}` references expanded and, for half of them, per-cluster
values merged over the application's; a render is expand + merge + `helm template` + parsing its output
(hub/charts/renderer.py). First one at a time (max_parallel 1), then with `--parallel` renders at once;
each render's time is measured while it holds its slot (waiting for a slot is not counted), and the
total is the wall time for all clusters. Last, `render_clusters` with values that depend on labels only
(one Helm run per distinct input). Helm comes from the build cache (built there if missing) unless
`--helm` names one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from deploy.local.artifacts import Artifacts
from deploy.local.settings import DevSettings
from hub.charts.archive import ChartArchive, load_directory
from hub.charts.renderer import ClusterInput, HelmRenderer
from hub.charts.values import expand, merged
from hub.sources.facts import ClusterFacts

WEB_CHART = Path(__file__).parent.parent / "charts" / "web"
VALUES: dict[str, Any] = {
    "image": {"tag": "1.27.1"},
    "ingress": {"host": "web.${cluster.labels.region}.example.com"},
    "config": {"cluster": "${cluster.name}", "region": "${cluster.labels.region}"},
}
PROD_VALUES: dict[str, Any] = {"autoscaling": {"enabled": False}, "replicas": 4}
BY_LABELS: dict[str, Any] = {
    "image": {"tag": "1.27.1"},
    "ingress": {"host": "web.${cluster.labels.region}.example.com"},
    "config": {"region": "${cluster.labels.region}"},
}


def clusters(count: int) -> list[ClusterFacts]:
    return [
        ClusterFacts(
            f"cluster-{i}",
            {"env": "prod" if i % 2 else "staging", "region": f"region-{i % 7}"},
            "v1.36.3",
        )
        for i in range(1, count + 1)
    ]


async def render_all(
    renderer: HelmRenderer, chart: ChartArchive, facts: list[ClusterFacts], parallel: int
) -> tuple[list[float], float]:
    """Per-render times (each while holding one of `parallel` slots) and the total wall time."""
    slots = asyncio.Semaphore(parallel)
    times: list[float] = []

    async def one(cluster: ClusterFacts) -> None:
        async with slots:
            started = time.perf_counter()
            overlays = [PROD_VALUES] if cluster.labels["env"] == "prod" else []
            values = expand(merged(VALUES, *overlays), cluster)
            objects = await renderer.render(
                chart, values, release_name="web", namespace="shop", kube_version=cluster.kubernetes_version
            )
            times.append(time.perf_counter() - started)
            assert len(objects) >= 4, objects

    started = time.perf_counter()
    await asyncio.gather(*(one(cluster) for cluster in facts))
    return times, time.perf_counter() - started


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    value = ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
    return f"{value * 1000:7.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--parallel", type=int, default=4, help="renders at once in the second pass (hub default 4)")
    parser.add_argument("--helm", type=Path, help="the helm binary (default: the pinned one from the build cache)")
    args = parser.parse_args()
    say = lambda message: print(f"[chart_render] {message}", file=sys.stderr, flush=True)  # noqa: E731
    helm = args.helm or await Artifacts(DevSettings(), say).ensure_helm()
    chart = load_directory(WEB_CHART)
    print(
        f"chart {chart.label} ({len(chart.files)} files), {helm}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    # One render first: the binary into the page cache, so the first measured one is not an outlier.
    warm = HelmRenderer(helm, timeout_seconds=60, max_parallel=1)
    await render_all(warm, chart, clusters(1), 1)
    print(f"{'clusters':>8} {'parallel':>8} {'p50 ms':>7} {'p99 ms':>7} {'mean ms':>7} {'total s':>8} {'renders/s':>9}")
    for count in args.clusters:
        for parallel in (1, args.parallel):
            renderer = HelmRenderer(helm, timeout_seconds=60, max_parallel=parallel)
            times, total = await render_all(renderer, chart, clusters(count), parallel)
            mean = statistics.fmean(times) * 1000
            print(
                f"{count:>8} {parallel:>8} {_ms(times, 0.5)} {_ms(times, 0.99)} {mean:7.0f} {total:8.2f} "
                f"{count / total:9.1f}"
            )
    # What the hub can do when values depend on labels alone: one Helm run per distinct input.
    print("\nrender_clusters, values by region and env only (no ${cluster.name}), renders at once:", args.parallel)
    print(f"{'clusters':>8} {'helm runs':>9} {'total s':>8}")
    for count in args.clusters:
        renderer = HelmRenderer(helm, timeout_seconds=60, max_parallel=args.parallel)
        started = time.perf_counter()
        inputs = {
            c.name: ClusterInput(
                expand(merged(BY_LABELS, *([PROD_VALUES] if c.labels["env"] == "prod" else [])), c),
                c.kubernetes_version,
            )
            for c in clusters(count)
        }
        result = await renderer.render_clusters(chart, inputs, release_name="web", namespace="shop")
        total = time.perf_counter() - started
        assert not result.errors, result.errors
        print(f"{count:>8} {result.helm_runs:>9} {total:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
