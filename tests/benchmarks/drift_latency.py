"""Benchmark: how fast the spoke's drift detector notices a hand edit on a real cluster, and how fast a
`correct` policy undoes it. Not a test: it prints figures (docs/benchmarks.md, docs/drift.md).

    .venv/bin/python -m tests.benchmarks.drift_latency [--edits 50]

It starts Kafka and one real Kubernetes cluster (kube-apiserver, controller manager, kwok) of its own
in a temporary directory, and drives the spoke's own applier, watcher and DriftDetector in-process
(the hub is not involved: edit -> visible at the hub adds a status report, which the lead measures).
It applies a Deployment, then `--edits` times changes its replicas with a merge patch by another field
manager (as `kubectl scale`/`kubectl edit` would) and measures:
  detect   from sending the edit to the detector deciding drift (the API server writes the edit, the
           watch delivers it, the detector compares managed fields);
  decide   the detector's own time inside that watch event;
  correct  from sending the edit to our re-apply having taken the field back (policy correct).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from deploy.local.fleet import LocalFleet
from deploy.local.settings import DevSettings
from schemas.v1 import ObjectRef
from schemas.v1.drift import DriftKind, DriftMode, DriftPolicy
from spoke.applier import Applier
from spoke.drift.detector import CorrectionGuard, DriftDetector
from spoke.kube import Kube
from spoke.objects import ref_of
from spoke.planner import prepare
from spoke.settings import SpokeSettings
from spoke.watcher import Watcher

APP = "drift-bench"


def manifests() -> list[dict[str, Any]]:
    labels = {"app": APP}
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": APP}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": APP},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "example.test/web:1"}]},
                },
            },
        },
    ]
    return [prepare(m, APP, m["kind"] != "Namespace") for m in objects]


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms"


async def measure(kubeconfig: Path, edits: int) -> None:
    kube = await Kube.connect(kubeconfig)
    settings = SpokeSettings(cluster_id="bench", kubeconfig=kubeconfig)
    detected, cleared = asyncio.Event(), asyncio.Event()
    decide_times: list[float] = []
    tasks: set[asyncio.Task[Any]] = set()
    objects = manifests()

    class Metrics:
        def drifted(self, mode: DriftMode, count: int) -> None:
            if mode == "correct" and count == 0:
                cleared.set()

        def detected(self, kind: DriftKind) -> None:
            detected.set()

        def corrected(self) -> None:
            pass

    def reconcile_now(application: str, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(applier.apply_all(objects))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    # No back-off here: the benchmark corrects the same object again and again on purpose.
    detector = DriftDetector(
        "bench",
        lambda app: DriftPolicy(mode="correct"),
        reconcile_now,
        lambda app: None,
        Metrics(),
        guard=CorrectionGuard(free=10**9),
    )
    applier = Applier(kube, settings, observer=detector)

    def on_event(event_type: str, obj: dict[str, Any]) -> None:
        started = time.perf_counter()
        detector.observe(event_type, obj)
        decide_times.append(time.perf_counter() - started)

    watcher = Watcher(kube, settings, detector.observe_list, on_event, lambda _reason: None)
    try:
        await applier.apply_all(objects)
        ref: ObjectRef = ref_of(objects[1])
        watcher.ensure({("apps/v1", "Deployment")})
        await asyncio.sleep(2)  # the watch is open and has listed
        resource = await kube.resource("apps/v1", "Deployment")
        detect, correct = [], []
        for edit in range(edits):
            detected.clear()
            cleared.clear()
            started = time.perf_counter()
            await kube.dynamic.patch(
                resource,
                body={"spec": {"replicas": 2 + edit % 3}},
                name=ref.name,
                namespace=ref.namespace,
                content_type="application/merge-patch+json",
                field_manager="kubectl-scale",
            )
            await asyncio.wait_for(detected.wait(), 30)
            detect.append(time.perf_counter() - started)
            await asyncio.wait_for(cleared.wait(), 30)
            correct.append(time.perf_counter() - started)
            await asyncio.gather(*tasks)
        print(f"drift detection on a real cluster, {edits} edits (replicas by another field manager):")
        print(f"  detect  (edit sent -> drift decided)     {quantiles(detect)}")
        print(f"  decide  (inside one watch event)         {quantiles(decide_times)}")
        print(f"  correct (edit sent -> re-applied, ours)  {quantiles(correct)}")
    finally:
        await watcher.close()
        await kube.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcast-drift-bench-") as state_dir:
        settings = DevSettings(state_dir=Path(state_dir), clusters=1, run_fleetcast=False)
        fleet = LocalFleet(settings, lambda message: print(f"  [fleet] {message}", file=sys.stderr), tie_to_parent=True)
        try:
            state = await fleet.up()
            await measure(fleet.cluster_files(state.clusters[0].name).kubeconfig, args.edits)
        finally:
            fleet.down()


if __name__ == "__main__":
    asyncio.run(main())
