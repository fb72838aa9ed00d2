from __future__ import annotations

import pytest

from hub.client.fixes import parse_overrides
from hub.client.http import HubError

pytestmark = pytest.mark.unit

CURRENT = {"docker.io/library/nginx": "1.27.4", "ghcr.io/acme/nginx": "2.0"}


def test_overrides_are_keyed_as_the_hub_keys_them() -> None:
    assert parse_overrides(["nginx=1.27.5"], CURRENT) == {
        "docker.io/library/nginx": "1.27.5",
        "ghcr.io/acme/nginx": "2.0",
    }
    assert parse_overrides(["nginx-"], CURRENT) == {"ghcr.io/acme/nginx": "2.0"}, "another registry's nginx stays"
    assert parse_overrides(["ghcr.io/acme/nginx-", "redis=7"], CURRENT) == {
        "docker.io/library/nginx": "1.27.4",
        "docker.io/library/redis": "7",
    }


@pytest.mark.parametrize(
    ("pairs", "problem"), [(["redis-"], "no override"), (["nginx"], "expected IMAGE=TAG"), (["Bad Name=1"], "Bad Name")]
)
def test_bad_pairs_name_the_problem(pairs: list[str], problem: str) -> None:
    with pytest.raises(HubError, match=problem):
        parse_overrides(pairs, CURRENT)
