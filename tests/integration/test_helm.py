"""The renderer on the real Helm (built from its Go module, cached: the `helm_binary` fixture), rendering
tests/charts/web (Deployment, Service, ConfigMap, Ingress, HPA, a strict values.schema.json) per cluster."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hub.charts.archive import ChartArchive, chart, load_archive, load_directory, pack
from hub.charts.errors import RenderError, ValueViolation
from hub.charts.renderer import HelmRenderer
from hub.charts.values import expand, merged
from hub.sources.facts import ClusterFacts
from tests.helm import WEB_CHART

CLUSTERS = [
    ClusterFacts("cluster-1", {"env": "staging", "region": "eu-west"}, "v1.36.3"),
    ClusterFacts("cluster-2", {"env": "prod", "region": "us-east"}, "v1.36.3"),
]
VALUES: dict[str, Any] = {
    "image": {"tag": "1.27.1"},
    "ingress": {"host": "web.${cluster.labels.region}.example.com"},
    "config": {"cluster": "${cluster.name}", "env": "${cluster.labels.env}"},
}
# Per-cluster values as the lead's selector matching would pick them (here: env=prod).
PROD_VALUES: dict[str, Any] = {"autoscaling": {"enabled": False}, "replicas": 5}


@pytest.fixture
def web() -> ChartArchive:
    return load_directory(WEB_CHART)


@pytest.fixture
def renderer(helm_binary: Path) -> HelmRenderer:
    return HelmRenderer(helm_binary, timeout_seconds=60, max_parallel=4)


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in objects}


def values_for(facts: ClusterFacts) -> dict[str, Any]:
    overlays = [PROD_VALUES] if facts.labels.get("env") == "prod" else []
    return expand(merged(VALUES, *overlays), facts)


def with_files(archive: ChartArchive, files: dict[str, str]) -> ChartArchive:
    """The chart with some files (paths in the chart) added or replaced."""
    return chart({**archive.files, **{path: text.encode() for path, text in files.items()}})


async def test_a_chart_renders_per_cluster_with_its_facts_and_values(renderer: HelmRenderer, web: ChartArchive) -> None:
    staging, prod = [
        by_kind(
            await renderer.render(
                web, values_for(facts), release_name="shop", namespace="web", kube_version=facts.kubernetes_version
            )
        )
        for facts in CLUSTERS
    ]
    # Helm's order (ConfigMap, Service, Deployment, HPA, Ingress): install order, kept.
    assert list(staging) == ["ConfigMap", "Service", "Deployment", "HorizontalPodAutoscaler", "Ingress"]
    assert staging["Ingress"]["spec"]["rules"][0]["host"] == "web.eu-west.example.com"
    assert prod["Ingress"]["spec"]["rules"][0]["host"] == "web.us-east.example.com"
    assert staging["ConfigMap"]["data"] == {"cluster": "cluster-1", "env": "staging", "greeting": "hello"}
    assert prod["ConfigMap"]["data"] == {"cluster": "cluster-2", "env": "prod", "greeting": "hello"}
    # prod's own values: no autoscaler, five replicas; staging keeps the chart's defaults
    assert "HorizontalPodAutoscaler" not in prod
    assert prod["Deployment"]["spec"]["replicas"] == 5
    assert "replicas" not in staging["Deployment"]["spec"]
    container = staging["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27.1"
    # exactly as Helm renders: the chart sets no namespace, so none is filled in
    assert "namespace" not in staging["Deployment"]["metadata"]
    assert staging["Deployment"]["metadata"]["name"] == "shop"


async def test_a_packed_chart_renders_like_its_directory(renderer: HelmRenderer, web: ChartArchive) -> None:
    from_tgz = load_archive(pack(web))
    assert from_tgz.digest == web.digest
    values = values_for(CLUSTERS[0])
    assert await renderer.render(from_tgz, values, release_name="r", namespace="n") == await renderer.render(
        web, values, release_name="r", namespace="n"
    )


async def test_an_explicit_null_deletes_a_default_of_the_chart(renderer: HelmRenderer, web: ChartArchive) -> None:
    objects = await renderer.render(web, merged({"resources": {"limits": None}}), release_name="r", namespace="n")
    container = by_kind(objects)["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}}


async def test_values_outside_the_schema_name_each_path(renderer: HelmRenderer, web: ChartArchive) -> None:
    values = {"replicas": 0, "image": {"tag": "bad tag!"}, "region": "eu"}
    with pytest.raises(RenderError) as caught:
        await renderer.render(web, values, release_name="r", namespace="n")
    error = caught.value
    assert (error.chart, error.template, error.line) == ("web-1.0.0", None, None)
    assert set(error.violations) == {
        ValueViolation("values.replicas", "minimum: got 0, want 1"),
        ValueViolation("values.image.tag", "'bad tag!' does not match pattern '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'"),
        ValueViolation("values", "additional properties 'region' not allowed"),
    }
    assert str(error).startswith("chart web-1.0.0: values do not match values.schema.json: ")


async def test_a_template_error_names_the_template_and_line(renderer: HelmRenderer, web: ChartArchive) -> None:
    service = (WEB_CHART / "templates" / "service.yaml").read_text()
    broken = with_files(
        web, {"templates/service.yaml": service.replace(".Values.service.port", ".Values.service.missing.port")}
    )
    with pytest.raises(RenderError) as caught:
        await renderer.render(broken, {}, release_name="r", namespace="n")
    error = caught.value
    assert (error.template, error.line) == ("templates/service.yaml", 12)
    assert str(error) == (
        "chart web-1.0.0, template templates/service.yaml line 12: "
        "at <.Values.service.missing.port>: nil pointer evaluating interface {}.port"
    )


async def test_a_required_value_and_an_unknown_function(renderer: HelmRenderer, web: ChartArchive) -> None:
    required = with_files(
        web, {"templates/secret.yaml": 'kind: X\nx: {{ required "config.db is required" .Values.x }}\n'}
    )
    with pytest.raises(RenderError, match=r"template templates/secret\.yaml line 2: config\.db is required$"):
        await renderer.render(required, {}, release_name="r", namespace="n")
    unknown = with_files(web, {"templates/e.yaml": "{{ badfn 1 }}\n"})
    with pytest.raises(RenderError, match=r'template templates/e\.yaml line 1: function "badfn" not defined$'):
        await renderer.render(unknown, {}, release_name="r", namespace="n")


async def test_a_chart_for_newer_kubernetes_is_refused_for_an_older_cluster(
    renderer: HelmRenderer, web: ChartArchive
) -> None:
    newer = with_files(web, {"Chart.yaml": (WEB_CHART / "Chart.yaml").read_text() + 'kubeVersion: ">=1.37.0-0"\n'})
    with pytest.raises(RenderError, match=r"^chart web-1\.0\.0: chart requires kubeVersion: >=1\.37\.0-0 .* v1\.36\.3"):
        await renderer.render(newer, {}, release_name="r", namespace="n", kube_version="v1.36.3")
    assert await renderer.render(newer, {}, release_name="r", namespace="n", kube_version="v1.37.0")


async def test_crds_come_first_and_hooks_and_tests_are_left_out(renderer: HelmRenderer, web: ChartArchive) -> None:
    extended = with_files(
        web,
        {
            "crds/widgets.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
            "metadata:\n  name: widgets.example.com\n",
            "templates/migrate.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
            "  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n",
            "templates/tests/ping.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ping\n"
            "  annotations:\n    helm.sh/hook: test\n",
        },
    )
    rendering = await renderer.rendering(extended, {}, release_name="r", namespace="n")
    kinds = [o["kind"] for o in rendering.objects]
    assert kinds[0] == "CustomResourceDefinition"
    assert "Job" not in kinds and "Pod" not in kinds
    assert sorted(rendering.skipped_hooks) == ["Job/migrate (pre-install,pre-upgrade)", "Pod/ping (test)"]


async def test_a_render_that_takes_too_long_is_stopped(helm_binary: Path, web: ChartArchive) -> None:
    impatient = HelmRenderer(helm_binary, timeout_seconds=0.001, max_parallel=1)
    with pytest.raises(RenderError, match=r"^chart web-1\.0\.0: helm template did not finish within 0\.001s"):
        await impatient.render(web, {}, release_name="r", namespace="n")


async def test_a_helm_that_cannot_run_is_a_render_error(tmp_path: Path, web: ChartArchive) -> None:
    with pytest.raises(RenderError, match=r"cannot run Helm"):
        await HelmRenderer(tmp_path / "no-helm").render(web, {}, release_name="r", namespace="n")


async def test_parallel_renders_are_bounded_and_agree_with_sequential_ones(
    helm_binary: Path, web: ChartArchive, tmp_path: Path
) -> None:
    # The real Helm behind a wrapper that logs when each run starts and ends, and holds the first runs
    # until two have started (a minute at most): two renders provably run at once, never more.
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "helm"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"echo start >> {log}\n"
        f'for i in $(seq 600); do [ "$(grep -c start {log})" -ge 2 ] && break; sleep 0.1; done\n'
        f'"{helm_binary}" "$@"\nrc=$?\necho end >> {log}\nexit $rc\n'
    )
    wrapper.chmod(0o755)
    parallel = HelmRenderer(wrapper, timeout_seconds=120, max_parallel=2)
    sequential = HelmRenderer(helm_binary, timeout_seconds=60, max_parallel=1)
    clusters = [ClusterFacts(f"cluster-{i}", {"env": "prod", "region": f"r{i}"}, "v1.36.3") for i in range(8)]

    async def render(renderer: HelmRenderer, facts: ClusterFacts) -> list[dict[str, Any]]:
        return await renderer.render(web, values_for(facts), release_name="shop", namespace="web")

    together = await asyncio.gather(*(render(parallel, facts) for facts in clusters))
    one_by_one = [await render(sequential, facts) for facts in clusters]
    assert together == one_by_one
    hosts = [by_kind(objects)["Ingress"]["spec"]["rules"][0]["host"] for objects in together]
    assert hosts == [f"web.r{i}.example.com" for i in range(8)]

    running = most = 0
    lines = log.read_text().split()
    for line in lines:
        running += 1 if line == "start" else -1
        most = max(most, running)
    assert lines.count("start") == lines.count("end") == 8
    assert most == 2


async def test_the_hub_renders_with_the_helm_its_settings_name(
    helm_binary: Path, web: ChartArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.settings import HubSettings

    monkeypatch.setenv("FLEETCAST_HUB_HELM_BINARY", str(helm_binary))
    monkeypatch.setenv("FLEETCAST_HUB_HELM_MAX_PARALLEL", "2")
    renderer = HelmRenderer.from_settings(HubSettings())
    assert (renderer.binary, renderer.timeout_seconds, renderer.max_parallel) == (helm_binary, 30.0, 2)
    assert by_kind(await renderer.render(web, {}, release_name="r", namespace="n"))["Deployment"]


async def test_clusters_with_the_same_input_are_rendered_once_and_failures_stay_theirs(
    renderer: HelmRenderer, web: ChartArchive
) -> None:
    from hub.charts.renderer import ClusterInput

    facts = [ClusterFacts(f"cluster-{i}", {"env": "prod", "region": f"r{i % 2}"}, "v1.36.3") for i in range(6)]
    by_region = {"ingress": {"host": "web.${cluster.labels.region}.example.com"}}
    inputs = {f.name: ClusterInput(expand(by_region, f), f.kubernetes_version) for f in facts}
    inputs["cluster-5"] = ClusterInput({"replicas": 0}, "v1.36.3")  # outside the schema: its own error
    result = await renderer.render_clusters(web, inputs, release_name="shop", namespace="web")
    assert result.helm_runs == 3
    assert sorted(result.renderings) == [f"cluster-{i}" for i in range(5)]
    assert list(result.errors) == ["cluster-5"]
    assert [v.path for v in result.errors["cluster-5"].violations] == ["values.replicas"]
    for name, rendering in result.renderings.items():
        host = by_kind(rendering.objects)["Ingress"]["spec"]["rules"][0]["host"]
        assert host == f"web.r{int(name[-1]) % 2}.example.com"
    # Shared renders are each cluster's own copy.
    assert result.renderings["cluster-0"].objects is not result.renderings["cluster-2"].objects
    assert result.renderings["cluster-0"].objects == result.renderings["cluster-2"].objects
