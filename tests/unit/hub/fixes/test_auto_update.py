from __future__ import annotations

import pytest

from hub.autoupdate.plan import Candidate, plan_updates
from hub.autoupdate.spec import AutoUpdatePolicy, parse_policies
from hub.images.tags import parse_version
from tests.unit.hub.fixes.test_overrides import deployment

pytestmark = pytest.mark.unit

NGINX = "docker.io/library/nginx"


def policy(constraint: str, strategy: str | None = "staging-first") -> list[AutoUpdatePolicy]:
    return parse_policies([{"image": "nginx", "constraint": constraint, "strategy": strategy}])


def decide(version: str, *candidates: Candidate) -> dict[str, tuple[str | None, str]]:
    parsed = parse_version(version)
    assert parsed is not None
    return {
        d.application: (d.override.value if d.override else None, d.reason)
        for d in plan_updates(list(candidates), NGINX, parsed)
    }


def test_an_allowed_newer_version_updates_and_everything_else_says_why_not() -> None:
    result = decide(
        "1.27.5",
        Candidate("web", [deployment("nginx:1.27.3")], policy("~1.27")),
        Candidate("pinned", [deployment("nginx:1.26.0")], policy("~1.26")),
        Candidate("alpine", [deployment("nginx:1.27.3-alpine")], policy("~1.27")),
        Candidate("ahead", [deployment("nginx:1.27.5")], policy("^1")),
        Candidate("latest", [deployment("nginx:latest")], policy("*")),
        Candidate("unused", [deployment("redis:7")], policy("*")),
        Candidate("no-policy", [deployment("nginx:1.0")], []),
    )
    assert result["web"][0] == "1.27.5"
    assert "constraint ~1.26" in result["pinned"][1]
    assert "variant" in result["alpine"][1]
    assert "already runs" in result["ahead"][1]
    assert "never guessed" in result["latest"][1]
    assert "do not use" in result["unused"][1]
    assert "no-policy" not in result
    assert all(value is None for name, (value, _) in result.items() if name != "web")


def test_pre_releases_need_a_constraint_that_names_one() -> None:
    assert decide("1.28.0-rc.1", Candidate("web", [deployment("nginx:1.27.3")], policy("^1")))["web"][0] is None


def test_policies_are_checked_and_named() -> None:
    assert policy("~1.27")[0].image == NGINX
    with pytest.raises(ValueError, match=r"auto_update\.0\.constraint"):
        parse_policies([{"image": "nginx", "constraint": "~~1"}])
    with pytest.raises(ValueError, match="more than one policy"):
        parse_policies([{"image": "nginx", "constraint": "*"}, {"image": "docker.io/library/nginx", "constraint": "*"}])
    with pytest.raises(ValueError, match=r"auto_update\.0\.extra"):
        parse_policies([{"image": "nginx", "constraint": "*", "extra": 1}])
