"""The diff an approval request carries until a field-level differ is wired in: objects added, removed
and changed by identity, with the fields that change; never a Secret's values."""

from __future__ import annotations

from typing import Any

from hub.notifications.releasediff import FIELDS_PER_OBJECT, describe_change


def deployment(image: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
    }


def config(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": data}


def test_changed_added_and_removed_objects() -> None:
    old = [deployment("web:1.0.0"), config("old")]
    new = [deployment("web:1.0.1", replicas=3), config("settings", mode="fast")]
    assert describe_change(old, new, 6, 7).splitlines() == [
        "revision 6 -> 7: 1 object(s) changed, 1 added, 1 removed",
        "~ Deployment.apps shop/web",
        "    spec.replicas: 2 -> 3",
        '    spec.template.spec.containers[0].image: "web:1.0.0" -> "web:1.0.1"',
        "+ ConfigMap shop/settings",
        "- ConfigMap shop/old",
    ]


def test_a_first_release_lists_its_objects() -> None:
    assert describe_change(None, [config("a")], None, 1).splitlines() == [
        "revision 1: first release, 1 object(s)",
        "+ ConfigMap shop/a",
    ]


def test_same_objects_in_another_order_change_nothing() -> None:
    a, b = config("a", x="1"), config("b", y="2")
    assert describe_change([a, b], [b, a], 1, 2) == "revision 1 -> 2: 0 object(s) changed, 0 added, 0 removed"


def test_secret_values_are_never_shown() -> None:
    def secret(**data: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": data}

    text = describe_change(
        [secret(password="aHVudGVyMg==", old="eA==")], [secret(password="c2VjcmV0", new="eQ==")], 1, 2
    )
    assert "aHVudGVyMg" not in text and "c2VjcmV0" not in text and "eA==" not in text and "eQ==" not in text
    assert "data.password: (secret value changed)" in text
    assert "data.new: (secret value added)" in text and "data.old: (secret value removed)" in text


def test_many_changed_fields_are_bounded_per_object() -> None:
    many_old = config("big", **{f"k{i:03}": "a" for i in range(50)})
    many_new = config("big", **{f"k{i:03}": "b" for i in range(50)})
    lines = describe_change([many_old], [many_new], 1, 2).splitlines()
    assert len(lines) == 2 + FIELDS_PER_OBJECT + 1
    assert lines[-1] == f"    ... and {50 - FIELDS_PER_OBJECT} more field(s)"


def test_long_values_are_cut() -> None:
    text = describe_change([config("c", blob="x" * 500)], [config("c", blob="y" * 500)], 1, 2)
    line = text.splitlines()[2]
    assert len(line) < 200 and "..." in line
