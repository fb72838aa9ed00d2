"""Image tags read as versions, ordered numerically, and version constraints. Pure.

The rules (docs/security-fixes.md repeats them for users):

- A version tag is an optional `v`, then 1 to 5 numeric release components separated by dots
  (`1`, `1.27`, `v1.27.4`, `2024.01.15`), each of at most 6 digits; components compare as numbers
  (`1.27.10` > `1.27.9`) and missing ones count as 0 (`1.27` orders equal to `1.27.0`).
- Then, optionally, a pre-release: a stage word, optionally after `-` or `.`, followed by up to 2
  numbers (`1.27.4-rc.1`, `3.13.0rc1`, `1.0-beta-2`, `2.0-SNAPSHOT`). Stage words, lowest first:
  `dev`/`snapshot` < `alpha`/`a` < `beta`/`b` < `milestone`/`m` < `pre`/`preview`/`prerelease` < `rc`;
  the one-letter forms only when a digit follows (`a1`, `b2`, `m3`), so `alpine` and `bookworm` are
  not pre-releases. A pre-release sorts below its release (`1.27.4-rc.1` < `1.27.4`); `rc1` = `rc.1`.
- Then, optionally, a variant after `-` or `_` (`1.27.4-alpine`, `3.12-slim-bookworm`,
  `1.27.4-debian-12-r5`): the same version as without it; the variant is kept apart, never ordered.
- Anything else is not a version and is never guessed as older or newer: `latest`, `stable`,
  `main`, `sha-abc123`, `1.2.x`, and numbers of 7 or more digits (`20240101`, build numbers,
  all-digit commit hashes), which are stamps rather than releases.

Constraints follow npm's ranges (see `Constraint`), pre-releases included only when named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

MAX_RELEASE_COMPONENTS = 5
MAX_PRE_NUMBERS = 2
COMPONENT_DIGITS = 6
_COMPONENT_MAX = 10**COMPONENT_DIGITS - 1


class Stage(IntEnum):
    """Where a version stands on its way to a release; a release is above every pre-release."""

    DEV = 0
    ALPHA = 1
    BETA = 2
    MILESTONE = 3
    PREVIEW = 4
    RC = 5
    RELEASE = 9


_STAGE_WORDS = {
    "dev": Stage.DEV,
    "snapshot": Stage.DEV,
    "alpha": Stage.ALPHA,
    "a": Stage.ALPHA,
    "beta": Stage.BETA,
    "b": Stage.BETA,
    "milestone": Stage.MILESTONE,
    "m": Stage.MILESTONE,
    "pre": Stage.PREVIEW,
    "preview": Stage.PREVIEW,
    "prerelease": Stage.PREVIEW,
    "rc": Stage.RC,
}
_STAGE_NAMES = {
    Stage.DEV: "dev",
    Stage.ALPHA: "alpha",
    Stage.BETA: "beta",
    Stage.MILESTONE: "milestone",
    Stage.PREVIEW: "preview",
    Stage.RC: "rc",
}

_VERSION = re.compile(
    r"""
    [vV]?
    (?P<release>\d+(?:\.\d+)*)
    (?:
        [-.]?
        (?P<stage>alpha|beta|milestone|prerelease|preview|pre|rc|dev|snapshot|[abm](?=\d))
        (?![a-z])
        (?P<numbers>(?:[.-]?\d+)*)
    )?
    (?:[-_](?P<variant>[a-z0-9][\w.-]*))?
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _strip_zeros(numbers: tuple[int, ...]) -> tuple[int, ...]:
    end = len(numbers)
    while end and numbers[end - 1] == 0:
        end -= 1
    return numbers[:end]


@dataclass(frozen=True, order=True)
class VersionKey:
    """A version as it orders: release components (trailing zeros dropped, so `1.27` == `1.27.0`),
    the stage (RELEASE above every pre-release), then the pre-release numbers. No text: `v1.2` and
    `1.2` are the same key; `ParsedTag.text` keeps what was written."""

    release: tuple[int, ...]
    stage: Stage = Stage.RELEASE
    pre: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        release, pre = _strip_zeros(tuple(self.release)), _strip_zeros(tuple(self.pre))
        if len(release) > MAX_RELEASE_COMPONENTS or any(not 0 <= n <= _COMPONENT_MAX for n in release):
            raise ValueError(
                f"release {self.release!r}: at most {MAX_RELEASE_COMPONENTS} numbers of 0..{_COMPONENT_MAX}"
            )
        if len(pre) > MAX_PRE_NUMBERS or any(not 0 <= n <= _COMPONENT_MAX for n in pre):
            raise ValueError(f"pre-release {self.pre!r}: at most {MAX_PRE_NUMBERS} numbers of 0..{_COMPONENT_MAX}")
        if self.stage is Stage.RELEASE and pre:
            raise ValueError("a release has no pre-release numbers")
        object.__setattr__(self, "release", release)
        object.__setattr__(self, "stage", Stage(self.stage))
        object.__setattr__(self, "pre", pre)

    @property
    def prerelease(self) -> bool:
        return self.stage is not Stage.RELEASE

    def __str__(self) -> str:
        release = ".".join(str(n) for n in self.release or (0,))
        if not self.prerelease:
            return release
        return "-".join([release, ".".join([_STAGE_NAMES[self.stage], *(str(n) for n in self.pre)])])


