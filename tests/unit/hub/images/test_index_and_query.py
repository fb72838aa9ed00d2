from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.images.index import index_rows, rows_from_images
from hub.images.query import QueryError, decode_cursor, encode_cursor, page_limit, version_query
from hub.images.tags import sortable_key, version_key
from schemas.v1 import Health, RunningImage, StatusReport

DIGEST = "sha256:" + "f" * 64
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def report(
    containers: list[RunningImage] | None, images: list[str] | None = None, removed: bool = False
) -> StatusReport:
    return StatusReport(
        cluster="c1",
        application="web",
        observed_generation=1,
        observed_revision=1,
        health=Health.READY,
        removed=removed,
        images=images or [],
        containers=containers,
        time=NOW,
    )


def running(image: str, **extra: object) -> RunningImage:
    values: dict[str, object] = {
        "kind": "Deployment",
        "namespace": "ns",
        "name": "web",
        "container": "c",
        "image": image,
    }
    return RunningImage.model_validate(values | extra)


def test_rows_per_container() -> None:
    rows = index_rows(
        report(
            [
                running("nginx:1.27.3-alpine", container_type="init", container="setup"),
                running("localhost:5000/web@" + DIGEST),
                running("ghcr.io/o/app", digest=DIGEST),
                running("bad image!"),
                running("nginx:latest", digest="not-a-digest"),
            ]
        )
    )
    assert [(r.position, r.repository, r.tag, r.variant, r.digest, r.container_type) for r in rows] == [
        (0, "docker.io/library/nginx", "1.27.3-alpine", "alpine", None, "init"),
        (1, "localhost:5000/web", None, None, DIGEST, "container"),
        (2, "ghcr.io/o/app", "latest", None, DIGEST, "container"),
        (3, "docker.io/library/nginx", "latest", None, None, "container"),
    ]
    assert rows[0].version_key == sortable_key(version_key("1.27.3"))
    assert [r.version_key for r in rows[1:]] == [None, None, None]
    assert rows[0].values("c1", "web")["cluster_id"] == "c1"
    assert (rows[0].kind, rows[0].namespace, rows[0].name, rows[0].container) == ("Deployment", "ns", "web", "setup")


def test_an_older_spoke_gives_image_names_only() -> None:
    rows = index_rows(report(None, images=["nginx:1.25", "redis"]))
    assert [(r.repository, r.tag, r.kind, r.container) for r in rows] == [
        ("docker.io/library/nginx", "1.25", None, None),
        ("docker.io/library/redis", "latest", None, None),
    ]
    assert rows == rows_from_images(["nginx:1.25", "redis"])


def test_nothing_runs_when_removed_or_reported_empty() -> None:
    assert index_rows(report([running("nginx:1")], removed=True)) == []
    assert index_rows(report([], images=["nginx:1"])) == []


def test_a_too_long_repository_is_not_stored() -> None:
    assert rows_from_images(["registry.example.com/" + "a" * 300 + ":1"]) == []


def test_a_query_normalises_and_validates() -> None:
    query = version_query("nginx", older_than=" 1.27.4 ", newer_than="v1.2", excluded=["1.27.3", DIGEST, " "])
    assert query.repository == "docker.io/library/nginx"
    assert query.upper == sortable_key(version_key("1.27.4"))
    assert query.lower == sortable_key(version_key("1.2"))
    assert (query.excluded_tags, query.excluded_digests) == (["1.27.3"], [DIGEST])
    assert query.describe() == f"older than 1.27.4, newer than v1.2, except 1.27.3, {DIGEST}"
    assert version_query("nginx").describe() == "at any version"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": "nginx:1.2"}, "image: 'nginx:1.2': give the image name without a tag"),
        ({"image": "Nginx"}, "image:"),
        ({"image": "nginx", "older_than": "latest"}, "older_than: 'latest' is not a version"),
        ({"image": "nginx", "newer_than": "1.2-alpine"}, "newer_than: '1.2-alpine': a version bound has no variant"),
        ({"image": "nginx", "older_than": "1.2", "newer_than": "1.2.0"}, "no version is both newer than 1.2.0"),
    ],
)
def test_bad_queries_name_the_problem(kwargs: dict[str, str], message: str) -> None:
    image = kwargs.pop("image")
    with pytest.raises(QueryError, match=message):
        version_query(image, **kwargs)  # type: ignore[arg-type]


def test_limits() -> None:
    assert page_limit(None) == 100
    assert page_limit(1000) == 1000
    with pytest.raises(QueryError, match="limit: 0 is not between 1 and 1000"):
        page_limit(0)


@given(st.text(max_size=60), st.text(max_size=63), st.text(max_size=63), st.integers(min_value=0, max_value=10**6))
def test_cursors_round_trip(key: str, cluster: str, application: str, position: int) -> None:
    assert decode_cursor(encode_cursor((key, cluster, application, position))) == (key, cluster, application, position)


@pytest.mark.parametrize("cursor", ["x", "bm90IGpzb24", encode_cursor(("a", "b", "c", 1))[:-2], "WzEsMiwzLDRd"])
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(QueryError, match="is not a cursor"):
        decode_cursor(cursor)
