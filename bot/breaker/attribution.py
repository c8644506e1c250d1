"""The attribution report of an incident: what happened, what was done, what it cost.

Built from the breaker's tables only (decisions, effects, remedies, call-backs, incidents), so
it works the same after a simulation and on the production database:
``calmdesk report incident <id>`` writes ``incident-<id>.json`` and ``incident-<id>.png``.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.errors import IncidentNotFound
from bot.breaker.models import CallbackRow, DecisionRow, EffectRow, IncidentRow, RemedyRow

BUCKET_SECONDS = 900.0
CONTEXT_SECONDS = 3 * 3600.0


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _window(incident: IncidentRow, decisions: list[DecisionRow]) -> tuple[float, float]:
    end = incident.closed_at
    if end is None:
        end = max((d.at for d in decisions), default=incident.opened_at)
    return incident.opened_at, end


def build_attribution(
    sessions: sessionmaker[Session], incident_id: str, angry_at: float = 0.55
) -> dict[str, Any]:
    """Collect the attribution figures of one incident.

    Args:
        sessions: Sessions on the breaker's database.
        incident_id: The incident.
        angry_at: Anger at or above which a message counts as angry.

    Raises:
        IncidentNotFound: No incident has this id.
    """
    with sessions.begin() as session:
        incident = session.get(IncidentRow, incident_id)
        if incident is None:
            raise IncidentNotFound(f"no incident {incident_id!r}")
        during = list(
            session.scalars(select(DecisionRow).where(DecisionRow.incident_id == incident_id))
        )
        start, end = _window(incident, during)
        cause = list(
            session.scalars(
                select(DecisionRow)
                .where(
                    DecisionRow.cause_key == incident.cause_key,
                    DecisionRow.at >= start - CONTEXT_SECONDS,
                    DecisionRow.at <= end + CONTEXT_SECONDS,
                )
                .order_by(DecisionRow.at)
            )
        )
        callbacks = list(
            session.scalars(select(CallbackRow).where(CallbackRow.incident_id == incident_id))
        )
        conversations = {d.conversation_id for d in during} | {c.conversation_id for c in callbacks}
        effects = list(
            session.scalars(
                select(EffectRow).where(
                    or_(
                        EffectRow.incident_id == incident_id,
                        EffectRow.conversation_id.in_(conversations),
                    )
                )
            )
        )
        remedies = list(
            session.scalars(
                select(RemedyRow).where(
                    or_(
                        RemedyRow.incident_id == incident_id,
                        RemedyRow.conversation_id.in_(conversations),
                    )
                )
            )
        )
    before = [d.anger for d in cause if start - CONTEXT_SECONDS <= d.at < start]
    after_effects = [e for e in effects if e.change is not None]
    by_kind: Counter[str] = Counter(r.kind for r in remedies)
    cost_by_kind: Counter[str] = Counter()
    for remedy in remedies:
        cost_by_kind[remedy.kind] += remedy.cost_cents
    interventions: dict[str, dict[str, Any]] = {}
    for action in sorted({e.action for e in effects}):
        chosen = [e for e in after_effects if e.action == action]
        interventions[action] = {
            "count": sum(e.action == action for e in effects),
            "anger_before": _mean([e.anger_before for e in chosen]),
            "anger_after": _mean([statistics.fmean(json.loads(e.anger_after)) for e in chosen]),
            "change": _mean([e.change for e in chosen if e.change is not None]),
        }
    currency = remedies[0].currency if remedies else None
    return {
        "incident": {
            "incident_id": incident.incident_id,
            "cause_key": incident.cause_key,
            "stream": json.loads(incident.details or "{}").get("stream", "anger"),
            "opened_at": _iso(incident.opened_at),
            "closed_at": _iso(incident.closed_at),
            "duration_minutes": round((end - start) / 60, 1),
            "p_value": incident.p_value,
            "angry_conversations_at_open": incident.angry_conversations,
            "conversations_at_open": incident.conversations,
            "expected_at_open": incident.expected,
        },
        "affected": {
            "messages": len(during),
            "angry_messages": sum(d.anger >= angry_at for d in during),
            "conversations": len({d.conversation_id for d in during}),
            "customers": len({d.customer_id for d in during if d.customer_id}),
        },
        "anger": {
            "mean_before_incident": _mean(before),
            "mean_during_incident": _mean([d.anger for d in during]),
            "interventions": interventions,
        },
        "remedies": {
            "count": len(remedies),
            "by_kind": dict(by_kind),
            "cost_cents": sum(r.cost_cents for r in remedies),
            "cost_cents_by_kind": dict(cost_by_kind),
            "currency": currency,
            "coupons": sum(r.coupon_code is not None for r in remedies),
            "callbacks_queued": len(callbacks),
        },
        "handoffs": sum(d.action == "handoff" for d in during),
        "outcomes": dict(Counter(e.outcome or "open" for e in effects)),
        "timeline": _timeline(cause, start, end, angry_at),
    }


def _timeline(
    decisions: list[DecisionRow], start: float, end: float, angry_at: float
) -> list[dict[str, Any]]:
    buckets: dict[int, list[DecisionRow]] = {}
    for decision in decisions:
        buckets.setdefault(int((decision.at - start) // BUCKET_SECONDS), []).append(decision)
    rows = []
    for index in sorted(buckets):
        items = buckets[index]
        rows.append(
            {
                "minutes_from_open": index * BUCKET_SECONDS / 60,
                "messages": len(items),
                "angry": sum(d.anger >= angry_at for d in items),
                "mean_anger": _mean([d.anger for d in items]),
                "interventions": sum(d.action != "none" for d in items),
            }
        )
    return rows


def plot_attribution(report: dict[str, Any], path: Path) -> Path:
    """Draw the incident's timeline (messages, angry messages, mean anger, interventions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = report["timeline"]
    minutes = [row["minutes_from_open"] for row in timeline]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.bar(
        minutes, [row["messages"] for row in timeline], width=13, color="#c7d3e3", label="messages"
    )
    top.bar(minutes, [row["angry"] for row in timeline], width=13, color="#d9534f", label="angry")
    top.set_ylabel("per 15 min")
    top.legend(loc="upper left")
    anger = [row["mean_anger"] for row in timeline]
    bottom.plot(minutes, anger, color="#333333", marker=".", label="mean anger")
    bottom.bar(
        minutes,
        [row["interventions"] / 10 for row in timeline],
        width=13,
        color="#5cb85c",
        alpha=0.6,
        label="interventions / 10",
    )
    bottom.set_ylabel("anger")
    bottom.set_xlabel("minutes from the incident's opening")
    bottom.legend(loc="upper left")
    duration = report["incident"]["duration_minutes"]
    for axis in (top, bottom):
        axis.axvspan(0, duration, color="#f0ad4e", alpha=0.15)
        axis.axvline(0, color="#f0ad4e")
    info = report["incident"]
    top.set_title(f"incident {info['incident_id']}: {info['cause_key']} ({info['stream']} test)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_attribution(
    sessions: sessionmaker[Session], incident_id: str, out_dir: Path
) -> tuple[Path, Path]:
    """Write ``incident-<id>.json`` and ``incident-<id>.png`` into ``out_dir``."""
    report = build_attribution(sessions, incident_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"incident-{incident_id}.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return json_path, plot_attribution(report, out_dir / f"incident-{incident_id}.png")
