"""Roles and the principal a request acts as. Pure.

- viewer: read everything (every valid token can; the role exists so a token can hold nothing else);
- deployer: create, update and delete applications;
- approver: approve rollout gates that ask for `approver`;
- platform: publish templates and policies (what every application is made from and must pass);
- admin: every role, including custom ones: clusters, tokens, strategies.

Deployer and approver are separate on purpose: whoever ships a change should not also wave it through.
A custom role (a DNS-1123 label such as `prod-approver`) grants nothing but the approval gates that
name it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from schemas.v1 import is_dns_label


class Role(StrEnum):
    VIEWER = "viewer"
    DEPLOYER = "deployer"
    APPROVER = "approver"
    PLATFORM = "platform"
    ADMIN = "admin"


# The hub's own actors (the rollout engine, the bootstrap command) are named `system:<component>`. A token
# name is a DNS-1123 label, which has no colon, so a person can never be mistaken for the system.
SYSTEM_PREFIX = "system:"
BOOTSTRAP_ACTOR = f"{SYSTEM_PREFIX}bootstrap"


def system_actor(component: str) -> str:
    return f"{SYSTEM_PREFIX}{component}"


class RoleError(ValueError):
    """A token name or role that cannot be used; the message says why."""


def check_token_name(name: str) -> str:
    if not is_dns_label(name):
        raise RoleError(
            f"invalid token name {name!r}: must be a DNS-1123 label (at most 63 lowercase letters, digits and "
            "'-', starting and ending with a letter or digit); it is recorded as the actor in the audit log"
        )
    return name


def check_roles(roles: Iterable[str]) -> list[str]:
    """The roles a new token gets, sorted and without duplicates: built-in ones or custom DNS-1123 labels."""
    checked = sorted(set(roles))
    if not checked:
        raise RoleError(f"a token needs at least one role: {', '.join(Role)} or a custom role such as prod-approver")
    bad = [role for role in checked if not is_dns_label(role)]
    if bad:
        raise RoleError(
            f"invalid role(s) {', '.join(repr(r) for r in bad)}: use {', '.join(Role)}, or a custom role that is a "
            "DNS-1123 label (e.g. prod-approver) for approval gates that name it"
        )
    return checked


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the token's name (recorded as the actor), its roles, and its id."""

    name: str
    roles: frozenset[str]
    token_id: str | None = None

    def has_role(self, role: str) -> bool:
        if Role.ADMIN in self.roles or role in self.roles:
            return True
        # Any valid token may read; no other role implies another.
        return role == Role.VIEWER

    def describe(self) -> str:
        """For error messages: `token ci (id 1a2b3c4d5e6f) has roles deployer`."""
        which = f" (id {self.token_id})" if self.token_id else ""
        return f"token {self.name}{which} has roles {', '.join(sorted(self.roles)) or '(none)'}"
