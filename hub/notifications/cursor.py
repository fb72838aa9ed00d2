"""How far the notifier has read the audit log, when ids may commit out of order. Pure.

On PostgreSQL an audit event's id comes from a sequence when the row is inserted, not when its
transaction commits: a transaction that took id 10 may commit after the one that took id 11, and a
reader may see 11 while 10 is still invisible. (On SQLite one writer at a time takes the next id and
commits: ids appear in order, and this changes nothing.)

So the notifier handles every event as soon as it sees it, remembers which ids above its stored cursor
it has handled, and moves the cursor only over ids that are handled, or missing for longer than the
settle window (a transaction that rolled back leaves its id missing forever; one that takes longer than
the window to commit after writing its audit row would be missed, so the window is generous: 30 s by
default, against transactions that take milliseconds). Missing ids are looked for again on every pass
until then. After a restart, what was handled above the stored cursor is handled again: the deliveries
table refuses a second delivery of one event to one subscription, so nobody is told twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Gaps tracked at most: a jump of ids larger than this (a burst of rolled-back transactions) is given up
# at once beyond it rather than held in memory.
MAX_GAPS = 10_000


@dataclass(frozen=True)
class Cursor:
    position: int  # every id up to here is handled, or was given up on
    handled: frozenset[int] = frozenset()  # handled ids above the position
    gaps: Mapping[int, float] = field(default_factory=dict)  # missing id -> when first noticed (monotonic s)

    @property
    def top(self) -> int:
        """The highest id handled: new events are those above it."""
        return max(self.handled, default=self.position)


def advance(cursor: Cursor, seen: Iterable[int], now: float, settle: float) -> Cursor:
    """The cursor once the events `seen` (ids above the position) are handled, at monotonic time `now`."""
    handled = set(cursor.handled)
    handled.update(i for i in seen if i > cursor.position)
    top = max(handled, default=cursor.position)
    gaps: dict[int, float] = {}
    missing = (i for i in range(cursor.position + 1, top) if i not in handled)
    for count, gap in enumerate(missing):
        # Beyond MAX_GAPS a gap is treated as long settled.
        gaps[gap] = cursor.gaps.get(gap, now) if count < MAX_GAPS else now - settle
    position = cursor.position
    while position < top:
        following = position + 1
        if following in handled or now - gaps[following] >= settle:
            position = following
        else:
            break
    return Cursor(
        position,
        frozenset(i for i in handled if i > position),
        {gap: since for gap, since in gaps.items() if gap > position},
    )
