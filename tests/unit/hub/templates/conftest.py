from __future__ import annotations

from typing import Any

import pytest

from hub.templates.spec import TemplateIn, TemplateSpec, parse_template

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
"""


def web_service_body(**changes: Any) -> TemplateIn:
    body: dict[str, Any] = {
        "description": "a web service",
        "manifests": {"deployment.yaml": DEPLOYMENT},
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "required": ["image"],
            "properties": {
                "size": {"enum": ["small", "medium", "large"]},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
                "image": {"type": "string", "pattern": "^registry\\.example\\.com/"},
                "memory": {"type": "string"},
                "resources": {"type": "object", "properties": {"cpu": {"type": "string"}}},
            },
        },
        "values": {"size": "small", "replicas": 2, "memory": "256Mi"},
        "locked": {"securityContext": {"runAsNonRoot": True}},
        "cluster_overridable": ["replicas", "resources.cpu"],
        "cluster_values": [{"selector": "env=prod", "values": {"replicas": 3}}],
    }
    body.update(changes)
    return TemplateIn.model_validate(body)


@pytest.fixture
def web_service() -> TemplateSpec:
    return parse_template("web-service", web_service_body())
