"""Benchmark: how big an application can be. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.bundle_size [--crds DIR] [--deploy]

1. Codecs: a bundle of CRDs (~5 MB of YAML; made up by tests/crds.py, and real ones from `--crds DIR`,
   e.g. prometheus-operator's example/prometheus-operator-crd) encoded as the hub sends it, compressed by
   each codec Kafka has, with aiokafka's own functions (what the producer runs): ratio and time.
2. Limits: with the hub's default limits (FLEETCAST_HUB_MAX_MESSAGE_BYTES on the record as compressed,
   FLEETCAST_HUB_MAX_BUNDLE_BYTES before compression), the largest bundle the API accepts, by adding
   CRDs (or copies of the real set under other group names) until one more would be refused; and for
   data that does not compress (random bytes in ConfigMaps). The check is the hub's own (hub/desired.py).
3. `--deploy`: starts a fleet of its own (Kafka, one cluster, the hub and a spoke, as `fleetcast dev up`
   does, in a temporary directory) and applies the largest CRD bundle of 2. through the API: the time until
   the spoke reports it applied, and whether every CRD is there.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import codec

from hub.desired import Record, batch_bytes, desired_record, size_problem
from hub.manifests import parse_manifests
from hub.placements import Change
from hub.settings import HubSettings
from tests.crds import crd, crds_of_size, dump

MB = 1_000_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)

CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "gzip": (codec.gzip_encode, codec.gzip_decode),
    "snappy": (codec.snappy_encode, codec.snappy_decode),
    "lz4": (codec.lz4_encode, codec.lz4_decode),
    "zstd": (codec.zstd_encode, codec.zstd_decode),
}


def record_of(manifests: list[dict[str, Any]]) -> Record:
    return desired_record(Change("cluster-1", "monitoring", 1, 1, "bundle"), manifests, NOW)


def best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def codecs(name: str, yaml_text: str) -> None:
    value = record_of(parse_manifests(yaml_text)).value or b""
    print(f"\n{name}: {len(yaml_text) / MB:.2f} MB of YAML, {len(value) / MB:.2f} MB as the bundle event (JSON)")
    print(f"  {'codec':8} {'compressed':>12} {'ratio':>7} {'compress':>10} {'decompress':>11}")
    for codec_name, (encode, decode) in CODECS.items():
        packed = encode(value)
        compress = best_of(5, lambda e=encode: e(value))  # type: ignore[misc]
        decompress = best_of(5, lambda d=decode, p=packed: d(p))  # type: ignore[misc]
        print(
            f"  {codec_name:8} {len(packed) / MB:9.3f} MB {len(value) / len(packed):6.1f}x "
            f"{compress * 1000:7.1f} ms {decompress * 1000:8.1f} ms"
        )


def largest(name: str, grow: Callable[[int], tuple[str, list[dict[str, Any]]]], settings: HubSettings) -> int:
    """The most pieces `grow(n)` may have for the API to accept the bundle; prints what that is."""
    low, high = 1, 2
    limits = {"max_message_bytes": settings.max_message_bytes, "max_bundle_bytes": settings.max_bundle_bytes}
    # Double until refused, then bisect.
    while size_problem(record_of(grow(high)[1]), **limits) is None:
        low, high = high, high * 2
    while low < high - 1:
        middle = (low + high) // 2
        if size_problem(record_of(grow(middle)[1]), **limits) is None:
            low = middle
        else:
            high = middle
    # Near the limit a piece more or less can go either way: the event's random id changes how the
    # whole compresses by ~0.3 %.
    accepted = low
    text, manifests = grow(accepted)
    record = record_of(manifests)
    refused = size_problem(record_of(grow(high)[1]), **limits)
    print(
        f"  {name}: {accepted} pieces, {len(text) / MB:.2f} MB of YAML, {len(record.value or b'') / MB:.2f} MB as "
        f"JSON, {batch_bytes(record) / MB:.3f} MB compressed; {high} were refused: {refused}"
    )
    return accepted


@functools.cache
def _made_up(index: int) -> dict[str, Any]:
    return crd(index, "bench.fleetcast.test")


def synthetic(count: int) -> tuple[str, list[dict[str, Any]]]:
    documents = [_made_up(i) for i in range(count)]
    return dump(documents), documents


def copies_of(real: list[dict[str, Any]], text: str) -> Callable[[int], tuple[str, list[dict[str, Any]]]]:
    """n CRDs from the real set, cycled, each copy under a group of its own."""

    def grow(count: int) -> tuple[str, list[dict[str, Any]]]:
        documents = []
        for index in range(count):
            document = json.loads(json.dumps(real[index % len(real)]))
            copy = index // len(real)
            if copy:
                group = f"copy{copy}.{document['spec']['group']}"
                document["spec"]["group"] = group
                document["metadata"]["name"] = f"{document['spec']['names']['plural']}.{group}"
            documents.append(document)
        per_object = len(text) / len(real)
        return "x" * int(per_object * count), documents  # YAML size: the real files' per CRD

    return grow


def noise(count: int) -> tuple[str, list[dict[str, Any]]]:
    rng = random.Random(count)
    documents = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"blob-{i}", "namespace": "default"},
            "data": {"blob": base64.b64encode(rng.randbytes(75_000)).decode()},
        }
        for i in range(count)
    ]
    return dump(documents), documents


async def deploy(manifests: list[dict[str, Any]]) -> None:
    import httpx

    from deploy.local.fleet import LocalFleet
    from deploy.local.settings import DevSettings
    from tests import kube

    with tempfile.TemporaryDirectory() as home:
        fleet = LocalFleet(DevSettings(state_dir=Path(home), clusters=1), lambda m: None)
        try:
            ready = await fleet.up()
            token = fleet.admin_token()
            assert ready.hub_url and token
            async with httpx.AsyncClient(
                base_url=ready.hub_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
            ) as client:
                started = time.perf_counter()
                response = await client.put(
                    "/api/v1/applications/monitoring", json={"manifests": manifests, "selector": ""}
                )
                accepted = time.perf_counter() - started
                response.raise_for_status()
                while True:
                    app = (await client.get("/api/v1/applications/monitoring")).json()
                    cluster = (app.get("clusters") or [{}])[0]
                    if cluster.get("last_applied_revision") == 1 and cluster.get("health") == "Ready":
                        break
                    if cluster.get("errors"):
                        print(f"  errors: {cluster['errors']}")
                    await asyncio.sleep(0.5)
                applied = time.perf_counter() - started
            kubeconfig = fleet.cluster_files(ready.clusters[0].name).kubeconfig
            present = 0
            for manifest in manifests:
                name = manifest["metadata"]["name"]
                live = await asyncio.to_thread(
                    kube.get, kubeconfig, "apiextensions.k8s.io/v1", "CustomResourceDefinition", name
                )
                present += live is not None
            print(
                f"  deployed {len(manifests)} CRDs: API answered in {accepted:.1f} s, applied and Ready on the "
                f"cluster {applied:.1f} s after the PUT; {present}/{len(manifests)} CRDs on the cluster"
            )
        finally:
            fleet.down(purge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crds", type=Path, help="a directory of real CRD YAML files to compare with")
    parser.add_argument("--deploy", action="store_true", help="deploy the largest CRD bundle on a real cluster")
    args = parser.parse_args()

    codecs("made-up CRDs (tests/crds.py)", crds_of_size(5 * MB, "bench.fleetcast.test"))
    real: list[dict[str, Any]] = []
    real_text = ""
    if args.crds:
        real_text = "\n---\n".join(p.read_text() for p in sorted(args.crds.glob("*.yaml")))
        real = parse_manifests(real_text)
        codecs(f"real CRDs ({args.crds})", real_text)

    settings = HubSettings()
    print(
        f"\nLargest bundle the API accepts (max_message_bytes {settings.max_message_bytes}, "
        f"max_bundle_bytes {settings.max_bundle_bytes}):"
    )
    count = largest("made-up CRDs", synthetic, settings)
    if real:
        largest("real CRDs, copied under other groups", copies_of(real, real_text), settings)
    largest("ConfigMaps of random data (base64, 100 KB each)", noise, settings)
    if args.deploy:
        print("\nDeploying the largest made-up CRD bundle on a real cluster:")
        asyncio.run(deploy(synthetic(count)[1]))


if __name__ == "__main__":
    main()
