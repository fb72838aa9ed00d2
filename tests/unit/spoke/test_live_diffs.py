"""The spoke's live diff: server-set fields ignored, Secret values never leave the cluster."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from spoke.livediffs import CHANGED, REDACTED, UNCHANGED, comparable, live_diff


def live_configmap(value: str, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cfg",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/managed-by": "fleetcast"},
            **metadata,
        },
        "data": {"GREETING": value},
    }


SERVER_SET = {
    "uid": "3f1c",
    "resourceVersion": "812",
    "generation": 4,
    "creationTimestamp": "2025-01-01T00:00:00Z",
    "managedFields": [{"manager": "fleetcast", "operation": "Apply"}],
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
}


def test_what_the_server_changes_on_every_write_is_not_a_difference() -> None:
    live = {**live_configmap("hello", **SERVER_SET), "status": {"phase": "x"}}
    after = {
        **live_configmap("hello", **{**SERVER_SET, "resourceVersion": "813", "generation": 5}),
        "status": {"phase": "y"},
    }
    assert live_diff(live, after, "ConfigMap/shop/cfg") == ""
    assert set(comparable(live)["metadata"]) == {"name", "namespace", "labels"}


def test_a_field_changed_by_hand_shows_as_the_apply_would_revert_it() -> None:
    text = live_diff(
        live_configmap("hijacked", **SERVER_SET), live_configmap("hello", **SERVER_SET), "ConfigMap/shop/cfg"
    )
    assert text.splitlines()[:2] == ["--- live/ConfigMap/shop/cfg", "+++ dry-run/ConfigMap/shop/cfg"]
    assert "-  GREETING: hijacked" in text.splitlines()
    assert "+  GREETING: hello" in text.splitlines()


def test_created_and_deleted_objects_diff_against_nothing() -> None:
    created = live_diff(None, live_configmap("hello"), "ConfigMap/shop/cfg")
    assert created.splitlines()[0] == "--- /dev/null"
    pruned = live_diff(live_configmap("hello"), None, "ConfigMap/shop/cfg")
    assert pruned.splitlines()[1] == "+++ /dev/null"


def secret(values: dict[str, str], *, as_string: bool = False) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}}
    if as_string:
        obj["stringData"] = values
    else:
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return obj


def test_secret_values_are_markers() -> None:
    text = live_diff(
        secret({"password": "hunter2", "user": "app"}), secret({"password": "hunter3", "user": "app"}), "s"
    )
    lines = text.splitlines()
    assert f"-  password: {REDACTED}" in lines and f"+  password: {CHANGED}" in lines
    assert f"   user: {UNCHANGED}" in lines
    assert "hunter" not in text and "aHVudGVy" not in text


# Marked, so that a value is never text the output has anyway (hypothesis finds "apiVersion").
VALUES = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", max_size=16).map(
    lambda text: f"s3cret§{text}"
)
KEYS = st.sampled_from(["password", "token", "ca.crt"])


@given(
    st.dictionaries(KEYS, VALUES, max_size=3),
    st.dictionaries(KEYS, VALUES, max_size=3),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=200)
def test_no_secret_value_leaves_the_cluster(
    before: dict[str, str], after: dict[str, str], exists: bool, as_sent: bool
) -> None:
    text = live_diff(secret(before) if exists else None, secret(after, as_string=as_sent), "Secret/shop/db")
    for value in [*before.values(), *after.values()]:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
    assert (text == "") == (exists and before == after)
