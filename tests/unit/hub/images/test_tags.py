from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.images.tags import (
    COMPONENT_DIGITS,
    MAX_PRE_NUMBERS,
    MAX_RELEASE_COMPONENTS,
    SORTABLE_KEY_LENGTH,
    Constraint,
    ConstraintError,
    Stage,
    VersionError,
    VersionKey,
    key_from_sortable,
    parse_version,
    sortable_key,
    version_key,
)

numbers = st.integers(min_value=0, max_value=10**COMPONENT_DIGITS - 1)
small = st.integers(min_value=0, max_value=12)


@st.composite
def keys(draw: st.DrawFn, number: st.SearchStrategy[int] = numbers) -> VersionKey:
    release = tuple(draw(st.lists(number, max_size=MAX_RELEASE_COMPONENTS)))
    stage = draw(st.sampled_from(list(Stage)))
    pre = () if stage is Stage.RELEASE else tuple(draw(st.lists(number, max_size=MAX_PRE_NUMBERS)))
    return VersionKey(release, stage, pre)


def v(text: str) -> VersionKey:
    return version_key(text)


@pytest.mark.parametrize(
    ("tag", "release", "stage", "pre", "variant"),
    [
        ("1.27.4", (1, 27, 4), Stage.RELEASE, (), None),
        ("v1.2", (1, 2), Stage.RELEASE, (), None),
        ("V1.2.0", (1, 2), Stage.RELEASE, (), None),
        ("18", (18,), Stage.RELEASE, (), None),
        ("0", (), Stage.RELEASE, (), None),
        ("2024.01.15", (2024, 1, 15), Stage.RELEASE, (), None),
        ("1.27.4-rc.1", (1, 27, 4), Stage.RC, (1,), None),
        ("1.27.4-rc1", (1, 27, 4), Stage.RC, (1,), None),
        ("3.13.0rc1-slim", (3, 13), Stage.RC, (1,), "slim"),
        ("1.0-beta-2", (1,), Stage.BETA, (2,), None),
        ("2.0-SNAPSHOT", (2,), Stage.DEV, (), None),
        ("1.0.0-alpha", (1,), Stage.ALPHA, (), None),
        ("1.0a1", (1,), Stage.ALPHA, (1,), None),
        ("1.0-b2", (1,), Stage.BETA, (2,), None),
        ("5.0-M3", (5,), Stage.MILESTONE, (3,), None),
        ("1.2-preview.3", (1, 2), Stage.PREVIEW, (3,), None),
        ("1.2.3-dev", (1, 2, 3), Stage.DEV, (), None),
        ("1.27.4-rc.1-alpine", (1, 27, 4), Stage.RC, (1,), "alpine"),
        ("1.27.4-alpine", (1, 27, 4), Stage.RELEASE, (), "alpine"),
        ("1.27.4-bookworm", (1, 27, 4), Stage.RELEASE, (), "bookworm"),
        ("3.12-slim", (3, 12), Stage.RELEASE, (), "slim"),
        ("3.12-slim-bookworm", (3, 12), Stage.RELEASE, (), "slim-bookworm"),
        ("18-alpine3.20", (18,), Stage.RELEASE, (), "alpine3.20"),
        ("1.27.4-debian-12-r5", (1, 27, 4), Stage.RELEASE, (), "debian-12-r5"),
        ("1.27.4_custom", (1, 27, 4), Stage.RELEASE, (), "custom"),
        ("1.2-devel", (1, 2), Stage.RELEASE, (), "devel"),
    ],
)
def test_version_tags(
    tag: str, release: tuple[int, ...], stage: Stage, pre: tuple[int, ...], variant: str | None
) -> None:
    parsed = parse_version(tag)
    assert parsed is not None
    assert parsed.key == VersionKey(release, stage, pre)
    assert parsed.variant == variant
    assert parsed.text == tag


@pytest.mark.parametrize(
    "tag",
    [
        "latest",
        "stable",
        "main",
        "sha-abc123",
        "abc123",
        "1.2.x",
        "20240101",
        "1234567",
        "1.2.3.4.5.6",
        "v",
        "1..2",
        "1.2.",
        ".1",
        "1.0-rc.1.2.3",
        "1.2.3.RELEASE",
        "1e5",
        "1.2-dev20240101",
    ],
)
def test_tags_that_are_not_versions(tag: str) -> None:
    assert parse_version(tag) is None


def test_ordering_examples() -> None:
    assert v("1.27.10") > v("1.27.9")
    assert v("1.27.4-rc.1") < v("1.27.4")
    assert v("1.27.4-rc.1") > v("1.27.3")
    assert v("1.27") == v("1.27.0") == v("v1.27.0.0")
    assert v("1.27.0.1") > v("1.27")
    assert v("1.0-alpha") < v("1.0-alpha.1") < v("1.0-beta") < v("1.0-rc.1") < v("1.0-rc.2") < v("1.0-rc.10") < v("1.0")
    assert v("1.0-dev") < v("1.0-alpha")
    parsed = parse_version("1.27.4-alpine")
    assert parsed is not None and parsed.key == v("1.27.4")


def test_a_bound_is_a_version_without_variant() -> None:
    with pytest.raises(VersionError, match="'latest' is not a version"):
        version_key("latest")
    with pytest.raises(VersionError, match="no variant"):
        version_key("1.27.4-alpine")


def test_sortable_key_shape() -> None:
    assert sortable_key(v("1.27.4")) == "000001.000027.000004.000000.000000.9.000000.000000"
    assert sortable_key(v("1.27.4-rc.1")) == "000001.000027.000004.000000.000000.5.000001.000000"
    assert len(sortable_key(v("1"))) == SORTABLE_KEY_LENGTH


