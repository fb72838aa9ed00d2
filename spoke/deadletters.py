"""Dead-lettering: a record the spoke cannot read goes to the DLQ with its original key and value and
headers saying why and where from (invariant 5). The headers are built here, purely."""

from __future__ import annotations

from schemas.v1 import WireError

Headers = list[tuple[str, bytes]]


def dead_letter_headers(error: WireError, *, topic: str, partition: int, offset: int, cluster: str) -> Headers:
    return [
        ("reason", error.reason.encode()),
        ("detail", error.detail.encode()[:4096]),
        ("source-topic", topic.encode()),
        ("source-partition", str(partition).encode()),
        ("source-offset", str(offset).encode()),
        ("cluster", cluster.encode()),
    ]
