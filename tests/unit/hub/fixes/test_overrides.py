from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.overrides.render import render
from hub.overrides.spec import ImageOverride, OverrideError, as_stored, parse_overrides, parse_value

pytestmark = pytest.mark.unit

DIGEST = "sha256:" + "a" * 64


def deployment(*images: str, init: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": "init", "image": init}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"spec": spec}},
    }


def cronjob(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": image}]}}}}},
    }


def images_of(manifests: list[dict[str, Any]]) -> list[str]:
    from hub.images.pods import all_containers

    return [c.image for c in all_containers(list(manifests))]


def test_overrides_are_keyed_by_canonical_repository_and_keep_the_form_given() -> None:
    parsed = parse_overrides({"nginx": "1.27.4", "ghcr.io/acme/api": DIGEST, "redis": f"7.2@{DIGEST}"})
    assert as_stored(parsed) == {
        "docker.io/library/nginx": "1.27.4",
        "docker.io/library/redis": f"7.2@{DIGEST}",
        "ghcr.io/acme/api": DIGEST,
    }
    assert parsed["ghcr.io/acme/api"] == ImageOverride("ghcr.io/acme/api", None, DIGEST)


def test_bad_overrides_name_every_problem() -> None:
    with pytest.raises(OverrideError) as caught:
        parse_overrides({"nginx:1.25": "1.27", "Bad Name": "1", "redis": "not a tag!", "docker.io/library/nginx": "1"})
    text = str(caught.value)
    assert "nginx:1.25" in text and "without a tag" in text
    assert "Bad Name" in text
    assert "redis" in text and "not a tag" in text
    assert len(caught.value.problems) == 3


def test_two_spellings_of_one_image_are_refused() -> None:
    with pytest.raises(OverrideError, match="the same image as nginx"):
        parse_overrides({"nginx": "1.27.4", "docker.io/library/nginx": "1.27.5"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.27.4", ("1.27.4", None)), (DIGEST, (None, DIGEST)), (f"v2@{DIGEST}", ("v2", DIGEST))],
)
def test_override_values(value: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_value("nginx", value) == expected


def test_render_changes_every_pod_template_container_of_the_image_and_nothing_else() -> None:
    manifests = [
        deployment("nginx:1.25", "docker.io/library/nginx:1.25@" + DIGEST, "redis:7", init="nginx"),
        cronjob("docker.io/nginx:1.24-alpine"),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"image": "nginx:1.25"}},
    ]
    before = copy.deepcopy(manifests)
    rendered = render(manifests, parse_overrides({"nginx": "1.27.4"}))
    assert manifests == before, "the input is not modified"
    assert images_of(rendered.manifests) == [
        "nginx:1.27.4",
        "nginx:1.27.4",
        "docker.io/library/nginx:1.27.4",
        "redis:7",
        "docker.io/nginx:1.27.4",
    ]
    assert rendered.manifests[2] == manifests[2]
    assert rendered.matched == {"docker.io/library/nginx"}


def test_render_with_a_digest_pins_it_and_drops_the_tag() -> None:
    rendered = render([deployment("localhost:5000/web:1")], parse_overrides({"localhost:5000/web": DIGEST}))
    assert images_of(rendered.manifests) == [f"localhost:5000/web@{DIGEST}"]


def test_render_without_overrides_is_the_identity_and_reports_unmatched() -> None:
    manifests = [deployment("nginx:1.25")]
    assert render(manifests, {}).manifests == manifests
    assert render(manifests, parse_overrides({"redis": "7"})).matched == frozenset()


tags = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)


@given(st.lists(st.sampled_from(["nginx", "redis", "ghcr.io/a/b", "busybox"]), min_size=1, max_size=5), tags, tags)
def test_render_is_idempotent_and_only_touches_overridden_images(names: list[str], old: str, new: str) -> None:
    manifests = [deployment(*(f"{n}:{old}" for n in names))]
    overrides = parse_overrides({"nginx": new})
    once = render(manifests, overrides).manifests
    assert render(once, overrides).manifests == once
    for before, after in zip(images_of(manifests), images_of(once), strict=True):
        assert after == (f"nginx:{new}" if before.startswith("nginx:") else before)
