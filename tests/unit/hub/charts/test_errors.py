"""Reading Helm's errors. Every stderr here was captured from the real Helm v3.22.0 (`helm template` of
tests/charts/web with the change the test names)."""

from __future__ import annotations

import pickle

import pytest

from hub.charts.errors import RenderError, ValueViolation, parse_helm_error

LABEL = "web-1.0.0"
DEBUG_HINT = "\nUse --debug flag to render out invalid YAML\n"


def parse(stderr: str) -> RenderError:
    return parse_helm_error(stderr, LABEL, "web")


def test_a_nil_pointer_names_the_template_line_and_column() -> None:
    error = parse(
        'Error: template: web/templates/service.yaml:12:22: executing "web/templates/service.yaml" at '
        "<.Values.missing.port.x>: nil pointer evaluating interface {}.port\n" + DEBUG_HINT
    )
    assert (error.chart, error.template, error.line, error.column) == (LABEL, "templates/service.yaml", 12, 22)
    assert error.message == "at <.Values.missing.port.x>: nil pointer evaluating interface {}.port"
    assert str(error) == (
        "chart web-1.0.0, template templates/service.yaml line 12: "
        "at <.Values.missing.port.x>: nil pointer evaluating interface {}.port"
    )
    assert error.violations == ()


def test_an_error_in_an_included_helper_names_the_helper() -> None:
    error = parse(
        'Error: template: web/templates/service.yaml:6:8: executing "web/templates/service.yaml" at '
        '<include "web.labels" .>: error calling include: template: web/templates/_helpers.tpl:2:34: '
        'executing "web.labels" at <.Values.nope.deep>: nil pointer evaluating interface {}.deep\n' + DEBUG_HINT
    )
    assert (error.template, error.line, error.column) == ("templates/_helpers.tpl", 2, 34)
    assert error.message == "at <.Values.nope.deep>: nil pointer evaluating interface {}.deep"


def test_an_error_in_a_tpl_string_names_the_template_that_called_tpl() -> None:
    error = parse(
        'Error: template: web/templates/s.yaml:2:6: executing "web/templates/s.yaml" at '
        '<tpl "{{ .Values.nope.x }}" .>: error calling tpl: error during tpl function execution for '
        '"{{ .Values.nope.x }}": template: gotpl:1:10: executing "gotpl" at <.Values.nope.x>: '
        "nil pointer evaluating interface {}.x\n" + DEBUG_HINT
    )
    assert (error.template, error.line) == ("templates/s.yaml", 2)
    assert error.message == "in a tpl string: at <.Values.nope.x>: nil pointer evaluating interface {}.x"


def test_a_wrong_type_is_a_template_error() -> None:
    error = parse(
        'Error: template: web/templates/s.yaml:2:13: executing "web/templates/s.yaml" at '
        "<.Values.replicas.foo>: can't evaluate field foo in type interface {}\n" + DEBUG_HINT
    )
    assert (error.template, error.line) == ("templates/s.yaml", 2)
    assert error.message == "at <.Values.replicas.foo>: can't evaluate field foo in type interface {}"


def test_a_subchart_template_keeps_its_path_inside_the_chart() -> None:
    error = parse(
        'Error: template: web/charts/db/templates/d.yaml:2:13: executing "web/charts/db/templates/d.yaml" at '
        "<.Values.nope.x>: nil pointer evaluating interface {}.x\n" + DEBUG_HINT
    )
    assert (error.template, error.line) == ("charts/db/templates/d.yaml", 2)


@pytest.mark.parametrize(
    ("stderr", "line", "message"),
    [
        (
            'Error: parse error at (web/templates/e.yaml:1): function "badfn" not defined',
            1,
            'function "badfn" not defined',
        ),
        ("Error: parse error at (web/templates/e.yaml:4): unexpected EOF", 4, "unexpected EOF"),
        ('Error: parse error at (web/templates/e.yaml:2): unexpected "}" in operand', 2, 'unexpected "}" in operand'),
    ],
)
def test_parse_errors_name_template_and_line(stderr: str, line: int, message: str) -> None:
    error = parse(stderr + "\n" + DEBUG_HINT)
    assert (error.template, error.line, error.column, error.message) == ("templates/e.yaml", line, None, message)


