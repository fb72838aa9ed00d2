"""The rollout commands' pure parts: reading strategy files, and rendering a run for people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from deploy.cli import build_parser
from hub.client.http import HubError
from hub.client.rollouts import progress_line, rollout_text, strategy_documents

STRATEGY = """
apiVersion: fleetcast.io/v1
kind: Strategy
metadata: {name: careful}
spec:
  waves:
  - {name: staging, selector: env=staging}
---
kind: Strategy
metadata: {name: fast}
spec: {waves: [{name: all}]}
"""


def test_every_strategy_document_is_read_with_its_name() -> None:
    documents = strategy_documents(STRATEGY, "s.yaml")
    assert [name for name, _spec in documents] == ["careful", "fast"]
    assert documents[0][1] == {"waves": [{"name": "staging", "selector": "env=staging"}]}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no strategy in it"),
        ("kind: Strategy\nmetadata: {name: x}\nspec: [", "not valid YAML"),
        ("kind: Application\nmetadata: {name: x}\nspec: {}", "document 1: kind is 'Application', expected Strategy"),
        ("kind: Strategy\nspec: {waves: []}", "document 1: metadata.name is missing"),
        ("kind: Strategy\nmetadata: {name: x}", "document 1 (x): spec is missing"),
        ("apiVersion: v2\nkind: Strategy\nmetadata: {name: x}\nspec: {}", "apiVersion is 'v2'"),
        ("- a\n- b", "expected a mapping"),
    ],
)
def test_a_bad_strategy_file_is_refused_naming_the_document(text: str, problem: str) -> None:
    with pytest.raises(HubError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        strategy_documents(text, "s.yaml")


RUN: dict[str, Any] = {
    "id": 12,
    "application": "web",
    "revision": 7,
    "digest": "sha256:0123456789abcdef0123",
    "strategy": "careful",
    "strategy_version": 2,
    "state": "waiting-for-approval",
    "reason": None,
    "waiting_for": "approval by role approver before wave prod (requested 2m ago)",
    "created_by": "dana",
    "created_at": "2026-11-22T12:00:00Z",
    "waves": [
        {
            "name": "staging",
            "state": "passed",
            "clusters": {"passed": 1},
            "gates": [{"phase": "after", "kind": "wait 10m", "state": "passed", "approved_by": None}],
        },
        {
            "name": "prod",
            "state": "pending",
            "clusters": {"pending": 2},
            "gates": [{"phase": "before", "kind": "approval by role approver", "state": "open", "approved_by": None}],
        },
    ],
    "clusters": [
        {"cluster": "c1", "wave": "staging", "state": "passed", "baseline_revision": 6, "detail": "healthy for 1m"},
        {"cluster": "c2", "wave": "prod", "state": "pending", "baseline_revision": 6},
        {"cluster": "c3", "wave": None, "state": "skipped", "baseline_revision": None, "detail": "no wave"},
    ],
    "approvals": [],
}


def test_a_run_reads_as_waves_gates_and_clusters() -> None:
    text = rollout_text(RUN)
    lines = text.splitlines()
    assert lines[0].startswith("web revision 7 (sha256:0123456789ab...) with strategy careful v2: waiting-for-approval")
    assert lines[1] == "waiting for: approval by role approver before wave prod (requested 2m ago)"
    assert "staging  passed   1 passed   after: wait 10m (passed)" in lines
    assert "prod     pending  2 pending  before: approval by role approver (open)" in lines
    assert "c3       -        skipped  -         -        no wave" in lines


def test_a_watch_line_says_when_and_what_the_run_waits_for() -> None:
    line = progress_line(RUN, datetime(2026, 11, 22, 12, 3, 4, tzinfo=UTC))
    assert line == "12:03:04 run 12 waiting-for-approval: approval by role approver before wave prod (requested 2m ago)"


def test_apply_takes_a_strategy_or_none_but_not_both() -> None:
    parser = build_parser()
    args = parser.parse_args(["apply", "web", "-f", "a.yaml", "-l", "", "--strategy", "careful"])
    assert (args.strategy, args.no_strategy) == ("careful", False)
    with pytest.raises(SystemExit):
        parser.parse_args(["apply", "web", "-f", "a.yaml", "-l", "", "--strategy", "x", "--no-strategy"])
    args = parser.parse_args(["rollout", "approve", "web", "--wave", "prod", "--revision", "7", "-m", "ok"])
    assert (args.wave, args.revision, args.comment) == ("prod", 7, "ok")
