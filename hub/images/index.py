"""Rows of the image index from a status report: one per container image the spoke reports running.
Pure; hub/images/store.py writes them.

A report of an older spoke has no per-container list (`containers` is None): its `images` give one
row each, with the object and container unknown. A removed application runs nothing: no rows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hub.images.references import ImageRefError, is_digest, parse_image
from hub.images.tags import parse_version, sortable_key
from schemas.v1 import ContainerType, RunningImage, StatusReport

log = logging.getLogger(__name__)

# Column widths (hub/store/models.py ImageIndexEntry): what does not fit is not stored rather than
# failing the whole batch of reports it came with.
REPOSITORY_MAX = 255
DIGEST_MAX = 255
LATEST = "latest"


@dataclass(frozen=True)
class IndexRow:
    position: int
    kind: str | None
    namespace: str | None
    name: str | None
    container: str | None
    container_type: ContainerType
    reference: str
    repository: str
    tag: str | None
    version_key: str | None
    variant: str | None
    digest: str | None

    def values(self, cluster: str, application: str) -> dict[str, Any]:
        """Column values of its ImageIndexEntry."""
        return {
            "cluster_id": cluster,
            "application_id": application,
            "position": self.position,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "container": self.container,
            "container_type": self.container_type,
            "reference": self.reference,
            "repository": self.repository,
            "tag": self.tag,
            "version_key": self.version_key,
            "variant": self.variant,
            "digest": self.digest,
        }


@dataclass(frozen=True)
class _Reference:
    repository: str
    tag: str | None
    digest: str | None
    version_key: str | None
    variant: str | None


@functools.lru_cache(maxsize=8192)
def _reference(reference: str) -> _Reference | None:
    """What the index keeps of a reference; cached: a fleet runs few distinct references, reported
    again and again."""
    try:
        image = parse_image(reference)
    except ImageRefError as error:
        # The API server accepts any string; the pod never starts. Nothing of it runs to be found.
        log.warning("image index: skipping %s", error)
        return None
    repository = image.canonical
    if len(repository) > REPOSITORY_MAX:
        log.warning("image index: skipping %r: repository longer than %d characters", reference, REPOSITORY_MAX)
        return None
    # Without tag or digest a runtime pulls `latest`; with only a digest there is no tag to order.
    tag = image.tag if image.tag is not None else (None if image.digest else LATEST)
    parsed = parse_version(tag) if tag is not None else None
    return _Reference(
        repository=repository,
        tag=tag,
        digest=image.digest,
        version_key=sortable_key(parsed.key) if parsed else None,
        variant=parsed.variant if parsed else None,
    )


def _row(position: int, reference: str, running: RunningImage | None) -> IndexRow | None:
    known = _reference(reference)
    if known is None:
        return None
    reported = running.digest if running is not None else None
    digest = reported if reported and len(reported) <= DIGEST_MAX and is_digest(reported) else known.digest
    return IndexRow(
        position=position,
        kind=running.kind if running else None,
        namespace=running.namespace if running else None,
        name=running.name if running else None,
        container=running.container if running else None,
        container_type=running.container_type if running else "container",
        reference=reference,
        repository=known.repository,
        tag=known.tag,
        version_key=known.version_key,
        variant=known.variant,
        digest=digest,
    )


def _numbered(candidates: Iterable[tuple[str, RunningImage | None]]) -> Iterator[IndexRow]:
    position = 0
    for reference, running in candidates:
        row = _row(position, reference, running)
        if row is not None:
            yield row
            position += 1


def rows_from_images(images: Iterable[str]) -> list[IndexRow]:
    """Rows from image references alone (an older spoke's report, or a status stored before the index)."""
    return list(_numbered((image, None) for image in images))


def index_rows(report: StatusReport) -> list[IndexRow]:
    """The rows a stored report stands for."""
    if report.removed:
        return []
    if report.containers is None:
        return rows_from_images(report.images)
    return list(_numbered((running.image, running) for running in report.containers))
