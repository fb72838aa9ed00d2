"""Loading a fleet directory: documents with their lines, paths resolved, every problem at once."""

from __future__ import annotations

from pathlib import Path

from hub.fleetcode.documents import APPLICATION, STRATEGY
from hub.fleetcode.loader import load

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27.4"}]}
"""

WEB = """\
apiVersion: fleetcast.dev/v1
kind: Application
metadata: {name: web}
spec:
  selector: env=prod
  manifests: [manifests/*.yaml]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_fleet_directory_loads_documents_with_their_lines_and_resolves_manifests(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "applications/web/app.yaml": "# the web shop\n" + WEB,
            "applications/web/manifests/deploy.yaml": DEPLOYMENT,
            "strategies/waves.yaml": "apiVersion: fleetcast.dev/v1\nkind: Strategy\nmetadata: {name: waves}\n"
            "spec: {waves: [{name: all, selector: ''}]}\n---\n"
            "apiVersion: fleetcast.dev/v1\nkind: Strategy\nmetadata: {name: other}\nspec: {waves: []}\n",
        },
    )
    loaded = load(root)
    assert loaded.problems == []
    web = next(d for d in loaded.documents if d.kind == APPLICATION)
    assert (web.name, web.file, web.line) == ("web", "applications/web/app.yaml", 2)
    assert web.spec["manifests"][0]["metadata"]["name"] == "web"
    assert web.line_of("manifests") == 7
    strategies = [(d.name, d.line) for d in loaded.documents if d.kind == STRATEGY]
    assert strategies == [("waves", 1), ("other", 6)]
    assert "applications/web/manifests/deploy.yaml" in loaded.referenced


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "a.yaml": WEB.replace("manifests/*.yaml", "missing.yaml"),
            "b.yaml": WEB + "  colour: blue\n",
            "c.yaml": "apiVersion: fleetcast.dev/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {}\n",
            "d.yaml": WEB,  # a duplicate of b's name
            "stray.yaml": DEPLOYMENT,
            "broken.yaml": "a: [1, 2\n",
        },
    )
    problems = [str(p) for p in load(root).problems]
    assert "a.yaml:6: Application web: manifests: no file matches missing.yaml" in problems
    assert "b.yaml:7: Application web: unknown field spec.colour" in problems
    assert any(p.startswith("c.yaml:2: unknown kind 'Gadget'") for p in problems)
    assert any(p.startswith("d.yaml:6: Application web: manifests: no file matches manifests/*.yaml") for p in problems)
    assert "stray.yaml:1: not a Fleetcast document and not referenced by any manifests:" in problems
    assert any(p.startswith("broken.yaml:2: not valid YAML") for p in problems)
    assert any("duplicate Application web" in p for p in problems)


def test_exactly_one_source(tmp_path: Path) -> None:
    root = write(tmp_path, {"a.yaml": WEB + "  template: base\n", "manifests/d.yaml": DEPLOYMENT})
    assert [str(p) for p in load(root).problems] == [
        "a.yaml:1: Application web: give exactly one of manifests, chart or template (manifests, template given)"
    ]


def test_an_application_repository_is_its_fleetcast_yaml(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "fleetcast.yaml": WEB.replace("manifests/*.yaml", "deploy/*.yaml") + "  dependsOn: [db]\n",
            "deploy/d.yaml": DEPLOYMENT,
            "src/config.yaml": "not: fleetcast\n",  # the application's own files are none of our business
        },
    )
    loaded = load(root)
    assert loaded.application_repository
    assert loaded.problems == []
    assert [d.name for d in loaded.documents] == ["web"]


def test_a_chart_directory_is_read_and_its_templates_are_not_documents(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "charts/web/templates/d.yaml": "{{ if .Values.x }}\nkind: {{ .Values.kind }}\n{{ end }}\n",
            "applications/web.yaml": WEB.replace("manifests: [manifests/*.yaml]", "chart: ../charts/web"),
        },
    )
    loaded = load(root)
    assert loaded.problems == []
    (web,) = loaded.documents
    assert web.chart is not None and web.chart.label == "web-1.0.0"


def test_a_missing_chart_is_a_problem(tmp_path: Path) -> None:
    root = write(tmp_path, {"a.yaml": WEB.replace("manifests: [manifests/*.yaml]", "chart: nowhere")})
    assert [str(p) for p in load(root).problems] == [
        "a.yaml:6: Application web: chart nowhere: no such file or directory"
    ]


def test_template_manifests_stay_text(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "templates/base.yaml": "apiVersion: fleetcast.dev/v1\nkind: Template\nmetadata: {name: base}\n"
            "spec:\n  manifests: [files/*.yaml]\n  parameters: {type: object}\n",
            "templates/files/d.yaml": "replicas: {{ .Values.replicas }\n",  # not YAML, not a problem
        },
    )
    loaded = load(root)
    assert loaded.problems == []
    assert loaded.documents[0].spec["manifests"] == ["replicas: {{ .Values.replicas }\n"]
