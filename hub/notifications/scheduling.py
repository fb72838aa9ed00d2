"""Which due deliveries the deliverer starts now. Pure.

At most `free` more in flight overall, and at most `per_receiver` in flight per subscription: a receiver
that hangs holds its own slots until its attempts time out, never everyone's. Oldest due first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Due:
    delivery: int
    subscription: int


def pick(due: Sequence[Due], in_flight: Mapping[int, int], free: int, per_receiver: int) -> list[Due]:
    """`due` oldest first; `in_flight` counts deliveries in flight by subscription."""
    busy = Counter(in_flight)
    chosen: list[Due] = []
    for item in due:
        if len(chosen) >= free:
            break
        if busy[item.subscription] >= per_receiver:
            continue
        busy[item.subscription] += 1
        chosen.append(item)
    return chosen
