"""What a receiver gets: the versioned JSON document (schemas/v1/notifications.py), or for `format:
slack` a Slack message ({"text", "blocks"}) saying the same for people. Pure.

Bodies are made once, when the delivery is created, and sent unchanged on every attempt (only the
signature's timestamp is new), so a retried notification says what was true when it was made.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hub.notifications.events import Event, summary
from hub.notifications.spec import Format
from hub.rollouts.views import RolloutOut
from schemas.v1.notifications import Notification, Plan, PlanWave

# The diff in the JSON document; a Slack message holds much less (a section's text is at most 3,000
# characters), so it shows the start and says how much is left out.
DIFF_LIMIT = 64_000
SLACK_DIFF_LIMIT = 2_500
SLACK_TEXT_LIMIT = 2_900


def plan_of(rollout: RolloutOut, event: Event) -> Plan:
    """The run's waves with their clusters and gates, what it waits for, and who may approve."""
    waves = [
        PlanWave(
            name=wave.name,
            state=wave.state,
            clusters=[c.cluster for c in rollout.clusters if c.wave == wave.name],
            gates=[f"{gate.phase}: {gate.kind} ({gate.state})" for gate in wave.gates],
        )
        for wave in rollout.waves
    ]
    role = event.details.get("role")
    approvers = approve = None
    if event.type == "rollout.approval-requested" and isinstance(role, str):
        approvers = f"role {role}" if role == "admin" else f"role {role} (or admin)"
        wave = f" --wave {event.wave}" if event.wave else ""
        approve = f"fleetcast rollout approve {rollout.application}{wave} --revision {rollout.revision}"
    return Plan(
        strategy=rollout.strategy,
        strategy_version=rollout.strategy_version,
        waves=waves,
        skipped=[c.cluster for c in rollout.clusters if c.wave is None],
        waiting_for=rollout.waiting_for,
        approvers=approvers,
        approve_command=approve,
    )


def links(hub_url: str, event: Event) -> dict[str, str]:
    base = hub_url.rstrip("/") + "/api/v1"
    result: dict[str, str] = {}
    if event.id is not None:
        result["audit"] = f"{base}/audit?" + urlencode({"before": event.id + 1, "limit": 1})
    if event.application:
        app = quote(event.application, safe="")
        result["application"] = f"{base}/applications/{app}"
        if event.run_id is not None:
            result["rollout"] = f"{base}/applications/{app}/rollout?" + urlencode({"run": event.run_id})
        if event.revision is not None:
            result["releases"] = f"{base}/applications/{app}/releases"
    if event.cluster:
        result["cluster"] = f"{base}/clusters/{quote(event.cluster, safe='')}"
    return result


def _cut(text: str, limit: int) -> tuple[str, bool]:
    """`text` if it fits, else its first lines within `limit` and a line saying how many were left out."""
    if len(text) <= limit:
        return text, False
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 60:
            break
        kept.append(line)
        size += len(line) + 1
    if not kept:  # one enormous line
        kept = [text[: limit - 60]]
    left = len(lines) - len(kept)
    return "\n".join(kept) + f"\n... ({left} more line(s) left out)", True


def notification(
    event: Event, subscription: int, hub_url: str, plan: Plan | None = None, diff: str | None = None
) -> Notification:
    diff_text, truncated = _cut(diff, DIFF_LIMIT) if diff is not None else (None, False)
    return Notification(
        id=event.id,
        event=event.type,
        time=event.time,
        actor=event.actor,
        subscription=subscription,
        summary=summary(event),
        application=event.application,
        cluster=event.cluster,
        run=event.run_id,
        revision=event.revision,
        digest=event.digest,
        strategy=event.strategy,
        reason=event.reason,
        details=dict(event.details),
        plan=plan,
        diff=diff_text,
        diff_truncated=truncated,
        links=links(hub_url, event),
    )


def _escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_TEXT_LIMIT]}}


def _plan_text(plan: Plan) -> str:
    lines = [f"*Plan* (strategy {_escape(plan.strategy)} v{plan.strategy_version})"]
    for wave in plan.waves:
        clusters = ", ".join(wave.clusters) or "no cluster"
        gates = f" — {'; '.join(wave.gates)}" if wave.gates else ""
        lines.append(f"• *{_escape(wave.name)}* ({wave.state}): {_escape(clusters)}{_escape(gates)}")
    if plan.skipped:
        lines.append(f"• skipped (no wave selects them): {_escape(', '.join(plan.skipped))}")
    if plan.approvers:
        lines.append(f"Who may approve: {_escape(plan.approvers)}")
    if plan.approve_command:
        lines.append(f"Approve with: `{_escape(plan.approve_command)}`")
    return "\n".join(lines)


def slack_message(note: Notification) -> dict[str, Any]:
    context = [f"`{note.event}`"]
    if note.run is not None:
        context.append(f"run {note.run}")
    context += [f"by {_escape(note.actor)}", note.time.isoformat(timespec="seconds")]
    blocks: list[dict[str, Any]] = [
        _section(f"*{_escape(note.summary)}*"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
    ]
    if note.plan is not None:
        blocks.append(_section(_plan_text(note.plan)))
    if note.diff:
        # Escaped before it is cut: what must fit is the escaped text, closing backticks included.
        diff, _ = _cut(_escape(note.diff), SLACK_DIFF_LIMIT)
        blocks.append(_section(f"*What changes*\n```{diff}```"))
    if note.links:
        shown = " · ".join(f"<{url}|{name}>" for name, url in note.links.items())
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": shown}]})
    return {"text": note.summary, "blocks": blocks}


def body(note: Notification, format: Format) -> bytes:
    """The bytes POSTed (and signed)."""
    if format is Format.SLACK:
        return json.dumps(slack_message(note), separators=(",", ":")).encode()
    return note.model_dump_json().encode()
