"""An image override names an image (as users write it: `nginx`, `ghcr.io/acme/api`) and what to run
instead of whatever tag or digest the manifests say: a tag (`1.27.4`), a digest (`sha256:...`) or both
(`1.27.4@sha256:...`). Images are matched by their canonical repository, so `nginx` in the map and
`docker.io/library/nginx:1.25` in a Deployment are the same image."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.images.references import ImageRef, ImageRefError, is_digest, is_tag, normalise_name


class OverrideError(ValueError):
    """Overrides that cannot be accepted; one line per problem, each naming the image."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid image overrides: " + "; ".join(problems))


@dataclass(frozen=True)
class ImageOverride:
    repository: str  # canonical, e.g. docker.io/library/nginx
    tag: str | None
    digest: str | None

    @property
    def value(self) -> str:
        """The form it was given in: `tag`, `digest` or `tag@digest`."""
        if self.tag and self.digest:
            return f"{self.tag}@{self.digest}"
        return self.tag or self.digest or ""

    def reference_for(self, image: ImageRef) -> str:
        """`image` (as the manifest wrote its name) running this override's tag and/or digest."""
        if self.tag and self.digest:
            return f"{image.with_tag(self.tag)}@{self.digest}"
        if self.digest:
            return image.with_digest(self.digest)
        assert self.tag is not None
        return image.with_tag(self.tag)


def parse_value(image: str, value: str) -> tuple[str | None, str | None]:
    """(tag, digest) from `1.27.4`, `sha256:...` or `1.27.4@sha256:...`; ValueError names what is wrong."""
    text = value.strip()
    tag, at, digest = text.partition("@")
    if not at and is_digest(text):
        return None, text
    if not tag or not is_tag(tag):
        raise ValueError(f"image {image}: {value!r} is not a tag, a digest (algorithm:hex) or tag@digest")
    if at and not is_digest(digest):
        raise ValueError(f"image {image}: {digest!r} is not a digest (algorithm:hex, e.g. sha256:...)")
    return tag, digest or None


def parse_overrides(source: Mapping[str, str]) -> dict[str, ImageOverride]:
    """Overrides keyed by canonical repository; OverrideError lists every problem (two spellings of one
    image, a name that is not an image, a value that is neither a tag nor a digest)."""
    overrides: dict[str, ImageOverride] = {}
    spelled: dict[str, str] = {}
    problems: list[str] = []
    for name, value in source.items():
        try:
            repository = normalise_name(name)  # refuses a name with a tag or digest: the value says what runs
        except ImageRefError as error:
            problems.append(f"image {name!r}: {error}")
            continue
        if not isinstance(value, str):
            problems.append(f"image {name}: the override must be a string (a tag or a digest)")
            continue
        try:
            tag, digest = parse_value(name, value)
        except ValueError as error:
            problems.append(str(error))
            continue
        if repository in spelled:
            problems.append(f"image {name}: the same image as {spelled[repository]} ({repository})")
            continue
        spelled[repository] = name
        overrides[repository] = ImageOverride(repository, tag, digest)
    if problems:
        raise OverrideError(problems)
    return overrides


def as_stored(overrides: Mapping[str, ImageOverride]) -> dict[str, str]:
    """The JSON form kept with an application and a release: canonical repository -> value."""
    return {repository: overrides[repository].value for repository in sorted(overrides)}