@given(keys(), keys())
def test_sortable_key_order_is_key_order(a: VersionKey, b: VersionKey) -> None:
    sa, sb = sortable_key(a), sortable_key(b)
    assert len(sa) == len(sb) == SORTABLE_KEY_LENGTH
    # Byte order, as SQLite's BINARY and PostgreSQL's "C" collation compare.
    assert (a < b) == (sa.encode("ascii") < sb.encode("ascii"))
    assert (a == b) == (sa == sb)


@given(keys(small), keys(small), keys(small))
def test_total_order(a: VersionKey, b: VersionKey, c: VersionKey) -> None:
    assert sum([a < b, a == b, a > b]) == 1
    if a <= b and b <= c:
        assert a <= c
    if a <= b and b <= a:
        assert a == b


@given(keys())
def test_round_trips(key: VersionKey) -> None:
    assert key_from_sortable(sortable_key(key)) == key
    assert version_key(str(key)) == key
    parsed = parse_version("v" + str(key) + "-alpine")
    assert parsed is not None and parsed.key == key and parsed.variant == "alpine"


@given(keys(small), st.integers(min_value=1, max_value=3))
def test_trailing_zeros_do_not_change_the_key(key: VersionKey, zeros: int) -> None:
    release = key.release + (0,) * zeros
    if len(release) <= MAX_RELEASE_COMPONENTS:
        assert VersionKey(release, key.stage, key.pre) == key


@pytest.mark.parametrize(
    ("constraint", "allowed", "refused"),
    [
        ("~1.27", ["1.27.0", "1.27", "1.27.99"], ["1.26.9", "1.28.0", "1.27.5-rc.1"]),
        ("~1.27.3", ["1.27.3", "1.27.10"], ["1.27.2", "1.28.0"]),
        ("~1", ["1.0.0", "1.99"], ["2.0", "0.9"]),
        ("^2", ["2.0.0", "2.99.1"], ["1.9", "3.0.0", "3.0.0-rc.1", "2.1.0-rc.1"]),
        ("^1.2.3", ["1.2.3", "1.9"], ["1.2.2", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
        ("^0", ["0.0.1", "0.9"], ["1.0"]),
        ("^0.0", ["0.0.9"], ["0.1.0"]),
        ("1.2.3", ["1.2.3", "v1.2.3", "1.2.3.0"], ["1.2.4", "1.2.3-rc.1"]),
        ("=1.2.3", ["1.2.3"], ["1.2.4"]),
        ("1.2", ["1.2.0", "1.2.7"], ["1.3.0", "1.1.9"]),
        ("1.2.x", ["1.2.0", "1.2.7"], ["1.3.0"]),
        ("1.x", ["1.0", "1.9.9"], ["2.0"]),
        (">=1.2 <2", ["1.2", "1.9.9"], ["1.1.9", "2.0", "2.0.0-rc.1", "1.5.0-beta.1"]),
        (">=1.2, <2", ["1.2"], ["2.0"]),
        (">= 1.2 < 2", ["1.5"], ["2.1"]),
        (">1.2 <=1.4", ["1.2.1", "1.4"], ["1.2", "1.4.1"]),
        ("*", ["0", "1.0", "999.1"], ["1.0-rc.1"]),
        ("<1.27.4", ["1.27.3"], ["1.27.4", "1.27.4-rc.1"]),
        ("^1.0 || ^3.0", ["1.5", "3.2"], ["2.0"]),
        (">=1.28.0-rc.1", ["1.28.0-rc.1", "1.28.0-rc.2", "1.28.0", "1.29"], ["1.28.0-beta.1", "1.29.0-rc.1"]),
        ("~1.28.0-rc.1", ["1.28.0-rc.2", "1.28.5"], ["1.29.0", "1.28.1-rc.1"]),
        ("1.28.0-rc.1", ["1.28.0-rc.1"], ["1.28.0-rc.2", "1.28.0"]),
    ],
)
def test_constraints(constraint: str, allowed: list[str], refused: list[str]) -> None:
    parsed = Constraint.parse(constraint)
    for text in allowed:
        assert parsed.allows(v(text)), f"{constraint} should allow {text}"
    for text in refused:
        assert not parsed.allows(v(text)), f"{constraint} should refuse {text}"


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ("", "empty version constraint"),
        ("latest", "'latest' is not a version"),
        ("~1.27-alpine", "has a variant"),
        (">=1.x", "compares with a wildcard"),
        ("^1 ||", "empty alternative"),
        (">=1.2 ?", "'?' is not a version"),
        (">=1.2 >", "cannot read"),
    ],
)
def test_bad_constraints_name_the_problem(constraint: str, message: str) -> None:
    with pytest.raises(ConstraintError, match=message):
        Constraint.parse(constraint)


@given(keys(small))
def test_exact_constraint_allows_exactly_its_version(key: VersionKey) -> None:
    text = (
        str(key) if len(key.release) >= 3 or key.prerelease else ".".join(str(n) for n in (*key.release, 0, 0, 0)[:3])
    )
    constraint = Constraint.parse(text)
    assert constraint.allows(key)


@given(keys(small), keys(small))
def test_comparator_constraints_agree_with_the_order(bound: VersionKey, key: VersionKey) -> None:
    if key.prerelease:
        return
    assert Constraint.parse(f"<{bound}").allows(key) == (key < bound)
    assert Constraint.parse(f">={bound}").allows(key) == (key >= bound)
