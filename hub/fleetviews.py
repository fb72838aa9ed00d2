"""Fleet-wide read views: which revision and images run where. Pure aggregation over what the store
holds; the service loads the rows and the API returns the result as is."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from typing_extensions import TypedDict

from hub.images.references import ImageRefError, parse_image
from hub.selectors import Selector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deployment:
    """One application as reported by one cluster (or only desired there, before any report)."""

    cluster: str
    cluster_labels: Mapping[str, str]
    application: str
    observed_revision: int | None
    health: str
    images: tuple[str, ...] = field(default=())
    removed: bool = False


class ClusterVersion(TypedDict):
    cluster: str
    revision: int | None
    health: str
    images: list[str]


class ApplicationVersions(TypedDict):
    application: str
    revision: int
    clusters: list[ClusterVersion]


class ImageVersion(TypedDict):
    version: str
    clusters: list[str]


class ImageVersions(TypedDict):
    image: str
    versions: list[ImageVersion]


def versions_view(
    revisions: Mapping[str, int],
    deployments: Iterable[Deployment],
    selector: Selector,
    application: str | None = None,
) -> list[ApplicationVersions]:
    """Per application (its current revision), the revision each selected cluster runs.

    `revisions` holds every live application's current revision; an application with no deployment on
    a selected cluster is still listed, with no clusters, so "runs nowhere" is visible.
    """
    per_app: dict[str, list[ClusterVersion]] = defaultdict(list)
    for d in deployments:
        if d.removed or d.application not in revisions or not selector.matches(d.cluster_labels):
            continue
        per_app[d.application].append(
            ClusterVersion(cluster=d.cluster, revision=d.observed_revision, health=d.health, images=list(d.images))
        )
    return [
        ApplicationVersions(
            application=app, revision=revisions[app], clusters=sorted(per_app[app], key=lambda c: c["cluster"])
        )
        for app in sorted(revisions)
        if application is None or app == application
    ]


def images_view(deployments: Iterable[Deployment], selector: Selector, name: str | None = None) -> list[ImageVersions]:
    """Per image name, per version (tag or digest), the clusters that run it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for d in deployments:
        if d.removed or not selector.matches(d.cluster_labels):
            continue
        for reference in d.images:
            try:
                image = parse_image(reference)
            except ImageRefError as error:
                # A spoke reporting an odd reference must not break the view for everyone else.
                log.warning("cluster %s application %s: skipping image: %s", d.cluster, d.application, error)
                continue
            if name and not image.matches_name(name):
                continue
            found[image.name][image.version].add(d.cluster)
    return [
        ImageVersions(
            image=image,
            versions=[ImageVersion(version=v, clusters=sorted(found[image][v])) for v in sorted(found[image])],
        )
        for image in sorted(found)
    ]
