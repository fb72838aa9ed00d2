"""Tokens (format, hash, verification, expiry, last-use refresh) and roles: the pure parts of auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.auth.roles import BOOTSTRAP_ACTOR, Principal, Role, RoleError, check_roles, check_token_name, system_actor
from hub.auth.tokens import (
    TOUCH_INTERVAL,
    MalformedToken,
    expiry,
    hash_secret,
    is_expired,
    new_token,
    parse_token,
    secret_matches,
    should_touch,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_a_new_token_parses_back_into_its_id_and_secret() -> None:
    token = new_token()
    assert token.bearer.startswith(f"fct_{token.id}_")
    assert len(token.id) == 12 and int(token.id, 16) >= 0
    assert len(token.secret) >= 43  # 32 random bytes, URL-safe base64
    assert parse_token(token.bearer) == (token.id, token.secret)
    # Surrounding whitespace (a pasted token, a file with a newline) does not matter.
    assert parse_token(f"  {token.bearer}\n") == (token.id, token.secret)


def test_secrets_with_underscores_and_dashes_parse() -> None:
    assert parse_token("fct_0123456789ab_a_b-c_" + "x" * 30) == ("0123456789ab", "a_b-c_" + "x" * 30)


def test_tokens_are_unique() -> None:
    assert len({new_token().bearer for _ in range(200)}) == 200


@pytest.mark.parametrize(
    "bearer",
    [
        "",
        "secret",
        "fct_0123456789ab",
        "fct_0123456789AB_" + "x" * 43,  # the id is lowercase hex
        "fct_0123456789a_" + "x" * 43,  # 11 digits
        "abc_0123456789ab_" + "x" * 43,  # another prefix
        "fct_0123456789ab_short",
        "fct_0123456789ab_" + "x" * 40 + "!",
    ],
)
def test_anything_else_is_malformed_and_the_message_shows_the_format(bearer: str) -> None:
    with pytest.raises(MalformedToken, match=r"expected fct_<id>_<secret>"):
        parse_token(bearer)


def test_only_a_hash_of_the_secret_is_kept_and_it_verifies() -> None:
    token = new_token()
    stored = token.secret_hash
    assert token.secret not in stored
    assert stored == hash_secret(token.secret) and stored.startswith("sha256:")
    assert secret_matches(token.secret, stored)
    assert not secret_matches(token.secret + "x", stored)
    assert not secret_matches(new_token().secret, stored)


def test_expiry() -> None:
    assert expiry(NOW, None) is None
    expires = expiry(NOW, timedelta(days=30))
    assert expires == NOW + timedelta(days=30)
    assert not is_expired(None, NOW)
    assert not is_expired(expires, NOW)
    assert is_expired(expires, expires)
    assert is_expired(NOW - timedelta(seconds=1), NOW)


def test_last_use_is_recorded_at_most_once_per_interval() -> None:
    assert should_touch(None, NOW)
    assert not should_touch(NOW, NOW)
    assert not should_touch(NOW - TOUCH_INTERVAL + timedelta(seconds=1), NOW)
    assert should_touch(NOW - TOUCH_INTERVAL, NOW)


def principal(*roles: str) -> Principal:
    return Principal(name="someone", roles=frozenset(roles), token_id="0123456789ab")


def test_admin_has_every_role_even_custom_ones() -> None:
    admin = principal("admin")
    assert all(admin.has_role(role) for role in (*Role, "prod-approver"))


def test_every_token_can_read() -> None:
    for roles in (("viewer",), ("deployer",), ("approver",), ("prod-approver",)):
        assert principal(*roles).has_role(Role.VIEWER)


def test_deployer_and_approver_do_not_imply_each_other_nor_admin() -> None:
    deployer, approver = principal("deployer"), principal("approver")
    assert deployer.has_role(Role.DEPLOYER) and not deployer.has_role(Role.APPROVER)
    assert approver.has_role(Role.APPROVER) and not approver.has_role(Role.DEPLOYER)
    assert not deployer.has_role(Role.ADMIN) and not approver.has_role(Role.ADMIN)
    assert not principal("viewer").has_role(Role.DEPLOYER)


def test_a_custom_role_grants_only_itself() -> None:
    custom = principal("prod-approver")
    assert custom.has_role("prod-approver")
    assert not custom.has_role(Role.APPROVER)
    assert not custom.has_role(Role.DEPLOYER)
    assert not custom.has_role("staging-approver")
    # An approver does not pass a gate that names a custom role.
    assert not principal("approver").has_role("prod-approver")


def test_the_description_names_the_token_and_its_roles() -> None:
    assert (
        principal("deployer", "approver").describe() == "token someone (id 0123456789ab) has roles approver, deployer"
    )


def test_roles_are_checked_sorted_and_deduplicated() -> None:
    assert check_roles(["deployer", "admin", "deployer", "prod-approver"]) == ["admin", "deployer", "prod-approver"]
    with pytest.raises(RoleError, match="at least one role"):
        check_roles([])
    with pytest.raises(RoleError, match=r"invalid role\(s\) 'Prod_Approver'"):
        check_roles(["viewer", "Prod_Approver"])


def test_token_names_are_dns_labels_so_they_never_look_like_the_system() -> None:
    assert check_token_name("ci-deployer") == "ci-deployer"
    for bad in ("system:rollouts", "Alice", "", "a" * 64, "-x"):
        with pytest.raises(RoleError, match="DNS-1123 label"):
            check_token_name(bad)
    assert system_actor("rollouts") == "system:rollouts"
    assert BOOTSTRAP_ACTOR == "system:bootstrap"
