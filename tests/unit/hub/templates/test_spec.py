"""Parsing and checking a template: every problem at once, each naming its field."""

from __future__ import annotations

import base64

import pytest

from hub.charts.archive import chart, load_archive, pack
from hub.templates.charts import chart_from_manifests
from hub.templates.spec import TemplateError, TemplateSpec, parse_document, parse_template
from tests.unit.hub.templates.conftest import DEPLOYMENT, web_service_body


def problems_of(**changes: object) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        parse_template("web-service", web_service_body(**changes))
    return caught.value.problems


def test_manifests_become_a_chart_helm_can_read() -> None:
    archive = chart_from_manifests("web", "0.1.0", {"deployment.yaml": DEPLOYMENT, "svc": "kind: Service\n"})
    assert archive.name == "web" and archive.version == "0.1.0"
    assert sorted(archive.files) == ["Chart.yaml", "templates/01-deployment.yaml", "templates/02-svc.yaml"]
    assert load_archive(pack(archive)).digest == archive.digest


def test_a_valid_template_parses(web_service: TemplateSpec) -> None:
    assert web_service.kind == "manifests"
    assert web_service.cluster_overridable == ["replicas", "resources.cpu"]
    assert [str(s) for s, _ in web_service.cluster_values] == ["env=prod"]
    stored = web_service.dump()
    assert stored["source"]["digest"] == web_service.source.digest
    again = TemplateSpec.load("web-service", stored, web_service.source)
    assert again.digest() == web_service.digest()


def test_the_same_template_twice_has_the_same_digest() -> None:
    assert parse_template("a", web_service_body()).digest() == parse_template("a", web_service_body()).digest()
    other = parse_template("a", web_service_body(values={"replicas": 3}))
    assert other.digest() != parse_template("a", web_service_body()).digest()


def test_a_chart_template_parses() -> None:
    archive = chart({"Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.2.0\n", "templates/a.yaml": b"kind: X\n"})
    body = web_service_body(manifests=None, chart={"archive": base64.b64encode(pack(archive)).decode()})
    spec = parse_template("web-service", body)
    assert spec.kind == "chart" and spec.source.digest == archive.digest


def test_every_problem_at_once_each_naming_its_field() -> None:
    problems = problems_of(
        chart={"archive": "not base64!"},
        parameters={"type": "object", "properties": {"replicas": {"type": "integer"}, "memory": {"type": "string"}}},
        locked={"replicas": 3},
        cluster_overridable=["replicas", "cpu"],
        cluster_values=[{"selector": "env in ()", "values": {}}],
    )
    assert problems[0] == "exactly one of chart and manifests must be given"
    assert any(p.startswith("cluster_overridable[1]: cpu is not a parameter of this template") for p in problems)
    assert any(p.startswith("locked.replicas: is also a parameter operators may set") for p in problems)
    assert any(p.startswith("cluster_values[0].selector: invalid selector") for p in problems)
    assert len(problems) == 4


def test_an_invalid_json_schema_is_refused() -> None:
    problems = problems_of(parameters={"type": "object", "properties": {"size": {"enum": "small"}}})
    assert problems == ["parameters['properties']['size']['enum']: 'small' is not of type 'array'"]
    assert problems_of(parameters={"type": "string"}) == [
        "parameters: must describe an object of values (type: object), not type 'string'"
    ]


def test_defaults_must_fit_the_schema_but_may_leave_required_to_operators() -> None:
    problems = problems_of(values={"replicas": 0})
    assert problems == ["values.replicas: 0 is less than the minimum of 1"]


def test_a_bad_chart_is_named() -> None:
    problems = problems_of(manifests=None, chart={"archive": base64.b64encode(b"junk").decode()})
    assert problems[0].startswith("chart: chart of template web-service: not a gzipped tar archive")


def test_the_name_must_be_a_dns_label() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("Web_Service", web_service_body())
    assert caught.value.problems[0].startswith("invalid template name 'Web_Service'")


def test_a_document_reads_in_the_api_spelling() -> None:
    name, spec = parse_document(
        {
            "apiVersion": "fleetcast.dev/v1",
            "kind": "Template",
            "metadata": {"name": "web"},
            "spec": {"clusterOverridable": ["a"], "clusterValues": [], "chart": "./chart"},
        }
    )
    assert name == "web"
    assert spec == {"cluster_overridable": ["a"], "cluster_values": [], "chart": "./chart"}
    with pytest.raises(TemplateError) as caught:
        parse_document({"apiVersion": "v1", "kind": "Policy"}, "t.yaml")
    assert caught.value.problems == [
        "t.yaml: apiVersion is 'v1', expected fleetcast.dev/v1",
        "t.yaml: kind is 'Policy', expected Template",
        "t.yaml: metadata.name is missing",
        "t.yaml: spec is missing",
    ]


def test_references_outside_the_schema_and_bad_patterns_are_refused() -> None:
    problems = problems_of(
        parameters={
            "type": "object",
            "properties": {"a": {"$ref": "https://example.com/s.json"}, "b": {"type": "string", "pattern": "["}},
        }
    )
    assert problems == [
        "parameters['properties']['b']['pattern']: '[' is not a 'regex'",
        "parameters['properties']['a']['$ref']: 'https://example.com/s.json' points outside the schema; "
        "only references inside it (#/$defs/...) are allowed",
    ]
    assert problems_of(parameters={"type": "object", "$ref": "#/$defs/nope"})[0].startswith(
        "parameters: a reference cannot be resolved"
    )
