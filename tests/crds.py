"""Big CustomResourceDefinitions, made up but shaped like the ones monitoring stacks ship.

Operators' CRDs are large because controller-gen writes out every embedded Kubernetes type (containers,
volumes, affinity, probes...) with its documentation, again in each CRD that embeds it. So these are
built the same way: a pool of nested "types" with descriptions (sentences from a fixed vocabulary),
each CRD's spec embedding several of them plus fields of its own. Deterministic for a seed.

Calibrated on prometheus-operator's CRDs (10 files, 5.3 MB YAML, 2.8 MB as a bundle event), which
compress 28x with zstd: these compress ~25x (tests/benchmarks/bundle_size.py prints both). Their YAML is
less indented than controller-gen's, so a megabyte of it is more of a bundle (1.2 MB of YAML per MB of
JSON here, 1.9 there).
"""

from __future__ import annotations

import random
from typing import Any

import yaml

try:  # libyaml's emitter when there is one: several times faster for megabytes
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

_VOCABULARY = """
the a of to and is for that in be if this it an by on when are as field defines which not must with
pod container value name namespace default set from used specifies key volume selector label object
resource reference kubernetes spec status more info path port number string list map applies only
may should can will empty omitted optional required deprecated defaults cluster node service account
secret config endpoint scrape interval timeout tls certificate file mount read write access policy
rule alert metric target relabel action regex replacement separator source match expression operator
values effect toleration affinity weight term topology zone priority preemption probe handler http
tcp grpc exec command argument environment variable image pull request limit memory cpu storage
class capacity claim template annotation finalizer owner controller replicas shard retention
"""
_WORDS = tuple(_VOCABULARY.split())
_TYPES = ("string", "integer", "boolean")
SENTENCE_POOL = 1500


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 18))]
    return " ".join(words).capitalize() + "."


# Generated documentation repeats itself (the same phrases on every embedded field): descriptions are
# drawn from a pool of sentences rather than made up word by word.
_SENTENCES = [_sentence(random.Random(f"sentence-{i}")) for i in range(SENTENCE_POOL)]


def _description(rng: random.Random, name: str) -> str:
    return f"{name} " + " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(1, 4)))


def _field_name(rng: random.Random) -> str:
    first, second = rng.choice(_WORDS), rng.choice(_WORDS)
    return first + second.capitalize()


def _schema(rng: random.Random, depth: int, width: int) -> dict[str, Any]:
    """An object schema with `width` properties, nested `depth` levels deep, documented throughout."""
    properties: dict[str, Any] = {}
    for _ in range(width):
        name = _field_name(rng)
        kind = rng.random()
        if depth > 0 and kind < 0.25:
            properties[name] = {**_schema(rng, depth - 1, max(2, width // 2)), "description": _description(rng, name)}
        elif depth > 0 and kind < 0.35:
            item = _schema(rng, depth - 1, max(2, width // 2))
            properties[name] = {"type": "array", "items": item, "description": _description(rng, name)}
        else:
            field: dict[str, Any] = {"type": rng.choice(_TYPES), "description": _description(rng, name)}
            if field["type"] == "string" and rng.random() < 0.1:
                field["enum"] = sorted({rng.choice(_WORDS) for _ in range(3)})
            properties[name] = field
    return {"type": "object", "properties": dict(sorted(properties.items()))}


def _type_pool(seed: int, size: int = 12) -> list[dict[str, Any]]:
    """The embedded types: the same few appear in many CRDs, as Container or Affinity do."""
    rng = random.Random(f"pool-{seed}")
    return [_schema(rng, depth=5, width=7) for _ in range(size)]


def crd(index: int, group: str, seed: int = 0, embeds: int = 8) -> dict[str, Any]:
    """One CRD of ~110 KB as YAML (~90 KB as JSON): `embeds` pooled types and some fields of its own."""
    rng = random.Random(f"crd-{seed}-{index}")
    pool = _type_pool(seed)
    kind = f"Widget{index}"
    plural = f"widget{index}s"
    spec = _schema(rng, depth=2, width=12)
    for name in (_field_name(rng) for _ in range(embeds)):
        spec["properties"][name] = {**rng.choice(pool), "description": _description(rng, name)}
    schema = {
        "description": _description(rng, kind),
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string", "description": _description(rng, "apiVersion")},
            "kind": {"type": "string", "description": _description(rng, "kind")},
            "metadata": {"type": "object"},
            "spec": {**spec, "description": _description(rng, "spec")},
            "status": {**_schema(rng, depth=1, width=6), "description": _description(rng, "status")},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": f"widget{index}"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                }
            ],
        },
    }


def dump(documents: list[dict[str, Any]]) -> str:
    """Documents as one multi-document YAML file, as people write them (libyaml's emitter: fast)."""
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=100)


def crds_of_size(yaml_bytes: int, group: str, seed: int = 0, embeds: int = 8) -> str:
    """As many CRDs as make at least `yaml_bytes` of YAML, as one multi-document file (what `kubectl
    apply -f` and `fleetcast apply -f` read). More `embeds`: fewer, bigger CRDs (100: ~400 KB each)."""
    documents: list[str] = []
    total = 0
    while total < yaml_bytes:
        text = yaml.dump(crd(len(documents), group, seed, embeds), Dumper=_Dumper, sort_keys=False, width=100)
        documents.append(text)
        total += len(text) + 4
    return "---\n".join(documents)
