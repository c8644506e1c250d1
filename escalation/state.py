"""Everything the engine remembers about one conversation between messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from escalation.decision import Decision
from escalation.effects import EffectRecord
from escalation.tiers import TierState
from escalation.trajectory import TrajectoryState


@dataclass(frozen=True, slots=True)
class ConversationState:
    """The stored state of one conversation; adapters persist it as a whole.

    Attributes:
        conversation_id: The conversation.
        trajectory: Its anger trajectory.
        tiers: Its tier and latest intervention.
        open_effects: Interventions whose effect is still being measured.
        handed_off: A handoff was requested and no agent has handed it back yet.
        soothe_count: Soothing replies given (rotates the variants).
        last_message_id: The latest decided message id (for idempotent retries).
        last_decision: The decision for ``last_message_id``.
    """

    conversation_id: str
    trajectory: TrajectoryState = field(default_factory=TrajectoryState)
    tiers: TierState = field(default_factory=TierState)
    open_effects: tuple[EffectRecord, ...] = ()
    handed_off: bool = False
    soothe_count: int = 0
    last_message_id: str | None = None
    last_decision: Decision | None = None
