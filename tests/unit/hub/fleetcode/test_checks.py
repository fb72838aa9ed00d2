"""References and specs checked offline, and the validate pass over an inventory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hub.fleetcode.checks import dependency_cycle, reference_problems
from hub.fleetcode.documents import Document
from hub.fleetcode.inventory import parse_inventory
from hub.fleetcode.loader import load
from hub.fleetcode.validate import Finding, RenderError, validate
from hub.sources.facts import ClusterFacts
from tests.unit.hub.fleetcode.test_loader import DEPLOYMENT, write


def app(name: str, **spec: Any) -> Document:
    return Document("Application", name, {"selector": "", "manifests": [], **spec}, f"{name}.yaml", 1)


def test_references_to_templates_strategies_and_dependencies_must_exist() -> None:
    problems = [
        str(p)
        for p in reference_problems(
            [app("web", template="base", strategy="waves", dependsOn=["db"]), app("api", selector="env in (")]
        )
    ]
    assert "web.yaml:1: Application web: template 'base' is not defined in this directory" in problems
    assert "web.yaml:1: Application web: strategy 'waves' is not defined in this directory" in problems
    assert "web.yaml:1: Application web: dependsOn: application 'db' is not defined in this directory" in problems
    assert any(p.startswith("api.yaml:1: Application api: selector:") for p in problems)


def test_a_dependency_cycle_is_named() -> None:
    docs = [app("a", dependsOn=["b"]), app("b", dependsOn=["c"]), app("c", dependsOn=["a"]), app("d")]
    cycle = dependency_cycle(docs)
    assert cycle is not None and set(cycle) == {"a", "b", "c"} and cycle[0] == cycle[-1]
    assert any("dependency cycle" in str(p) for p in reference_problems(docs))


def test_strategy_subscription_drift_and_override_specs_are_parsed() -> None:
    docs = [
        Document("Strategy", "s", {"waves": [{"name": "w", "maxConcurrency": "lots"}]}, "s.yaml", 3),
        Document("Subscription", "n", {"url": "ftp://x", "events": ["rollout.*"]}, "n.yaml", 1),
        app("web", drift={"mode": "sometimes"}, imageOverrides={"nginx": ""}),
    ]
    problems = [str(p) for p in reference_problems(docs)]
    assert any(p.startswith("s.yaml:3: Strategy s: waves.0.maxConcurrency") for p in problems)
    assert any(p.startswith("n.yaml:1: Subscription n: url") for p in problems)
    assert any("Application web: drift:" in p for p in problems)
    assert any("Application web: imageOverrides:" in p for p in problems)


def test_inventory() -> None:
    clusters, problems = parse_inventory(
        "clusters:\n- {name: eu-1, labels: {env: prod}, kubernetesVersion: v1.34.1}\n- {name: dev}\n"
    )
    assert problems == []
    assert clusters == [ClusterFacts("eu-1", {"env": "prod"}, "v1.34.1"), ClusterFacts("dev", {}, None)]
    _, problems = parse_inventory("clusters:\n- {name: Bad_Name, colour: red}\n", "inv.yaml")
    assert problems and all(p.file == "inv.yaml" for p in problems)


class DenyLatest:
    def check(
        self, policies: Sequence[Document], cluster: ClusterFacts, objects: Sequence[dict[str, Any]]
    ) -> list[Finding]:
        return [Finding("no-latest", "Deployment/shop/web", "image tag", deny=True) for _ in objects[:1]]


class Failing:
    def prepare(
        self, application: Document, clusters: Sequence[ClusterFacts], templates: Mapping[str, Document]
    ) -> str | None:
        return None

    def render(
        self, application: Document, cluster: ClusterFacts, templates: Mapping[str, Document]
    ) -> list[dict[str, Any]] | None:
        raise RenderError(f"template: web/templates/d.yaml:7:21: executing on {cluster.name}")


def test_validate_renders_each_application_for_each_selected_cluster(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "web.yaml": "apiVersion: fleetcast.dev/v1\nkind: Application\nmetadata: {name: web}\n"
            "spec: {selector: env=prod, manifests: [d.yaml]}\n",
            "d.yaml": DEPLOYMENT,
        },
    )
    clusters = [ClusterFacts("a", {"env": "prod"}), ClusterFacts("b", {"env": "prod"}), ClusterFacts("c", {})]
    report = validate(load(root), clusters)
    assert (report.problems, report.rendered, report.applications, report.clusters) == ([], 2, 1, 3)
    denied = validate(load(root), clusters, policy_check=DenyLatest())
    assert [str(p) for p in denied.problems] == [
        "web.yaml:1: Application web on cluster a: policy no-latest: Deployment/shop/web: image tag",
        "web.yaml:1: Application web on cluster b: policy no-latest: Deployment/shop/web: image tag",
    ]
    failed = validate(load(root), clusters, renderer=Failing())
    assert len(failed.problems) == 2 and "executing on a" in str(failed.problems[0])
    assert "1 applications x 3 clusters: 0 rendered" in failed.summary()


def test_validate_says_how_far_it_got_when_it_takes_long(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            f"app{i}.yaml": f"apiVersion: fleetcast.dev/v1\nkind: Application\nmetadata: {{name: app{i}}}\n"
            "spec: {selector: '', manifests: [d.yaml]}\n"
            for i in range(3)
        }
        | {"d.yaml": DEPLOYMENT},
    )
    ticks = iter(range(100))
    heard: list[str] = []
    validate(load(root), [ClusterFacts("a")], progress=heard.append, progress_every=1, monotonic=lambda: next(ticks))
    assert heard and heard[-1].startswith("rendered 3/3 applications")
