"""The one I/O shell around Helm: `helm template` of a chart with values, for one cluster (`render`,
`rendering`), or for many (`render_clusters`: one Helm run per distinct input, in parallel).

Each render runs in a private temporary directory holding the packed chart and the values (JSON), with
Helm's own homes pointed there too, so no user's repositories, plugins or kubeconfig take part and
renders never see each other. `helm template` contacts no cluster (`lookup` finds nothing).

Hooks and tests. A fleet controller applies desired state continuously (server-side apply, drift
corrected); there is no install, upgrade or delete moment for a `pre-install` or `post-upgrade` hook
to run at, and nothing runs `helm test`. Applied as plain objects, hooks would go wrong: a migration
Job would run once and then stay (and its next change would fail, a Job's template being immutable),
a test Pod would run on every cluster. So objects annotated `helm.sh/hook` (tests are hooks too) are
left out of what is applied, exactly as `helm template --no-hooks` leaves them out, and named in
`Rendering.skipped_hooks` so the release can say so. CRDs in the chart's `crds/` are included
(`--include-crds`): `helm install` installs them too, and a fleet applies them like any object.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hub.charts.archive import ChartArchive, pack
from hub.charts.binary import find_helm
from hub.charts.errors import RenderError, parse_helm_error
from hub.manifests import yaml_documents

if TYPE_CHECKING:  # the offline CLI renders too, without the hub's settings (and their Kafka imports)
    from hub.settings import HubSettings

HOOK_ANNOTATION = "helm.sh/hook"
# Packed archives kept for charts rendered recently: a release renders one chart for every cluster.
_PACKED_KEPT = 32


@dataclass(frozen=True)
class Rendering:
    """What Helm rendered for one cluster: the objects to apply, in Helm's order, and the hooks left out
    (`Job/db-migrate (pre-install,pre-upgrade)`)."""

    objects: list[dict[str, Any]]
    skipped_hooks: list[str] = field(default_factory=list)


def split_hooks(documents: list[Any], chart_label: str) -> Rendering:
    """Helm's rendered documents as objects to apply and hooks left out. Pure."""
    objects: list[dict[str, Any]] = []
    hooks: list[str] = []
    for document in documents:
        if not isinstance(document, dict):
            # Helm refuses these itself; were one to slip through, it is the chart's fault, named.
            raise RenderError(chart_label, None, None, f"rendered a document that is not an object: {document!r:.80}")
        metadata = document.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        hook = annotations.get(HOOK_ANNOTATION) if isinstance(annotations, dict) else None
        if hook is None:
            objects.append(document)
            continue
        name = metadata.get("name") if isinstance(metadata, dict) else None
        hooks.append(f"{document.get('kind', '<no kind>')}/{name or '<no name>'} ({hook})")
    return Rendering(objects, hooks)


@dataclass(frozen=True)
class ClusterInput:
    """What one cluster's rendering depends on besides the chart: its values (references expanded) and
    the Kubernetes version it reported."""

    values: dict[str, Any]
    kube_version: str | None = None

    def key(self) -> str:
        """The same for inputs Helm renders alike (map order aside)."""
        return json.dumps([self.values, self.kube_version], sort_keys=True, separators=(",", ":"), default=str)


def distinct_inputs(inputs: Mapping[str, ClusterInput]) -> list[tuple[ClusterInput, list[str]]]:
    """Clusters grouped by identical input, each group once with its clusters, in first-seen order. Pure."""
    groups: dict[str, tuple[ClusterInput, list[str]]] = {}
    for cluster, given in inputs.items():
        groups.setdefault(given.key(), (given, []))[1].append(cluster)
    return list(groups.values())


@dataclass(frozen=True)
class ClusterRenderings:
    """Every cluster's rendering, or its error (a cluster is in exactly one of the two)."""

    renderings: dict[str, Rendering]
    errors: dict[str, RenderError]
    # How many times Helm ran: once per distinct input.
    helm_runs: int


