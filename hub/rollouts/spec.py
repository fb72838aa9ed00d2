"""A rollout strategy as users write it: ordered waves, each with who is in it, how fast it goes, how
many failures it tolerates, how long a cluster must stay healthy, and the gates around it.

    waves:
    - name: staging
      selector: env=staging
      minHealthy: 1m
      progressDeadline: 10m
    - name: canary
      selector: env=prod
      limit: 1                    # one of the remaining prod clusters
    - name: prod
      selector: env=prod
      maxConcurrency: 50%
      before:
      - approval: {role: approver}
    onFailure: pause              # pause | abort | rollback

Field names are camelCase, as in Kubernetes objects; unknown fields are refused, so a typo is an error
and not a silently ignored setting. Validated here, pure; stored as the normalised JSON `dump` gives.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from hub.durations import format_duration, parse_duration
from hub.labels import key_problem
from hub.selectors import SelectorError, parse_selector
from schemas.v1 import content_digest, is_dns_label

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"}, {"type": "number", "minimum": 0}],
            "description": "A duration: 30s, 5m, 1h30m, 2d, or a number of seconds.",
        }
    ),
]

_AMOUNT = re.compile(r"^(\d+)%$")


class Amount(BaseModel):
    """A count (`2`) or a percentage (`25%`) of some number of clusters."""

    model_config = ConfigDict(frozen=True)

    value: int
    percent: bool = False

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)

    def at_least_one_of(self, total: int) -> int:
        """Rounded up, and at least 1 when there is anything at all: 10% of 3 clusters is 1 cluster."""
        if not self.percent:
            return min(self.value, total)
        return min(total, max(1 if total and self.value else 0, math.ceil(total * self.value / 100)))

    def at_most_of(self, total: int) -> int:
        """Rounded down: a tolerance of 10% of 9 clusters is 0 failures."""
        if not self.percent:
            return self.value
        return math.floor(total * self.value / 100)


def _amount(value: Any) -> Any:
    if isinstance(value, Amount | dict):
        return value
    if isinstance(value, bool):
        raise ValueError('expected a count (e.g. 2) or a percentage (e.g. "25%")')
    if isinstance(value, int):
        return {"value": value}
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return {"value": int(text)}
        match = _AMOUNT.match(text)
        if match:
            percent = int(match.group(1))
            if not 0 <= percent <= 100:
                raise ValueError(f"{value!r}: a percentage must be between 0% and 100%")
            return {"value": percent, "percent": True}
    raise ValueError(f'{value!r} is not a count (e.g. 2) or a percentage (e.g. "25%")')


AmountField = Annotated[
    Amount,
    BeforeValidator(_amount),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\d+%$"}],
            "description": 'A count of clusters (2) or a percentage ("25%").',
        }
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


class Approval(_Spec):
    role: str = Field(default="approver", description="Role a token needs to approve; admin can always approve.")

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if not is_dns_label(value):
            raise ValueError(f"role {value!r} must be a DNS-1123 label (e.g. approver, prod-approver)")
        return value


class Gate(_Spec):
    """Exactly one of: an approval by someone holding a role, or a timed wait."""

    approval: Approval | None = None
    wait: Duration | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.approval is None) == (self.wait is None):
            raise ValueError("a gate is exactly one of {approval: {role: ...}} or {wait: <duration>}")
        return self

    def describe(self) -> str:
        if self.approval is not None:
            return f"approval by role {self.approval.role}"
        assert self.wait is not None
        return f"wait {format_duration(self.wait)}"


class Wave(_Spec):
    name: str
    selector: str | None = Field(
        default=None, description="Label selector among the clusters the release selects; none: all remaining."
    )
    limit: AmountField | None = Field(
        default=None, description="At most this many (or this % of) the remaining matching clusters, in order."
    )
    max_concurrency: AmountField | None = Field(
        default=None, description="Clusters updating at once (count or % of the wave); none: the whole wave."
    )
    max_failures: AmountField = Field(
        default=Amount(value=0), description="Failed clusters the wave tolerates (count or % of the wave)."
    )
    min_healthy: Duration = Field(
        default=timedelta(0), description="How long a cluster must stay healthy, without a break, to pass."
    )
    progress_deadline: Duration = Field(
        default=timedelta(minutes=10),
        description="A cluster not healthy this long after its dispatch fails (a healthy one soaking goes on).",
    )
    before: list[Gate] = Field(default_factory=list, description="Gates passed, in order, before the wave starts.")
    after: list[Gate] = Field(
        default_factory=list, description="Gates passed, in order, before the wave counts as passed."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not is_dns_label(value):
            raise ValueError(f"wave name {value!r} must be a DNS-1123 label (e.g. staging, prod-eu)")
        return value

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(parse_selector(value))
        except SelectorError as error:
            raise ValueError(str(error)) from error

    @field_validator("limit", "max_concurrency")
    @classmethod
    def _positive(cls, value: Amount | None) -> Amount | None:
        if value is not None and value.value == 0:
            raise ValueError("must be at least 1 (or 1%)")
        return value

    @field_validator("progress_deadline")
    @classmethod
    def _deadline(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    def concurrency(self, size: int) -> int:
        return size if self.max_concurrency is None else max(1, self.max_concurrency.at_least_one_of(size))

    def tolerated_failures(self, size: int) -> int:
        return self.max_failures.at_most_of(size)


class OnFailure(StrEnum):
    PAUSE = "pause"
    ABORT = "abort"
    ROLLBACK = "rollback"


class Unmatched(StrEnum):
    """Clusters the release selects but no wave does."""

    SKIP = "skip"  # left on their baseline, listed as skipped
    LAST_WAVE = "lastWave"  # added to the last wave


class StrategySpec(_Spec):
    waves: list[Wave] = Field(min_length=1)
    on_failure: OnFailure = OnFailure.PAUSE
    unmatched: Unmatched = Unmatched.SKIP
    sort_label: str | None = Field(
        default=None,
        description="Clusters are taken in the order of this label's value (numbers numerically), then by id.",
    )

    @field_validator("sort_label")
    @classmethod
    def _sort_label(cls, value: str | None) -> str | None:
        problem = key_problem(value) if value is not None else None
        if problem:
            raise ValueError(f"sortLabel: {problem}")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for wave in self.waves:
            if wave.name in seen:
                raise ValueError(f"wave name {wave.name!r} is used twice")
            seen.add(wave.name)
        return self

    def dump(self) -> dict[str, Any]:
        """The normalised JSON form: what is stored and what the digest covers."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def digest(self) -> str:
        return content_digest([self.dump()])


def spec_problems(error: ValidationError) -> list[str]:
    """Pydantic's errors as `waves.1.maxConcurrency: <why>` lines, in the strategy's own field names."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems
