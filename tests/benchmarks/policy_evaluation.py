"""Benchmark: what checking a release against the policies costs at the hub. Not a test: it prints
figures (docs/benchmarks.md, docs/policies.md).

    .venv/bin/python -m tests.benchmarks.policy_evaluation [--applications 50] [--clusters 10] [--runs 5]

Every application is a Namespace, a ConfigMap, a Service and a Deployment (two containers and an init
container) rendered for every cluster; the five baseline policies (six validations) judge them all,
as `fleetcast validate` does for a fleet directory and the hub for one release across its clusters.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from hub.policies.baseline import baseline
from hub.policies.evaluate import evaluate
from hub.sources.facts import ClusterFacts


def application(name: str) -> list[dict[str, Any]]:
    container = {
        "name": "app",
        "image": "ghcr.io/acme/app:1.2.3",
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    labels = {"app.kubernetes.io/name": name}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": name}, "data": {"a": "b"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": name}, "spec": {}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": name, "labels": labels},
            "spec": {
                "replicas": 2,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [container, {**container, "name": "sidecar"}],
                        "initContainers": [{**container, "name": "init"}],
                    },
                },
            },
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=50)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    policies = list(baseline().values())
    clusters = [ClusterFacts(f"cluster-{i}", {"env": "prod" if i % 2 else "dev"}) for i in range(args.clusters)]
    apps = [application(f"app-{i}") for i in range(args.applications)]
    targets = [(cluster, app) for app in apps for cluster in clusters]
    objects = sum(len(objs) for _cluster, objs in targets)
    workloads = args.applications * args.clusters
    validations = workloads * sum(len(p.validations) for p in policies)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        findings = evaluate(policies, targets)
        times.append(time.perf_counter() - start)
        assert findings == [], findings[:3]
    median = statistics.median(times)
    print(
        f"{args.applications} applications x {args.clusters} clusters: {objects} objects, {workloads} in scope, "
        f"{validations} evaluations; median {median * 1000:.0f} ms over {args.runs} runs "
        f"({median / validations * 1e6:.1f} us per evaluation, {median / args.clusters * 1000:.1f} ms per "
        f"cluster for {args.applications} applications)"
    )
    one = [(cluster, apps[0]) for cluster in clusters]
    start = time.perf_counter()
    for _ in range(20):
        evaluate(policies, one)
    print(
        f"one application's release across {args.clusters} clusters: {(time.perf_counter() - start) / 20 * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
