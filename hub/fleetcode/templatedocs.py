"""Template documents as the template API takes them. Pure."""

from __future__ import annotations

import base64

from hub.charts.archive import pack
from hub.fleetcode.documents import API_VERSION, TEMPLATE, Document
from hub.sources.origin import Origin
from hub.templates.spec import TemplateIn, parse_document


def template_body(doc: Document, origin: Origin | None = None) -> TemplateIn:
    """A Template document as the PUT takes it: its manifests (texts, read by the loader) named in order,
    its chart as the loader packed it."""
    _, spec = parse_document(
        {"apiVersion": API_VERSION, "kind": TEMPLATE, "metadata": {"name": doc.name}, "spec": dict(doc.spec)}
    )
    if doc.chart is not None:  # read from a directory: the chart as the API takes it
        spec["chart"] = {"archive": base64.b64encode(pack(doc.chart)).decode()}
    manifests = spec.get("manifests")
    if isinstance(manifests, list):
        spec["manifests"] = {f"{index:02d}.yaml": text for index, text in enumerate(manifests, 1)}
    body = TemplateIn.model_validate(spec)
    return body.model_copy(update={"origin": origin}) if origin is not None else body
