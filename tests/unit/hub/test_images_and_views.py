from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.clusterstates import ClusterState, cluster_state
from hub.fleetviews import Deployment, images_view, versions_view
from hub.images.references import ImageRef, ImageRefError, parse_image
from hub.selectors import parse_selector

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("reference", "expected", "name", "version"),
    [
        ("nginx", ImageRef(None, "nginx"), "nginx", "latest"),
        ("nginx:1.25", ImageRef(None, "nginx", "1.25"), "nginx", "1.25"),
        ("docker.io/library/nginx:1.25", ImageRef("docker.io", "library/nginx", "1.25"), "nginx", "1.25"),
        ("localhost:5000/web:2", ImageRef("localhost:5000", "web", "2"), "localhost:5000/web", "2"),
        ("localhost/web", ImageRef("localhost", "web"), "localhost/web", "latest"),
        (
            "registry.example.com:5000/team/app@" + DIGEST,
            ImageRef("registry.example.com:5000", "team/app", None, DIGEST),
            "registry.example.com:5000/team/app",
            DIGEST,
        ),
        (f"ghcr.io/o/a:v1@{DIGEST}", ImageRef("ghcr.io", "o/a", "v1", DIGEST), "ghcr.io/o/a", f"v1@{DIGEST}"),
        ("team/app:3", ImageRef(None, "team/app", "3"), "team/app", "3"),
    ],
)
def test_image_references(reference: str, expected: ImageRef, name: str, version: str) -> None:
    image = parse_image(reference)
    assert image == expected
    assert (image.name, image.version) == (name, version)


@pytest.mark.parametrize("reference", ["", "Nginx:1", "nginx:", "nginx@sha256:xyz", "a//b", "nginx:1.0:2"])
def test_invalid_image_references(reference: str) -> None:
    with pytest.raises(ImageRefError):
        parse_image(reference)


def test_name_matching() -> None:
    image = parse_image("registry.example.com:5000/library/nginx:1")
    assert image.matches_name("nginx")
    assert image.matches_name("library/nginx")
    assert image.matches_name("registry.example.com:5000/library/nginx")
    assert not image.matches_name("ginx")


def test_cluster_state_from_heartbeat_age() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    after = timedelta(seconds=30)
    assert cluster_state(None, now, after) is ClusterState.PENDING
    assert cluster_state(now - timedelta(seconds=30), now, after) is ClusterState.READY
    assert cluster_state(now - timedelta(seconds=31), now, after) is ClusterState.UNREACHABLE


DEPLOYMENTS = [
    Deployment("c1", {"env": "prod"}, "web", 3, "Ready", ("nginx:1.25", "redis:7")),
    Deployment("c2", {"env": "staging"}, "web", 4, "Progressing", ("docker.io/library/nginx:1.27",)),
    Deployment("c3", {"env": "prod"}, "web", 2, "Ready", ("nginx:1.25",), removed=True),
    Deployment("c3", {"env": "prod"}, "api", None, "Unknown"),
    Deployment("c4", {"env": "prod"}, "api", 1, "Degraded", ("not an image!",)),
]


def test_versions_per_application_filtered_by_cluster_labels() -> None:
    revisions = {"web": 4, "api": 1, "idle": 1}
    assert versions_view(revisions, DEPLOYMENTS, parse_selector("env=prod")) == [
        {
            "application": "api",
            "revision": 1,
            "clusters": [
                {"cluster": "c3", "revision": None, "health": "Unknown", "images": []},
                {"cluster": "c4", "revision": 1, "health": "Degraded", "images": ["not an image!"]},
            ],
        },
        {"application": "idle", "revision": 1, "clusters": []},
        {
            "application": "web",
            "revision": 4,
            "clusters": [{"cluster": "c1", "revision": 3, "health": "Ready", "images": ["nginx:1.25", "redis:7"]}],
        },
    ]
    assert [v["application"] for v in versions_view(revisions, DEPLOYMENTS, parse_selector(""), "web")] == ["web"]


def test_images_which_clusters_run_which_versions() -> None:
    assert images_view(DEPLOYMENTS, parse_selector(""), "nginx") == [
        {
            "image": "nginx",
            "versions": [{"version": "1.25", "clusters": ["c1"]}, {"version": "1.27", "clusters": ["c2"]}],
        }
    ]
    assert [i["image"] for i in images_view(DEPLOYMENTS, parse_selector("env=prod"))] == ["nginx", "redis"]
