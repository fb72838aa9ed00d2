"""The pure diff core: objects matched by identity and classified, field diffs as YAML, Secret values
never shown (properties over random manifests), and the text form notifications use."""

from __future__ import annotations

import base64
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.diffs import release_diff
from hub.manifests import identity
from schemas.v1.objectdiffs import CHANGED, REDACTED, UNCHANGED, field_diff


def configmap(name: str, namespace: str | None = "shop", **data: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def deployment(name: str, image: str = "nginx:1.27.3", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


def secret(
    name: str, *, data: dict[str, str] | None = None, string_data: dict[str, str] | None = None
) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "shop"}}
    if data is not None:
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


# -- examples --------------------------------------------------------------------------------------


def test_a_new_image_is_one_changed_object_with_only_the_image_line() -> None:
    diff = release_diff(
        [deployment("web"), configmap("cfg", a="1")], [deployment("web", "nginx:1.27.4"), configmap("cfg", a="1")]
    )
    assert [o.label for o in diff.changed] == ["Deployment.apps/shop/web"]
    assert not diff.added and not diff.removed
    assert [o.label for o in diff.unchanged] == ["ConfigMap/shop/cfg"]
    changed_lines = [
        line for line in diff.changed[0].diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed_lines == ["-      - image: nginx:1.27.3", "+      - image: nginx:1.27.4"]


def test_added_and_removed_objects_show_whole() -> None:
    diff = release_diff([configmap("old", a="1")], [configmap("new", b="2")])
    assert [o.name for o in diff.added] == ["new"]
    assert [o.name for o in diff.removed] == ["old"]
    assert diff.added[0].diff.splitlines()[:2] == ["--- /dev/null", "+++ new/ConfigMap/shop/new"]
    assert "+  b: '2'" in diff.added[0].diff
    assert diff.removed[0].diff.splitlines()[1] == "+++ /dev/null"


def test_a_new_application_diffs_against_nothing() -> None:
    diff = release_diff(None, [configmap("cfg", a="1"), deployment("web")])
    assert {o.change for o in diff.objects} == {"added"}
    assert diff.summary() == "2 added"


def test_leaving_removes_everything() -> None:
    diff = release_diff([configmap("cfg", a="1")], None)
    assert diff.summary() == "1 removed"


def test_the_api_version_is_not_part_of_identity() -> None:
    old = {**deployment("web"), "apiVersion": "apps/v1beta2"}
    diff = release_diff([old], [deployment("web")])
    assert [o.change for o in diff.objects] == ["changed"]
    assert "-apiVersion: apps/v1beta2" in diff.objects[0].diff


def test_key_order_and_last_applied_annotation_are_not_changes() -> None:
    old = configmap("cfg", a="1", b="2")
    old["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"a":"0"}}'}
    new = {
        "data": {"b": "2", "a": "1"},
        "metadata": {"namespace": "shop", "name": "cfg"},
        "kind": "ConfigMap",
        "apiVersion": "v1",
    }
    assert release_diff([old], [new]).empty


def test_multi_line_values_diff_line_by_line() -> None:
    diff = release_diff(
        [configmap("cfg", conf="a = 1\nb = 2\nc = 3\n")], [configmap("cfg", conf="a = 1\nb = 5\nc = 3\n")]
    )
    lines = diff.changed[0].diff.splitlines()
    assert "-    b = 2" in lines and "+    b = 5" in lines
    assert "     a = 1" in lines  # context, not a change


def test_secret_values_show_only_whether_they_change() -> None:
    old = secret("creds", data={"password": "hunter2", "user": "admin", "gone": "x1"})
    new = secret("creds", string_data={"password": "hunter3", "user": "admin", "token": "t0k3n"})
    (obj,) = release_diff([old], [new]).objects
    assert obj.change == "changed"
    lines = obj.diff.splitlines()
    assert f"-  password: {REDACTED}" in lines and f"+  password: {CHANGED}" in lines
    assert f"   user: {UNCHANGED}" in lines
    assert f"-  gone: {REDACTED}" in lines and f"+  token: {REDACTED}" in lines
    for value in ("hunter2", "hunter3", "admin", "t0k3n", "aHVudGVyMg=="):
        assert value not in obj.diff


def test_a_secret_whose_values_move_from_data_to_string_data_is_unchanged() -> None:
    old = secret("creds", data={"password": "hunter2"})
    new = secret("creds", string_data={"password": "hunter2"})
    assert release_diff([old], [new]).empty


def test_a_secret_with_unreadable_data_is_hidden_whole() -> None:
    old = {**secret("creds"), "data": "not-a-map-s3cr3t"}
    new = {**secret("creds"), "data": "other-s3cr3t"}
    text = field_diff(old, new, old_label="a", new_label="b")
    assert "s3cr3t" not in text
    assert f"+data: {CHANGED}" in text


def test_render_has_a_header_per_object_and_cuts_at_max_lines() -> None:
    diff = release_diff([deployment("web")], [deployment("web", "nginx:1.27.4"), configmap("cfg", a="1")])
    text = diff.render()
    assert text.splitlines()[0] == "+ ConfigMap/shop/cfg (added)"
    assert "~ Deployment.apps/shop/web (changed)" in text.splitlines()
    cut = diff.render(max_lines=5)
    assert len(cut.splitlines()) == 6
    assert cut.splitlines()[-1] == f"... {len(text.splitlines()) - 5} more lines not shown"
    assert release_diff([deployment("web")], [deployment("web")]).render() == "no changes"


# -- properties ------------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.text(alphabet="xyz01", max_size=4)


@st.composite
def manifests(draw: st.DrawFn) -> list[dict[str, Any]]:
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["ConfigMap", "Deployment"]))
        name = draw(NAMES)
        if kind == "ConfigMap":
            obj = configmap(
                name, draw(st.sampled_from(["shop", "web", None])), **draw(st.dictionaries(NAMES, VALUES, max_size=3))
            )
        else:
            obj = deployment(name, f"nginx:{draw(st.sampled_from(['1', '2']))}", draw(st.integers(1, 3)))
        objects[identity(obj)] = obj
    return list(objects.values())


