from __future__ import annotations

import pytest

from hub.images.references import ImageRefError, normalise_name, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("reference", "canonical"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27.4", "docker.io/library/nginx"),
        ("library/nginx", "docker.io/library/nginx"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("docker.io/library/nginx:1", "docker.io/library/nginx"),
        ("index.docker.io/nginx", "docker.io/library/nginx"),
        ("registry-1.docker.io/library/nginx", "docker.io/library/nginx"),
        ("bitnami/redis:7", "docker.io/bitnami/redis"),
        ("localhost:5000/web", "localhost:5000/web"),
        ("localhost/web", "localhost/web"),
        ("ghcr.io/a/b@" + DIGEST, "ghcr.io/a/b"),
        ("registry.example.com:5000/nginx", "registry.example.com:5000/nginx"),
    ],
)
def test_canonical_repository(reference: str, canonical: str) -> None:
    assert parse_image(reference).canonical == canonical


@pytest.mark.parametrize("name", ["nginx", "docker.io/nginx", "library/nginx", "index.docker.io/library/nginx"])
def test_normalise_name(name: str) -> None:
    assert normalise_name(name) == "docker.io/library/nginx"


def test_normalise_name_refuses_a_tag() -> None:
    with pytest.raises(ImageRefError, match="without a tag"):
        normalise_name("nginx:1.27")
    with pytest.raises(ImageRefError):
        normalise_name("Nginx")


@pytest.mark.parametrize(
    ("reference", "with_tag", "with_digest"),
    [
        ("nginx:1.27.3", "nginx:1.27.4", "nginx@" + DIGEST),
        ("docker.io/library/nginx", "docker.io/library/nginx:1.27.4", "docker.io/library/nginx@" + DIGEST),
        ("localhost:5000/web@sha256:" + "b" * 64, "localhost:5000/web:1.27.4", "localhost:5000/web@" + DIGEST),
        ("ghcr.io/o/a:v1@sha256:" + "b" * 64, "ghcr.io/o/a:1.27.4", "ghcr.io/o/a@" + DIGEST),
    ],
)
def test_same_image_at_another_version(reference: str, with_tag: str, with_digest: str) -> None:
    image = parse_image(reference)
    assert image.with_tag("1.27.4") == with_tag
    assert image.with_digest(DIGEST) == with_digest
    assert parse_image(image.with_tag("1.27.4")).canonical == image.canonical


def test_bad_tag_or_digest_is_refused() -> None:
    image = parse_image("nginx")
    with pytest.raises(ImageRefError, match="invalid tag"):
        image.with_tag("no:colons")
    with pytest.raises(ImageRefError, match="invalid digest"):
        image.with_digest("sha256:xyz")
