"""Auto-update policies as an application carries them: `{image, constraint, strategy}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.images.references import ImageRefError, normalise_name
from hub.images.tags import Constraint, ConstraintError


class AutoUpdatePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(description="The image, as written in manifests or canonical: nginx, ghcr.io/acme/api.")
    constraint: str = Field(description='Versions it may move to: "~1.27" (1.27.x), "^2" (2.x), ">=1.2 <2", "*".')
    strategy: str | None = Field(
        default=None,
        description="The rollout strategy automatic releases go out with (typically staging first, then an "
        "approval gate); None: the application's own.",
    )

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        try:
            return normalise_name(value)
        except ImageRefError as error:
            raise ValueError(str(error)) from error

    @field_validator("constraint")
    @classmethod
    def _constraint(cls, value: str) -> str:
        try:
            Constraint.parse(value)
        except ConstraintError as error:
            raise ValueError(str(error)) from error
        return value.strip()

    @property
    def parsed(self) -> Constraint:
        return Constraint.parse(self.constraint)

    def stored(self) -> dict[str, Any]:
        return self.model_dump()


def parse_policies(source: list[Any]) -> list[AutoUpdatePolicy]:
    """ValueError naming the policy (its index) and the field for anything wrong; one policy per image."""
    if not isinstance(source, list):
        raise ValueError("auto_update must be a list of {image, constraint, strategy}")
    policies: list[AutoUpdatePolicy] = []
    problems: list[str] = []
    for index, item in enumerate(source):
        try:
            policies.append(AutoUpdatePolicy.model_validate(item))
        except ValidationError as error:
            for e in error.errors():
                where = ".".join(str(p) for p in e["loc"])
                problems.append(f"auto_update.{index}{'.' + where if where else ''}: {e['msg']}")
    images = [p.image for p in policies]
    problems += [
        f"auto_update: more than one policy for {i}" for i in sorted({i for i in images if images.count(i) > 1})
    ]
    if problems:
        raise ValueError("; ".join(problems))
    return policies
