"""What the hub checks of each synced document before anything changes, and the normal forms the plan
compares (an unchanged document compares equal to what the hub stores)."""

from __future__ import annotations

from typing import Any, cast

from hub.fleetcode.documents import Document
from hub.fleetcode.kinds import ApplicationSync, KindSync, StrategySync, SubscriptionSync, validated

KINDS = cast(
    dict[str, KindSync],
    {
        "Application": ApplicationSync(cast(Any, None)),
        "Strategy": StrategySync(cast(Any, None)),
        "Subscription": SubscriptionSync(cast(Any, None)),
    },
)
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}


def app(**spec: Any) -> Document:
    return Document("Application", "web", {"selector": "env = prod", "manifests": [CONFIGMAP], **spec}, "a.yaml", 1)


def test_documents_are_checked_with_the_hubs_parsers() -> None:
    assert validated(KINDS, app()) == []
    assert validated(KINDS, app(manifests=None)) == [
        "Application web: manifests are required (a list of objects, or YAML text)"
    ]
    assert validated(KINDS, app(imageOverrides={"nginx": 5}))[0].startswith("Application web: imageOverrides")
    assert "not supported by this hub's application API yet" in validated(KINDS, app(dependsOn=["db"]))[0]
    assert validated(KINDS, Document("Template", "t", {}, "t.yaml", 1)) == [
        "Template t: this hub cannot sync Template documents yet"
    ]


def test_the_normal_form_is_what_the_hub_stores() -> None:
    desired = KINDS["Application"].desired(app(drift={"mode": "correct"}, imageOverrides={"nginx": "1.27.4"}))
    assert desired == {
        "selector": "env=prod",
        "manifests": [CONFIGMAP],
        "strategy": None,
        "image_overrides": {"docker.io/library/nginx": "1.27.4"},
        "drift": None,  # the default policy is stored as None
        "auto_update": [],
    }
    same = Document("Strategy", "s", {"waves": [{"name": "a", "selector": "env=prod"}]}, "s.yaml", 1)
    spaced = Document("Strategy", "s", {"waves": [{"name": "a", "selector": "env = prod"}]}, "s.yaml", 1)
    assert KINDS["Strategy"].desired(same) == KINDS["Strategy"].desired(spaced)