@dataclass(frozen=True)
class ParsedTag:
    """A version tag: its key, its variant (`alpine` in `1.27.4-alpine`) if any, the text as written."""

    key: VersionKey
    variant: str | None
    text: str


class VersionError(ValueError):
    pass


def _numbers(text: str) -> tuple[int, ...] | None:
    parts = [p for p in re.split(r"[.-]", text) if p]
    if any(len(p) > COMPONENT_DIGITS for p in parts):
        return None
    return tuple(int(p) for p in parts)


def parse_version(tag: str) -> ParsedTag | None:
    """The tag as a version, or None if it is not one (see the module's rules): never a guess."""
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    release = _numbers(match["release"])
    pre = _numbers(match["numbers"] or "")
    if release is None or pre is None:
        return None
    if len(release) > MAX_RELEASE_COMPONENTS or len(pre) > MAX_PRE_NUMBERS:
        return None
    stage = _STAGE_WORDS[match["stage"].lower()] if match["stage"] else Stage.RELEASE
    return ParsedTag(VersionKey(release, stage, pre), match["variant"], tag)


def version_key(text: str) -> VersionKey:
    """A version a user gives as a bound (`--older-than 1.27.4`): a version tag without a variant."""
    parsed = parse_version(text.strip())
    if parsed is None:
        raise VersionError(
            f"{text!r} is not a version: expected numbers separated by dots, optionally a `v` before and a "
            "pre-release such as `-rc.1` after (e.g. 1.27.4, v2.0, 1.28.0-rc.1)"
        )
    if parsed.variant is not None:
        raise VersionError(
            f"{text!r}: a version bound has no variant ({parsed.variant!r}); give {parsed.key} and the variant "
            "is ignored when comparing"
        )
    return parsed.key


def _fixed(numbers: tuple[int, ...], width: int) -> list[str]:
    padded = numbers + (0,) * (width - len(numbers))
    return [f"{n:0{COMPONENT_DIGITS}d}" for n in padded]


_NUMBER_GROUPS = MAX_RELEASE_COMPONENTS + MAX_PRE_NUMBERS
# The number groups, one stage digit, a dot between each two of those.
SORTABLE_KEY_LENGTH = _NUMBER_GROUPS * COMPONENT_DIGITS + 1 + _NUMBER_GROUPS


def sortable_key(key: VersionKey) -> str:
    """A fixed-width text (digits and dots only) whose byte order is the key's order, for an SQL
    index: `1.27.4` -> `000001.000027.000004.000000.000000.9.000000.000000`. Compare it with a
    bytewise collation (SQLite's default BINARY; `COLLATE "C"` on PostgreSQL)."""
    return ".".join(
        [*_fixed(key.release, MAX_RELEASE_COMPONENTS), str(int(key.stage)), *_fixed(key.pre, MAX_PRE_NUMBERS)]
    )


def key_from_sortable(text: str) -> VersionKey:
    """The key `sortable_key` encoded."""
    parts = text.split(".")
    if len(parts) != MAX_RELEASE_COMPONENTS + 1 + MAX_PRE_NUMBERS or len(text) != SORTABLE_KEY_LENGTH:
        raise ValueError(f"{text!r} is not a sortable version key")
    release = tuple(int(p) for p in parts[:MAX_RELEASE_COMPONENTS])
    stage = Stage(int(parts[MAX_RELEASE_COMPONENTS]))
    pre = tuple(int(p) for p in parts[MAX_RELEASE_COMPONENTS + 1 :])
    return VersionKey(release, stage, pre)


class ConstraintError(ValueError):
    pass


Operator = Literal["<", "<=", ">", ">=", "="]
_OPERATORS: dict[str, Operator] = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Comparator:
    op: Operator
    bound: VersionKey

    def allows(self, key: VersionKey) -> bool:
        if self.op == "<":
            return key < self.bound
        if self.op == "<=":
            return key <= self.bound
        if self.op == ">":
            return key > self.bound
        if self.op == ">=":
            return key >= self.bound
        return key == self.bound


