"""The DLQ header contract: one builder and one parser, for the hub and every spoke."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.v1 import WireError
from schemas.v1.deadletters import (
    MAX_DETAIL_BYTES,
    DeadLetter,
    dead_letter_headers,
    parse_dead_letter_headers,
    wire_error_headers,
)


def test_a_spokes_dead_letter_says_why_where_from_and_which_cluster() -> None:
    error = WireError("invalid", "data.digest: bad")
    headers = wire_error_headers(error, topic="t", partition=0, offset=42, cluster="c1")
    assert dict(headers) == {
        "reason": b"invalid",
        "detail": b"data.digest: bad",
        "source-topic": b"t",
        "source-partition": b"0",
        "source-offset": b"42",
        "cluster": b"c1",
    }


def test_the_hubs_dead_letter_names_its_consumer_group_and_no_cluster() -> None:
    headers = dict(dead_letter_headers("unsupported", "v9", topic="s", partition=3, offset=7, consumer="fleetcast-hub"))
    assert headers["consumer"] == b"fleetcast-hub" and "cluster" not in headers


@given(st.text(min_size=MAX_DETAIL_BYTES // 4, max_size=3 * MAX_DETAIL_BYTES))
def test_the_detail_is_bounded_and_never_cut_inside_a_character(detail: str) -> None:
    value = dict(dead_letter_headers("r", detail, topic="t", partition=0, offset=0))["detail"]
    assert len(value) <= MAX_DETAIL_BYTES
    assert detail.encode().startswith(value)
    value.decode()  # valid UTF-8


@given(
    reason=st.text(min_size=1, max_size=30),
    detail=st.text(max_size=100),
    partition=st.integers(0, 1000),
    offset=st.integers(0, 2**62),
    consumer=st.none() | st.text(min_size=1, max_size=20),
    cluster=st.none() | st.text(min_size=1, max_size=20),
)
def test_headers_parse_back(
    reason: str, detail: str, partition: int, offset: int, consumer: str | None, cluster: str | None
) -> None:
    headers = dead_letter_headers(
        reason, detail, topic="topic", partition=partition, offset=offset, consumer=consumer, cluster=cluster
    )
    assert parse_dead_letter_headers(headers) == DeadLetter(
        reason=reason,
        detail=detail,
        source_topic="topic",
        source_partition=partition,
        source_offset=offset,
        consumer=consumer,
        cluster=cluster,
    )


def test_unknown_headers_are_ignored_and_missing_ones_named() -> None:
    headers = [*dead_letter_headers("r", "d", topic="t", partition=0, offset=1), ("later-addition", b"x")]
    assert parse_dead_letter_headers(headers).source_offset == 1
    with pytest.raises(WireError, match="source-offset"):
        parse_dead_letter_headers([h for h in headers if h[0] != "source-offset"])
    with pytest.raises(WireError, match="non-numeric"):
        parse_dead_letter_headers([*headers[:4], ("source-offset", b"x")])
