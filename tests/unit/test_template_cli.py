"""`fleetcast template publish` reads Template documents: its chart and manifests paths relative to the
file, every problem named; the example in docs/ is a template the hub accepts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from deploy.cli import build_parser
from hub.charts.archive import load_archive
from hub.client.http import HubError
from hub.client.templates import template_documents
from hub.templates.spec import TemplateIn, parse_template

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/templates/web-service"


def test_the_documented_example_is_a_valid_template() -> None:
    path = EXAMPLE / "template.yaml"
    [(name, body)] = template_documents(path.read_text(), str(path), path.parent)
    assert name == "web-service"
    assert list(body["manifests"]) == ["deployment.yaml", "service.yaml"]
    spec = parse_template(name, TemplateIn.model_validate(body))
    assert sorted(spec.source.files) == ["Chart.yaml", "templates/01-deployment.yaml", "templates/02-service.yaml"]
    assert spec.cluster_overridable == ["replicas"]


def test_a_chart_directory_is_packed_and_globs_and_inline_manifests_are_read(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "a.yaml").write_text("kind: A\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "b.yaml").write_text("kind: B\n")
    (tmp_path / "m" / "a.yaml").write_text("kind: A\n")
    text = """
apiVersion: fleetcast.dev/v1
kind: Template
metadata: {name: from-chart}
spec: {chart: chart}
---
apiVersion: fleetcast.dev/v1
kind: Template
metadata: {name: from-manifests}
spec:
  manifests:
    - m/*.yaml
    - |
      kind: C
"""
    (first, chart_body), (second, manifests_body) = template_documents(text, "t.yaml", tmp_path)
    assert (first, second) == ("from-chart", "from-manifests")
    archive = load_archive(base64.b64decode(chart_body["chart"]["archive"]))
    assert archive.name == "web" and sorted(archive.files) == ["Chart.yaml", "templates/a.yaml"]
    assert manifests_body["manifests"] == {
        "m/a.yaml": "kind: A\n",
        "m/b.yaml": "kind: B\n",
        "inline-2.yaml": "kind: C\n",
    }


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("{chart: nowhere}", "t.yaml (x): spec.chart: "),
        ("{chart: ../outside}", "is outside the document's directory"),
        ("{manifests: ['*.none']}", "t.yaml (x): spec.manifests[0]: *.none matches no file"),
        ("{manifests: []}", "spec.manifests: must be a non-empty list"),
    ],
)
def test_a_bad_document_is_refused_naming_the_field(tmp_path: Path, spec: str, problem: str) -> None:
    text = f"apiVersion: fleetcast.dev/v1\nkind: Template\nmetadata: {{name: x}}\nspec: {spec}\n"
    with pytest.raises(HubError) as caught:
        template_documents(text, "t.yaml", tmp_path)
    assert problem in str(caught.value)


def test_every_document_problem_at_once(tmp_path: Path) -> None:
    text = "kind: Policy\nmetadata: {name: a}\nspec: {}\n---\napiVersion: fleetcast.dev/v1\nkind: Template\n"
    with pytest.raises(HubError) as caught:
        template_documents(text, "t.yaml", tmp_path)
    assert str(caught.value).splitlines() == [
        "t.yaml: document 1: apiVersion is None, expected fleetcast.dev/v1",
        "t.yaml: document 1: kind is 'Policy', expected Template",
        "t.yaml: document 2: metadata.name is missing",
        "t.yaml: document 2: spec is missing",
    ]


def test_the_commands_parse() -> None:
    parser = build_parser()
    args = parser.parse_args(["template", "show", "web", "--revision", "2", "-o", "json"])
    assert (args.name, args.revision, args.output) == ("web", 2, "json")
    assert parser.parse_args(["template", "publish", "-f", "t.yaml"]).file == "t.yaml"