_TOKEN = re.compile(r"\s*(?P<op><=|>=|<|>|=|~|\^)?\s*(?P<version>[^\s,<>=~^|]+)\s*,?")
_RELEASE_PREFIX = re.compile(r"[vV]?(\d+(?:\.\d+)*)")
_WILDCARD = re.compile(r"(?:\.(?:x|X|\*))+$")


def _bound(version: str, constraint: str) -> tuple[VersionKey, int]:
    """A bound and how many release components were written (a partial `1.2` is a range)."""
    parsed = parse_version(version)
    if parsed is None:
        raise ConstraintError(f"{constraint!r}: {version!r} is not a version")
    if parsed.variant is not None:
        raise ConstraintError(
            f"{constraint!r}: {version!r} has a variant ({parsed.variant!r}); constraints compare versions only"
        )
    written = _RELEASE_PREFIX.match(version)
    assert written is not None  # parse_version matched the same prefix
    return parsed.key, written.group(1).count(".") + 1


def _bump(release: tuple[int, ...], index: int) -> VersionKey:
    """The lowest release above every version starting with release[: index + 1]."""
    padded = release + (0,) * (index + 1 - len(release))
    return VersionKey((*padded[:index], padded[index] + 1))


def _comparators(op: str | None, version: str, constraint: str) -> list[Comparator]:
    if version in ("*", "x", "X"):
        if op not in (None, "="):
            raise ConstraintError(f"{constraint!r}: {op}{version} compares with a wildcard")
        return [Comparator(">=", VersionKey(()))]
    partial = _WILDCARD.search(version)
    if partial:
        version = version[: partial.start()]
    key, given = _bound(version, constraint)
    if partial and key.prerelease:
        raise ConstraintError(f"{constraint!r}: a wildcard cannot follow a pre-release")
    exact = given >= 3 and not partial
    match op:
        case None | "=":
            if exact or key.prerelease:
                return [Comparator("=", key)]
            # npm's X-range: `1.2` and `1.2.x` are every 1.2.z.
            return [Comparator(">=", key), Comparator("<", _bump(key.release, given - 1))]
        case "~":
            return [Comparator(">=", key), Comparator("<", _bump(key.release, min(given, 2) - 1))]
        case "^":
            release = key.release + (0,) * (given - len(key.release))
            first_nonzero = next((i for i, n in enumerate(release[:given]) if n), given - 1)
            return [Comparator(">=", key), Comparator("<", _bump(key.release, first_nonzero))]
        case _:
            if partial:
                raise ConstraintError(f"{constraint!r}: {op}{version} compares with a wildcard")
            return [Comparator(_OPERATORS[op], key)]


@dataclass(frozen=True)
class Constraint:
    """A version constraint, npm-like: `~1.27` (>=1.27.0 <1.28.0), `~1.27.3` (>=1.27.3 <1.28.0),
    `^2` (>=2.0.0 <3.0.0), `^1.2.3` (<2.0.0), `^0.2.3` (<0.3.0), `^0.0.3` (<0.0.4), exact `1.2.3`
    (or `=1.2.3`), partial `1.2` / `1.2.x` (every 1.2.z), comparators `>=1.2 <2` (space or comma
    separated, all must hold; missing components are 0), `*`, and alternatives joined by `||`.

    A pre-release is allowed only if a comparator of the same alternative names a pre-release of
    the same release (`>=1.28.0-rc.1` allows `1.28.0-rc.2`, not `1.29.0-rc.1`), as npm does, so a
    release candidate never slips in under `^1`.
    """

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        if not text.strip():
            raise ConstraintError("empty version constraint: give e.g. ~1.27, ^2, >=1.2 <2 or *")
        alternatives: list[tuple[Comparator, ...]] = []
        for alternative in text.split("||"):
            comparators: list[Comparator] = []
            position = 0
            stripped = alternative.strip()
            if not stripped:
                raise ConstraintError(f"{text!r}: an empty alternative around `||`")
            while position < len(stripped):
                token = _TOKEN.match(stripped, position)
                if token is None or token.end() == position:
                    raise ConstraintError(f"{text!r}: cannot read {stripped[position:]!r}")
                comparators.extend(_comparators(token["op"], token["version"], text))
                position = token.end()
            alternatives.append(tuple(comparators))
        return cls(text.strip(), tuple(alternatives))

    def allows(self, key: VersionKey) -> bool:
        return any(_alternative_allows(comparators, key) for comparators in self.alternatives)

    def __str__(self) -> str:
        return self.text


def _alternative_allows(comparators: tuple[Comparator, ...], key: VersionKey) -> bool:
    if not all(c.allows(key) for c in comparators):
        return False
    if not key.prerelease:
        return True
    return any(c.bound.prerelease and c.bound.release == key.release for c in comparators)
