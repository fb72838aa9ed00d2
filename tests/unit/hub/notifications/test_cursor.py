"""The notifier's cursor over audit ids that commit out of order: every id is handled once, the cursor
never passes an id still young enough to commit, and gives up on ids missing beyond the settle window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.notifications.cursor import Cursor, advance

SETTLE = 30.0


def test_ids_in_order_move_the_cursor() -> None:
    cursor = advance(Cursor(0), [1, 2, 3], now=0, settle=SETTLE)
    assert (cursor.position, cursor.handled, dict(cursor.gaps)) == (3, frozenset(), {})


def test_a_gap_holds_the_cursor_until_the_id_commits() -> None:
    cursor = advance(Cursor(10), [11, 13, 14], now=100, settle=SETTLE)
    assert cursor.position == 11 and cursor.handled == {13, 14} and dict(cursor.gaps) == {12: 100}
    assert cursor.top == 14  # new events are looked for above 14; 12 is looked for by id
    cursor = advance(cursor, [12], now=105, settle=SETTLE)
    assert (cursor.position, cursor.handled, dict(cursor.gaps)) == (14, frozenset(), {})


def test_an_id_missing_beyond_the_settle_window_is_given_up() -> None:
    cursor = advance(Cursor(0), [2], now=0, settle=SETTLE)
    cursor = advance(cursor, [], now=29.9, settle=SETTLE)
    assert cursor.position == 0
    cursor = advance(cursor, [], now=30, settle=SETTLE)
    assert (cursor.position, cursor.handled, dict(cursor.gaps)) == (2, frozenset(), {})


def test_the_gap_time_is_when_it_was_first_noticed() -> None:
    cursor = advance(Cursor(0), [3], now=0, settle=SETTLE)  # 1 and 2 missing since 0
    cursor = advance(cursor, [1, 5], now=20, settle=SETTLE)  # 4 missing since 20
    assert dict(cursor.gaps) == {2: 0, 4: 20}
    cursor = advance(cursor, [], now=31, settle=SETTLE)
    assert cursor.position == 3 and dict(cursor.gaps) == {4: 20}


@st.composite
def commits(draw: st.DrawFn) -> list[tuple[int, float]]:
    """Ids 1..n, each committing (becoming visible) at some time; some never (rolled back)."""
    n = draw(st.integers(min_value=1, max_value=40))
    result = []
    for identifier in range(1, n + 1):
        if draw(st.booleans()) or draw(st.booleans()):
            result.append((identifier, draw(st.floats(min_value=0, max_value=25))))
    return result


@given(commits(), st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=30))
def test_every_committed_id_is_handled_exactly_once(visible: list[tuple[int, float]], looks: list[float]) -> None:
    """Commits land within 25 s of the first look, the window is 30 s: nothing is missed or repeated."""
    times = [*sorted(looks), 200.0]
    cursor = Cursor(0)
    handled: list[int] = []
    for now in times:
        # what a pass reads: new ids above the top, and the gaps it looks for again
        present = {i for i, at in visible if at <= now}
        seen = sorted(i for i in present if i > cursor.top or i in cursor.gaps)
        handled += seen
        before = cursor.position
        cursor = advance(cursor, seen, now, SETTLE)
        assert cursor.position >= before
        # never past an id that may still commit
        for identifier, at in visible:
            if identifier <= cursor.position:
                assert identifier in handled or at > now
    assert sorted(handled) == sorted(i for i, _ in visible)
    assert len(handled) == len(set(handled))
