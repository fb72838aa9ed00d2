"""Which subscriptions an event goes to. Pure.

An event concerns a set of applications and a set of clusters (the notifier works them out):
- an event about one cluster (cluster-failed, unreachable) concerns that cluster; a rollout event about
  a wave (approval-requested, wave-passed) concerns the wave's clusters; any other rollout event the
  run's clusters; a campaign event no cluster;
- an event about an application concerns it; a campaign event the applications it changed; a cluster
  event the applications placed on the cluster.

A subscription matches when the event's type matches one of its patterns, the event happened after it
was made, at least one concerned application matches one of its globs (when it has any), and at least
one concerned cluster matches its selector (when it has one). An event that concerns no cluster never
matches a subscription with a selector; one that concerns no application never matches one with
application globs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from hub.notifications.events import Event, pattern_matches
from hub.notifications.spec import Rule


@dataclass(frozen=True)
class Subject:
    applications: frozenset[str] = frozenset()
    # cluster -> its labels now (a deregistered cluster has none, and matches no selector)
    clusters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def wants(rule: Rule, event: Event) -> bool:
    """The checks that need nothing but the event: its type and its time."""
    return pattern_matches(rule.events, event.type) and event.time >= rule.created_at


def needs_applications(rules: Iterable[Rule]) -> bool:
    return any(r.applications for r in rules)


def needs_clusters(rules: Iterable[Rule]) -> bool:
    return any(r.selector.requirements for r in rules)


def matches(rule: Rule, event: Event, subject: Subject) -> bool:
    if not wants(rule, event):
        return False
    if rule.applications and not any(
        fnmatchcase(application, glob) for application in subject.applications for glob in rule.applications
    ):
        return False
    return not rule.selector.requirements or any(rule.selector.matches(labels) for labels in subject.clusters.values())
