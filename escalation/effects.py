"""Effect tracking: for each intervention, anger before it and over the next turns.

Pure bookkeeping. The engine opens a record when an intervention fires, feeds it the raw anger
of the following turns, and emits ``escalation.effect.measured`` when it is complete (or when the
conversation ends first, marked incomplete); the case log stores those events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from escalation.decision import Action, Event, JsonValue, RemedyKind

EFFECT_EVENT = "escalation.effect.measured"


@dataclass(frozen=True, slots=True)
class EffectRecord:
    """Anger around one intervention.

    Attributes:
        intervention_id: ``<conversation>:<turn>``, unique per intervention.
        conversation_id: The conversation.
        action: What was done.
        remedy_kind: The remedy, for ``remedy`` actions.
        at: When it was done.
        turn: The turn it was done on.
        anger_before: Raw anger of that turn.
        level_before: Smoothed anger level at that turn.
        anger_after: Raw anger of the following turns, in order.
        complete: Whether all follow-up turns were seen.
    """

    intervention_id: str
    conversation_id: str
    action: Action
    remedy_kind: RemedyKind | None
    at: float
    turn: int
    anger_before: float
    level_before: float
    anger_after: tuple[float, ...] = ()
    complete: bool = False

    @property
    def change(self) -> float | None:
        """Mean anger after minus anger before (negative: it calmed); ``None`` without data."""
        if not self.anger_after:
            return None
        return sum(self.anger_after) / len(self.anger_after) - self.anger_before

    def as_payload(self) -> dict[str, JsonValue]:
        """The record as a JSON-serialisable dict."""
        change = self.change
        return {
            "intervention_id": self.intervention_id,
            "action": self.action.value,
            "remedy_kind": self.remedy_kind.value if self.remedy_kind else None,
            "turn": self.turn,
            "anger_before": round(self.anger_before, 4),
            "level_before": round(self.level_before, 4),
            "anger_after": [round(value, 4) for value in self.anger_after],
            "change": None if change is None else round(change, 4),
            "complete": self.complete,
        }

    def as_event(self) -> Event:
        """The ``escalation.effect.measured`` event for this record."""
        return Event(EFFECT_EVENT, self.at, self.conversation_id, self.as_payload())


def start_effect(
    *,
    conversation_id: str,
    action: Action,
    remedy_kind: RemedyKind | None,
    at: float,
    turn: int,
    anger: float,
    level: float,
) -> EffectRecord:
    """Open a record for an intervention made on ``turn``."""
    return EffectRecord(
        intervention_id=f"{conversation_id}:{turn}",
        conversation_id=conversation_id,
        action=action,
        remedy_kind=remedy_kind,
        at=at,
        turn=turn,
        anger_before=anger,
        level_before=level,
    )


def follow_up(
    records: tuple[EffectRecord, ...], anger: float, followup_turns: int
) -> tuple[tuple[EffectRecord, ...], tuple[EffectRecord, ...]]:
    """Add one later turn's anger to every open record.

    Args:
        records: The open records.
        anger: Raw anger of the new turn.
        followup_turns: Turns to follow each intervention for.

    Returns:
        ``(still_open, completed)``.
    """
    still_open: list[EffectRecord] = []
    completed: list[EffectRecord] = []
    for record in records:
        updated = replace(record, anger_after=(*record.anger_after, anger))
        if len(updated.anger_after) >= followup_turns:
            completed.append(replace(updated, complete=True))
        else:
            still_open.append(updated)
    return tuple(still_open), tuple(completed)
