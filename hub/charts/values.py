"""Values for a chart: merging layers the way Helm does, and the `${cluster...}` references a cluster's
facts fill in. Pure.

Merging follows Helm (helm.sh/helm/v3 pkg/cli/values/options.go `mergeMaps`, what `-f a -f b` does):
maps merge key by key, anything else (lists included) is replaced by the later layer, and an explicit
null is kept, so that Helm's coalescing with the chart's own values.yaml (pkg/chartutil/coalesce.go)
deletes that key, default included. `pruned` drops the nulls, for values that meet no chart.

Cluster facts are not injected as values (a strict values.schema.json refuses unknown keys such as
`global`): they reach values through references written in strings, expanded per cluster:
`${cluster.name}`, `${cluster.labels.KEY}`, `${cluster.kubernetesVersion}`. Only `${cluster.` starts a
reference; other `${...}` (shell or env text a ConfigMap carries) is left alone; `$${` is a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hub.sources.facts import ClusterFacts

Values = dict[str, Any]

# `$${` (escape), a terminated `${cluster.WHAT}`, or an unterminated `${cluster.` (an error).
_REFERENCE = re.compile(r"\$\$\{|\$\{cluster\.(?:(?P<what>[^}]*)\}|(?P<open>))")
KNOWN_REFERENCES = ("${cluster.name}", "${cluster.labels.KEY}", "${cluster.kubernetesVersion}")


class ValuesError(ValueError):
    """Values that cannot be used for a cluster; the message names the values path (`values.ingress.host`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def merged(base: Mapping[str, Any], *overlays: Mapping[str, Any]) -> Values:
    """`base` with each overlay merged over it in turn (later wins), as Helm merges `-f` files: maps
    merge recursively, everything else replaces, nulls are kept (Helm then deletes those keys from the
    chart's defaults). The inputs are not modified."""
    out: Values = _copied(base)
    for overlay in overlays:
        out = _merge_two(out, overlay)
    return out


def _merge_two(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> Values:
    out = dict(base)
    for key, value in overlay.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = _merge_two(current, value)
        else:
            out[key] = _copied(value)
    return out


def _copied(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def pruned(values: Mapping[str, Any]) -> Values:
    """`values` without its null-valued keys (at any depth in maps): what a null means once every layer is
    merged and no chart's defaults follow (`pruned(merged(defaults, given))` is Helm's coalescing)."""
    return {k: pruned(v) if isinstance(v, Mapping) else _copied(v) for k, v in values.items() if v is not None}


def expand(values: Mapping[str, Any], facts: ClusterFacts, root: str = "values") -> Values:
    """`values` with every `${cluster...}` reference in its strings (map keys excepted) replaced by the
    cluster's fact; strings stay strings. ValuesError naming the path (`values.hosts[0]`) for an unknown
    reference, a label the cluster lacks, or a Kubernetes version it has not reported yet."""
    return {key: _expand(value, facts, f"{root}.{key}") for key, value in values.items()}


def _expand(value: Any, facts: ClusterFacts, path: str) -> Any:
    if isinstance(value, str):
        return _expand_string(value, facts, path)
    if isinstance(value, Mapping):
        return {key: _expand(item, facts, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, facts, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _expand_string(text: str, facts: ClusterFacts, path: str) -> str:
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match[0] == "$${":
            return "${"
        if match["open"] is not None:
            raise ValuesError(path, f"unterminated reference {text[match.start() :]!r} (a `}}` is missing)")
        return _fact(match["what"], facts, path)

    return _REFERENCE.sub(replace, text)


def _fact(what: str, facts: ClusterFacts, path: str) -> str:
    if what == "name":
        return facts.name
    if what == "kubernetesVersion":
        if facts.kubernetes_version is None:
            raise ValuesError(path, f"cluster {facts.name} has not reported its Kubernetes version yet")
        return facts.kubernetes_version
    if what.startswith("labels.") and len(what) > len("labels."):
        key = what.removeprefix("labels.")
        if key not in facts.labels:
            raise ValuesError(path, f"cluster {facts.name} has no label {key}")
        return facts.labels[key]
    known = ", ".join(KNOWN_REFERENCES)
    raise ValuesError(path, f"unknown reference ${{cluster.{what}}}; known: {known} (write $${{ for a literal ${{)")


def for_cluster(facts: ClusterFacts, *layers: tuple[str, Mapping[str, Any]]) -> Values:
    """The values of one cluster from named layers, first to last (`("values", app_values),
    ("clusterValues[1].values", overlay)`): each expanded for the cluster, so that an error names the layer
    the bad reference was written in, then merged. What it gives is what merging first would (expansion
    changes strings only), but a bad reference is refused even where a later layer overrides it."""
    return merged({}, *(expand(values, facts, root) for root, values in layers))


def references(values: Mapping[str, Any]) -> set[str]:
    """The facts `values` refers to (`name`, `kubernetesVersion`, `labels.region`): which clusters'
    renderings can differ, and what a cluster must have for them. Escapes and unterminated ones are skipped."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update(m["what"] for m in _REFERENCE.finditer(value) if m["what"] is not None)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(values)
    return found
