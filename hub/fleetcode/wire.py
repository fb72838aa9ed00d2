"""Documents as `POST /api/v1/sync` takes them: paths resolved (manifests as objects, a chart as base64
of its deterministic .tgz), each with its file relative to the repository's root. Pure."""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from hub.charts.archive import pack
from hub.fleetcode.documents import API_VERSION, Document


def repository_file(path: str, file: str) -> str:
    """A document's file relative to the repository's root (`path`: the directory synced in it)."""
    return file if path in ("", ".") else posixpath.normpath(posixpath.join(path, file))


def wire_document(doc: Document, path: str = ".") -> dict[str, Any]:
    spec = dict(doc.spec)
    if doc.chart is not None:
        spec["chart"] = {"archive": base64.b64encode(pack(doc.chart)).decode()}
    return {
        "apiVersion": API_VERSION,
        "kind": doc.kind,
        "metadata": {"name": doc.name},
        "spec": spec,
        "file": repository_file(path, doc.file),
    }