class HelmRenderer:
    """Runs `helm template` for a chart and values; at most `max_parallel` at once, each killed after
    `timeout_seconds`. Failures are RenderError naming the chart, template and line."""

    def __init__(self, binary: Path, timeout_seconds: float = 30.0, max_parallel: int = 4) -> None:
        self.binary = binary
        self.timeout_seconds = timeout_seconds
        self.max_parallel = max_parallel
        self._slots = asyncio.Semaphore(max_parallel)
        self._packed: OrderedDict[str, bytes] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: HubSettings) -> HelmRenderer:
        """The hub's renderer: the Helm `find_helm` finds (HelmNotFound when there is none)."""
        return cls(find_helm(settings.helm_binary), settings.helm_timeout_seconds, settings.helm_max_parallel)

    async def render(
        self,
        chart: ChartArchive,
        values: dict[str, Any],
        *,
        release_name: str,
        namespace: str,
        kube_version: str | None = None,
    ) -> list[dict[str, Any]]:
        """The objects Helm renders (hooks left out, see the module's docstring), exactly as it renders
        them: in its order, namespaces as the chart sets them (none filled in)."""
        rendering = await self.rendering(
            chart, values, release_name=release_name, namespace=namespace, kube_version=kube_version
        )
        return rendering.objects

    async def rendering(
        self,
        chart: ChartArchive,
        values: dict[str, Any],
        *,
        release_name: str,
        namespace: str,
        kube_version: str | None = None,
    ) -> Rendering:
        """`render`, and the hooks it left out."""
        try:
            values_json = json.dumps(values)
        except (TypeError, ValueError) as error:
            raise RenderError(chart.label, None, None, f"values are not JSON: {error}") from error
        archive = self._pack(chart)
        async with self._slots:
            stdout = await self._run(chart, archive, values_json, release_name, namespace, kube_version)
        try:
            documents = await asyncio.to_thread(yaml_documents, stdout)
        except yaml.YAMLError as error:
            raise RenderError(chart.label, None, None, f"Helm's output does not parse as YAML: {error}") from error
        return split_hooks(documents, chart.label)

    async def render_clusters(
        self, chart: ChartArchive, inputs: Mapping[str, ClusterInput], *, release_name: str, namespace: str
    ) -> ClusterRenderings:
        """The chart rendered for each cluster (`inputs`: cluster -> its input), Helm running once per
        distinct input (clusters whose values and Kubernetes version agree share it), up to `max_parallel`
        at once. A cluster whose render fails has its RenderError instead; the others still render."""
        groups = distinct_inputs(inputs)

        async def one(given: ClusterInput) -> Rendering | RenderError:
            try:
                return await self.rendering(
                    chart, given.values, release_name=release_name, namespace=namespace, kube_version=given.kube_version
                )
            except RenderError as error:
                return error

        outcomes = await asyncio.gather(*(one(given) for given, _ in groups))
        renderings: dict[str, Rendering] = {}
        errors: dict[str, RenderError] = {}
        for (_, clusters), outcome in zip(groups, outcomes, strict=True):
            for cluster in clusters:
                if isinstance(outcome, RenderError):
                    errors[cluster] = outcome
                else:
                    # Each cluster its own copy: what one cluster's processing does to its objects stays its own.
                    renderings[cluster] = copy.deepcopy(outcome)
        return ClusterRenderings(renderings, errors, helm_runs=len(groups))

    def _pack(self, chart: ChartArchive) -> bytes:
        digest = chart.digest
        packed = self._packed.get(digest)
        if packed is None:
            packed = pack(chart)
            self._packed[digest] = packed
            if len(self._packed) > _PACKED_KEPT:
                self._packed.popitem(last=False)
        else:
            self._packed.move_to_end(digest)
        return packed

    async def _run(
        self,
        chart: ChartArchive,
        archive: bytes,
        values_json: str,
        release_name: str,
        namespace: str,
        kube_version: str | None,
    ) -> str:
        with tempfile.TemporaryDirectory(prefix="fleetcast-helm-") as workdir:
            home = Path(workdir)
            chart_file = home / "chart.tgz"
            values_file = home / "values.json"
            # Small files in a fresh private directory: writing them is quicker than a thread hop.
            chart_file.write_bytes(archive)
            values_file.write_text(values_json)
            argv = [
                str(self.binary),
                "template",
                release_name,
                str(chart_file),
                "-f",
                str(values_file),
                "--namespace",
                namespace,
                "--include-crds",
                *(["--kube-version", kube_version] if kube_version else []),
            ]
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": workdir,
                "HELM_CACHE_HOME": str(home / "cache"),
                "HELM_CONFIG_HOME": str(home / "config"),
                "HELM_DATA_HOME": str(home / "data"),
                "KUBECONFIG": str(home / "no-kubeconfig"),
            }
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    cwd=workdir,
                    env=env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            except OSError as error:
                raise RenderError(chart.label, None, None, f"cannot run Helm ({self.binary}): {error}") from error
            try:
                stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=self.timeout_seconds)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise RenderError(
                    chart.label,
                    None,
                    None,
                    f"helm template did not finish within {self.timeout_seconds:g}s and was stopped",
                ) from None
            except BaseException:  # cancelled: leave no Helm running
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
                raise
        if proc.returncode != 0:
            raise parse_helm_error(stderr.decode(errors="replace"), chart.label, chart.name)
        return stdout.decode()
