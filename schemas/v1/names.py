"""Identifiers that travel on the wire, and the rules they follow."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

# A DNS-1123 label: clusters and applications become topic names, label values and object names.
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS_LABEL = re.compile(DNS_LABEL_PATTERN)

ClusterId = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL_PATTERN)]
ApplicationId = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL_PATTERN)]


def is_dns_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS_LABEL.match(value))
