"""The dependency graph between applications: pure. Edges point from an application to those it
depends on. Applications that do not exist (yet) may be depended on: a sync creates them in any order."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping


def cycle(edges: Mapping[str, Iterable[str]], changed: str, new_deps: Iterable[str]) -> list[str] | None:
    """The cycle `changed` would be on if its dependencies became `new_deps` (the rest of the graph as
    `edges`), as a path from `changed` back to itself: ["web", "api", "web"]; None when there is none.

    A shortest such path, found breadth-first with neighbours in sorted order: the same graph always
    gives the same answer."""
    start = sorted(set(new_deps))
    if changed in start:
        return [changed, changed]
    # Breadth-first from `changed`'s new dependencies; `parent` records how each was first reached.
    parent: dict[str, str] = {name: changed for name in start}
    queue = deque(start)
    while queue:
        here = queue.popleft()
        for there in sorted(set(edges.get(here, ()))):
            if there == changed:
                node = here
                trail = [here]
                while parent[node] != changed:
                    node = parent[node]
                    trail.append(node)
                return [changed, *reversed(trail), changed]
            if there not in parent:
                parent[there] = here
                queue.append(there)
    return None


def cycle_text(path: list[str]) -> str:
    return " -> ".join(path)


def missing(deps: Iterable[str], existing: Iterable[str]) -> list[str]:
    """The dependencies that name no live application, sorted."""
    known = set(existing)
    return sorted({d for d in deps if d not in known})