@given(manifests())
def test_diff_of_a_release_with_itself_is_empty(objects: list[dict[str, Any]]) -> None:
    diff = release_diff(objects, [dict(o) for o in reversed(objects)])
    assert diff.empty
    assert len(diff.unchanged) == len(objects)
    assert all(o.diff == "" for o in diff.objects)


@given(manifests(), manifests())
def test_added_removed_changed_and_unchanged_partition_the_identities(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> None:
    diff = release_diff(old, new)
    before, after = {identity(o) for o in old}, {identity(o) for o in new}
    assert [o.identity for o in diff.objects] == sorted(before | after)  # each exactly once, in order
    assert {o.identity for o in diff.added} == after - before
    assert {o.identity for o in diff.removed} == before - after
    assert {o.identity for o in diff.changed} | {o.identity for o in diff.unchanged} == before & after
    for obj in diff.changed:
        assert obj.diff


@given(manifests(), manifests())
def test_reversing_a_diff_swaps_added_and_removed(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    forward, backward = release_diff(old, new), release_diff(new, old)
    assert {o.identity for o in forward.added} == {o.identity for o in backward.removed}
    assert {o.identity for o in forward.changed} == {o.identity for o in backward.changed}


# Random text could be anything the output shows anyway ("apiVersion"): every value carries a mark that
# nothing else in the output has, so finding a value (or its base64) in the output means it leaked.
SECRET_VALUES = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%&", max_size=16).map(
    lambda text: f"s3cret§{text}"
)
KEYS = st.sampled_from(["password", "token", "user", "tls.key"])


@given(
    st.dictionaries(KEYS, SECRET_VALUES, max_size=4),
    st.dictionaries(KEYS, SECRET_VALUES, max_size=4),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=300)
def test_no_secret_value_ever_appears_in_the_output(
    old_values: dict[str, str], new_values: dict[str, str], old_as_string: bool, new_as_string: bool, old_exists: bool
) -> None:
    def build(values: dict[str, str], as_string: bool) -> dict[str, Any]:
        return secret("creds", string_data=values) if as_string else secret("creds", data=values)

    old = [build(old_values, old_as_string)] if old_exists else None
    new = [build(new_values, new_as_string)]
    diff = release_diff(old, new)
    text = diff.render() + "".join(o.diff for o in diff.objects)
    for value in [*old_values.values(), *new_values.values()]:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
    # Changed exactly when a value (or a key) changes.
    assert diff.empty == (old_exists and old_values == new_values)


def test_shuffled_keys_never_make_a_change() -> None:
    rng = random.Random(7)
    obj = deployment("web")
    for _ in range(20):
        items = list(obj.items())
        rng.shuffle(items)
        assert release_diff([obj], [dict(items)]).empty
