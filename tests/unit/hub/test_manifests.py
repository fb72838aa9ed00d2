from __future__ import annotations

from typing import Any

import pytest

from hub.manifests import ManifestError, parse_manifests

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {created: 2024-01-01}
"""


def problems(source: str | list[Any]) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(source)
    return caught.value.problems


def test_multi_document_yaml_in_order_with_empty_documents_skipped() -> None:
    objects = parse_manifests(f"---\n{DEPLOYMENT}---\n{CONFIGMAP}---\n")
    assert [o["kind"] for o in objects] == ["Deployment", "ConfigMap"]
    # Dates stay strings, as Kubernetes reads them.
    assert objects[1]["data"] == {"created": "2024-01-01"}


def test_a_plain_equals_sign_is_a_string() -> None:
    # As in prometheus-operator's CRDs (`enum: ['!=', =, =~]`): YAML 1.1's "value" tag, which PyYAML
    # cannot construct, is a plain string to Kubernetes.
    crd_like = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\nenum:\n- '!='\n- =\n- =~\n"
    assert parse_manifests(crd_like)[0]["enum"] == ["!=", "=", "=~"]


def test_json_text_and_lists_of_objects() -> None:
    json_text = '[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}]'
    assert parse_manifests(json_text)[0]["metadata"]["name"] == "a"
    assert parse_manifests([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}])[0]["kind"] == "Secret"


def test_unparsable_yaml_names_the_document_and_position() -> None:
    # Lines count from the top of the text, as an editor shows them.
    # (libyaml's wording: the hub parses with PyYAML's C loader.)
    assert problems(f"{DEPLOYMENT}---\nkind: [unclosed\n") == [
        "document 2: not valid YAML or JSON: did not find expected ',' or ']' at line 10, column 1"
    ]


def test_a_document_that_is_not_an_object() -> None:
    assert problems(f"{DEPLOYMENT}---\njust a string\n") == [
        "document 2: expected a Kubernetes object (a mapping), got a string"
    ]
    assert problems([[1, 2]]) == ["document 1: expected a Kubernetes object (a mapping), got a list"]


def test_missing_fields_name_the_object() -> None:
    assert problems("kind: Deployment\nmetadata: {name: web}\n") == ["document 1 (Deployment/web): missing apiVersion"]
    assert problems("apiVersion: v1\nmetadata: {name: web}\n") == ["document 1 (<no kind>/web): missing kind"]
    assert problems("apiVersion: v1\nkind: Service\nmetadata: {namespace: shop}\n") == [
        "document 1 (Service/shop/<no name>): missing metadata.name"
    ]
    assert problems("apiVersion: v1\nkind: Service\n") == ["document 1 (Service/<no name>): missing metadata.name"]
    assert problems("apiVersion: v1\nkind: Service\nmetadata: [a]\n") == [
        "document 1 (Service/<no name>): metadata must be a mapping, got a list"
    ]
    assert problems("apiVersion: 1\nkind: Service\nmetadata: {name: s}\n") == [
        "document 1 (Service/s): apiVersion must be a string, got a number"
    ]


def test_duplicates_by_group_kind_namespace_and_name() -> None:
    other_version = DEPLOYMENT.replace("apps/v1", "apps/v1beta2")
    assert problems(f"{DEPLOYMENT}---\n{CONFIGMAP}---\n{other_version}") == [
        "document 3 (Deployment/shop/web): duplicate of document 1 (same group, kind, namespace and name)"
    ]
    # Another namespace, or another group, is another object.
    elsewhere = DEPLOYMENT.replace("shop", "other")
    assert len(parse_manifests(f"{DEPLOYMENT}---\n{elsewhere}")) == 2


def test_every_problem_is_reported_at_once() -> None:
    assert problems(f"{DEPLOYMENT}---\n42\n---\nkind: Job\nmetadata: {{name: j}}\n") == [
        "document 2: expected a Kubernetes object (a mapping), got a number",
        "document 3 (Job/j): missing apiVersion",
    ]


def test_no_objects_at_all() -> None:
    assert problems("---\n---\n") == ["no Kubernetes objects found"]
    assert problems([]) == ["no Kubernetes objects found"]


def test_the_error_message_joins_the_problems() -> None:
    with pytest.raises(ManifestError, match=r"^invalid manifests: document 1 \(Deployment/web\): missing apiVersion$"):
        parse_manifests("kind: Deployment\nmetadata: {name: web}\n")
