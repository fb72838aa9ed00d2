"""Kubernetes label keys and values: the rules cluster labels and selectors follow."""

from __future__ import annotations

import re
from collections.abc import Mapping

# The same rules the Kubernetes API server applies, so a selector that works here works there too.
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class LabelError(ValueError):
    """A label key or value that Kubernetes would refuse; the message says which and why."""


def key_problem(key: str) -> str | None:
    """Why `key` is not a valid label key, or None when it is."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"label key {key!r}: prefix must be a DNS subdomain (lowercase, at most 253 characters)"
    if not name or len(name) > 63 or not _NAME.match(name):
        return (
            f"label key {key!r}: name must be 1-63 characters of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def value_problem(key: str, value: str) -> str | None:
    """Why `value` is not a valid label value, or None when it is (the empty value is valid)."""
    if value and (len(value) > 63 or not _NAME.match(value)):
        return (
            f"label {key}={value!r}: value must be empty or 1-63 characters of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def validate_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels as a plain dict, or LabelError naming every bad key and value."""
    problems: list[str] = []
    for key, value in labels.items():
        problem = key_problem(key) or value_problem(key, value)
        if problem:
            problems.append(problem)
    if problems:
        raise LabelError("; ".join(problems))
    return dict(sorted(labels.items()))
