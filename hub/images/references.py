"""Container image references (`[registry[:port]/]path[:tag][@algorithm:hex]`), parsed as the
distribution reference grammar does, so `localhost:5000/web:1.2` has registry `localhost:5000` and
tag `1.2`, not a tag of `5000/web:1.2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}
DOCKER_HUB = "docker.io"


class ImageRefError(ValueError):
    pass


def is_tag(text: str) -> bool:
    """A tag as the reference grammar allows it: up to 128 word characters, dots and dashes."""
    return _TAG.match(text) is not None


def is_digest(text: str) -> bool:
    """A digest: `algorithm:hex` (sha256:..., at least 32 hex digits)."""
    return _DIGEST.match(text) is not None


@dataclass(frozen=True)
class ImageRef:
    registry: str | None
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The familiar name: Docker Hub's registry and `library/` are left out, as `docker` prints them."""
        if self.registry is None or self.registry in _DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"

    @property
    def version(self) -> str:
        """What runs: the tag, the digest, or both; an image with neither is `latest`."""
        if self.tag and self.digest:
            return f"{self.tag}@{self.digest}"
        return self.digest or self.tag or "latest"

    @property
    def canonical(self) -> str:
        """The repository as Docker normalises it: Docker Hub's registry spelled `docker.io` and its
        official images under `library/` (`nginx` -> `docker.io/library/nginx`); other registries as written."""
        if self.registry is None or self.registry in _DOCKER_HUB:
            path = self.repository if "/" in self.repository else f"library/{self.repository}"
            return f"{DOCKER_HUB}/{path}"
        return f"{self.registry}/{self.repository}"

    @property
    def written_name(self) -> str:
        """The name as the reference spelled it, registry included only if it was written."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def with_tag(self, tag: str) -> str:
        """The same image at `tag`, in the form its name was written. Any digest is dropped: it pinned
        the old content, which the new tag does not name."""
        if not _TAG.match(tag):
            raise ImageRefError(f"invalid tag {tag!r}")
        return f"{self.written_name}:{tag}"

    def with_digest(self, digest: str) -> str:
        """The same image pinned to `digest`, in the form its name was written (any tag is dropped:
        it may no longer name that content)."""
        if not _DIGEST.match(digest):
            raise ImageRefError(f"invalid digest {digest!r}")
        return f"{self.written_name}@{digest}"

    def matches_name(self, name: str) -> bool:
        """Whether a user's `name` means this image: its familiar name, or its last path segment(s)."""
        name = name.strip()
        if not name:
            return True
        full = self.name
        return full == name or full.endswith("/" + name) or self.repository == name


def parse_image(reference: str) -> ImageRef:
    text = reference.strip()
    if not text:
        raise ImageRefError("empty image reference")
    remainder, at, digest = text.partition("@")
    if at and not _DIGEST.match(digest):
        raise ImageRefError(f"{reference!r}: invalid digest {digest!r}")
    # A tag is a colon after the last slash; a colon before it belongs to a registry port.
    slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    tag: str | None = None
    if colon > slash:
        remainder, tag = remainder[:colon], remainder[colon + 1 :]
        if not _TAG.match(tag):
            raise ImageRefError(f"{reference!r}: invalid tag {tag!r}")
    first, has_slash, rest = remainder.partition("/")
    registry: str | None = None
    repository = remainder
    if has_slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        registry, repository = first, rest
    if not repository or not all(_COMPONENT.match(part) for part in repository.split("/")):
        raise ImageRefError(f"{reference!r}: invalid repository name {repository!r}")
    return ImageRef(registry=registry, repository=repository, tag=tag, digest=digest or None)


def normalise_name(name: str) -> str:
    """An image name as a user types it (`nginx`, `docker.io/nginx`, `library/nginx`,
    `localhost:5000/web`) as its canonical repository; a tag or digest is refused, it is no name."""
    image = parse_image(name)
    if image.tag is not None or image.digest is not None:
        raise ImageRefError(f"{name!r}: give the image name without a tag or digest")
    return image.canonical
