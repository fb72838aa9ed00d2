"""Durations as people write them in strategies and on the command line: `90s`, `5m`, `1h30m`, `2d`, or a
plain number of seconds. Pure; printed back in the same form, so what is stored reads like what was written.

Go's time.ParseDuration syntax (what kubectl and Prometheus users know) plus `d` for days; no months
or years, whose length varies. ISO 8601 durations (`PT1H30M`) are accepted too, as APIs write them.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from pydantic import TypeAdapter, ValidationError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_ISO = TypeAdapter(timedelta)
# Far more than any soak or deadline needs; timedelta itself ends at 999,999,999 days.
_LONGEST = 100 * 365 * 86400.0
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")


class DurationError(ValueError):
    """Not a duration; the message shows the accepted forms."""


def parse_duration(value: str | float | int | timedelta) -> timedelta:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        # Whatever JSON a client sends reaches this validator (an object, a list): a clear 422, not a crash.
        raise DurationError(f"invalid duration {value!r}: use e.g. 30s, 5m, 1h30m, 2d or a number of seconds")
    elif isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().replace(" ", "")
        if text.upper().startswith("P"):
            # ISO 8601 (PT1H30M), as API clients and JSON Schema defaults write durations.
            try:
                seconds = _ISO.validate_python(text).total_seconds()
            except ValidationError as error:
                raise DurationError(f"invalid duration {value!r}: not an ISO 8601 duration such as PT1H30M") from error
        elif re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif text and _WHOLE.match(text):
            seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(text))
        else:
            raise DurationError(f"invalid duration {value!r}: use e.g. 30s, 5m, 1h30m, 2d or a number of seconds")
    if seconds < 0:
        raise DurationError(f"invalid duration {value!r}: must not be negative")
    if not math.isfinite(seconds) or seconds > _LONGEST:
        raise DurationError(f"invalid duration {value!r}: longer than the {_LONGEST / 86400:.0f} days we allow")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta, *, whole_seconds: bool = False) -> str:
    """`1h30m`, `45s`, `0s`; fractions of a second as milliseconds, or rounded up to whole seconds
    (for what people read: "12s of soak left", never "11s873ms")."""
    seconds = value.total_seconds()
    milliseconds = math.ceil(seconds) * 1000 if whole_seconds else round(seconds * 1000)
    if milliseconds == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, milliseconds = divmod(milliseconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