def test_required_and_fail_are_execution_errors_with_their_message() -> None:
    error = parse("Error: execution error at (web/templates/r.yaml:2:6): config.db is required\n" + DEBUG_HINT)
    assert (error.template, error.line, error.column) == ("templates/r.yaml", 2, 6)
    assert error.message == "config.db is required"
    assert str(error) == "chart web-1.0.0, template templates/r.yaml line 2: config.db is required"


def test_yaml_the_chart_produced_that_does_not_parse_names_the_template() -> None:
    error = parse(
        "Error: YAML parse error on web/templates/y.yaml: error converting YAML to JSON: yaml: line 5: "
        "mapping values are not allowed in this context\n" + DEBUG_HINT
    )
    # Helm's line counts lines of the rendered output, not of the template: not reported as `line`.
    assert (error.template, error.line) == ("templates/y.yaml", None)
    assert error.message == (
        "rendered YAML does not parse: line 5 of its output: mapping values are not allowed in this context"
    )


def test_a_document_that_is_not_an_object_is_a_yaml_error_of_its_template() -> None:
    error = parse(
        "Error: YAML parse error on web/templates/n.yaml: error unmarshaling JSON: while decoding JSON: "
        "json: cannot unmarshal string into Go value of type releaseutil.SimpleHead\n" + DEBUG_HINT
    )
    assert error.template == "templates/n.yaml"
    assert "cannot unmarshal string" in error.message


SCHEMA_FAILURES = """Error: values don't meet the specifications of the schema(s) in the following chart(s):
web:
- at '/image/tag': 'bad tag!' does not match pattern '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
- at '/replicas': minimum: got 0, want 1
- at '': additional properties 'extra' not allowed

"""


def test_schema_failures_name_each_value_path() -> None:
    error = parse(SCHEMA_FAILURES)
    assert (error.template, error.line) == (None, None)
    assert error.violations == (
        ValueViolation("values.image.tag", "'bad tag!' does not match pattern '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'"),
        ValueViolation("values.replicas", "minimum: got 0, want 1"),
        ValueViolation("values", "additional properties 'extra' not allowed"),
    )
    assert str(error).startswith("chart web-1.0.0: values do not match values.schema.json: values.image.tag: ")
    assert error.problems()[1] == "chart web-1.0.0: values.replicas: minimum: got 0, want 1"


def test_a_subcharts_schema_failures_sit_under_its_name_in_values() -> None:
    error = parse(
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "web:\n- at '/replicas': minimum: got 0, want 1\n"
        "db:\n- at '/size': got string, want integer\n"
    )
    assert [str(v) for v in error.violations] == [
        "values.replicas: minimum: got 0, want 1",
        "values.db.size: got string, want integer",
    ]


def test_list_indices_and_escaped_pointer_segments_read_as_values_paths() -> None:
    error = parse(
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "web:\n- at '/hosts/0': got number, want string\n- at '/annotations/a~1b~0c': got number, want string\n"
    )
    assert [v.path for v in error.violations] == ["values.hosts[0]", "values.annotations.a/b~c"]


def test_a_schema_helm_cannot_read_says_so() -> None:
    error = parse(
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "web:\nunexpected EOF\n"
    )
    assert error.violations == ()
    assert error.message == "values.schema.json cannot be used: unexpected EOF"


@pytest.mark.parametrize(
    "line",
    [
        "chart requires kubeVersion: >=1.40.0 which is incompatible with Kubernetes v1.36.3",
        "An error occurred while checking for chart dependencies. You may need to run `helm dependency build` "
        "to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: redis",
        "invalid kube version 'banana': could not parse \"banana\" as version",
    ],
)
def test_anything_else_is_helms_first_error_line_without_a_template(line: str) -> None:
    error = parse(f"Error: {line}\n" + DEBUG_HINT)
    assert (error.template, error.line, error.message) == (None, None, line)
    assert str(error) == f"chart web-1.0.0: {line}"


def test_warnings_before_the_error_are_skipped() -> None:
    error = parse("walk.go:75: found symbolic link in path: /x resolves to /y\nError: something broke\n")
    assert error.message == "something broke"


def test_output_without_an_error_line_is_still_reported() -> None:
    assert parse("\n  panic: runtime error\n").message == "panic: runtime error"
    assert parse("").message == "helm failed without saying why"


def test_render_errors_survive_pickling() -> None:
    error = parse(SCHEMA_FAILURES)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.chart, copy.violations, str(copy)) == (error.chart, error.violations, str(error))
