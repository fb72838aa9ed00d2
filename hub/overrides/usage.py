"""Where manifests use an image, and at which version: what fix campaigns and auto-update decide on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hub.images.pods import all_containers
from hub.images.references import ImageRef, ImageRefError, parse_image
from hub.images.tags import ParsedTag, parse_version


@dataclass(frozen=True)
class ImageUse:
    object: str  # Kind/namespace/name
    container: str
    image: ImageRef
    reference: str
    # None: a digest-only reference or a tag that is not a version. With a digest too, the tag names it.
    version: ParsedTag | None


def image_uses(manifests: Iterable[dict[str, Any]], repository: str) -> Iterator[ImageUse]:
    """Every container of every pod template in `manifests` running `repository` (canonical)."""
    for found in all_containers(list(manifests)):
        try:
            image = parse_image(found.image)
        except ImageRefError:
            continue
        if image.canonical != repository:
            continue
        yield ImageUse(
            object=f"{found.kind}/{found.namespace + '/' if found.namespace else ''}{found.name}",
            container=found.container,
            image=image,
            reference=found.image,
            version=parse_version(image.tag) if image.tag else None,
        )
