from __future__ import annotations

from hub.templates.views import parameter_summaries


def test_parameters_summarized_for_people() -> None:
    schema = {
        "type": "object",
        "required": ["size", "resources"],
        "properties": {
            "size": {"enum": ["small", "large"]},
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
            "image": {"type": "string", "pattern": "^r/"},
            "resources": {"type": "object", "required": ["cpu"], "properties": {"cpu": {"type": "string"}}},
            "anything": True,
        },
    }
    rows = {p.name: p for p in parameter_summaries(schema, {"replicas": 2}, ["resources"])}
    assert list(rows) == ["size", "replicas", "image", "resources", "resources.cpu", "anything"]
    assert rows["size"].allowed == "one of small, large" and rows["size"].required
    assert rows["replicas"].allowed == "1..10" and rows["replicas"].default == 2 and not rows["replicas"].required
    assert rows["image"].allowed == "matches ^r/"
    assert rows["resources.cpu"].required and rows["resources.cpu"].cluster_overridable
    assert not rows["size"].cluster_overridable
    assert rows["anything"].type is None
