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
    assert validated(KINDS, app(dependsOn=["db"])) == []
    assert validated(KINDS, app(template="web-service")) == [
        "Application web: give exactly one of manifests, chart or template"
    ]
    assert validated(KINDS, app(values={"a": 1})) == [
        "Application web: values, cluster_values and namespace apply to charts and templates, not to manifests"
    ]
    templated = Document("Application", "web", {"selector": "", "template": "t", "values": {"a": 1}}, "a.yaml", 1)
    assert validated(KINDS, templated) == []
    charted = Document("Application", "web", {"selector": "", "chart": {"archive": "!"}}, "a.yaml", 1)
    assert "chart.archive is not base64" in validated(KINDS, charted)[0]
    assert validated(KINDS, Document("Widget", "t", {}, "t.yaml", 1)) == [
        "Widget t: this hub cannot sync Widget documents yet"
    ]


def test_the_normal_form_is_what_the_hub_stores() -> None:
    desired = KINDS["Application"].desired(app(drift={"mode": "correct"}, imageOverrides={"nginx": "1.27.4"}))
    assert desired == {
        "selector": "env=prod",
        "source": "manifests",
        "manifests": [CONFIGMAP],
        "strategy": None,
        "image_overrides": {"docker.io/library/nginx": "1.27.4"},
        "drift": None,  # the default policy is stored as None
        "auto_update": [],
        "depends_on": [],
    }
    templated = Document(
        "Application",
        "web",
        {
            "selector": "",
            "template": "t",
            "values": {"a": 1},
            "clusterValues": [{"selector": "env = prod", "values": {}}],
        },
        "a.yaml",
        1,
    )
    desired = KINDS["Application"].desired(templated)
    assert {k: desired[k] for k in ("source", "template", "values", "cluster_values", "namespace", "newest")} == {
        "source": "template",
        "template": "t",
        "values": {"a": 1},
        "cluster_values": [{"selector": "env=prod", "values": {}}],
        "namespace": "default",
        "newest": True,  # unchanged only while the application is at the template's newest revision
    }
    assert "chart" not in desired and "manifests" not in desired
    same = Document("Strategy", "s", {"waves": [{"name": "a", "selector": "env=prod"}]}, "s.yaml", 1)
    spaced = Document("Strategy", "s", {"waves": [{"name": "a", "selector": "env = prod"}]}, "s.yaml", 1)
    assert KINDS["Strategy"].desired(same) == KINDS["Strategy"].desired(spaced)
