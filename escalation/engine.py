"""The emotional circuit breaker: one :class:`Decision` per customer message.

``decide`` folds the message into the conversation's trajectory, scores the pressure, applies
the tier hysteresis (thresholds shifted for VIP / high-risk customers and open incidents),
issues a remedy only when the ledger confirms it, and emits every resulting event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from escalation.causes import describe_problem
from escalation.decision import Action, Decision, Event, Priority, SootheOffer, Tier
from escalation.decision import max_priority as most_urgent
from escalation.effects import EffectRecord, follow_up, start_effect
from escalation.events import decision_events
from escalation.incidents import Incident, IncidentDetector, Observation
from escalation.policy import CustomerHandling, Policy
from escalation.ports import Clock, ConversationStateStore, EventSink, RemedyLedger
from escalation.remedies import RemedyAttempt, issue_remedy
from escalation.scoring import Pressure, compute_pressure, explain
from escalation.signals import TurnSignal
from escalation.state import ConversationState
from escalation.tiers import TierStep, record_intervention, shift_tiers, step_tiers
from escalation.trajectory import TrajectoryState, update_trajectory


@dataclass(slots=True)
class _Draft:
    """The decision being assembled for one message."""

    action: Action
    codes: list[str]
    phrases: list[str]
    step: TierStep
    attempt: RemedyAttempt | None = None


class EscalationEngine:
    """Decides, message by message, whether to soothe, compensate or hand off.

    Args:
        policy: The validated escalation policy.
        store: Keeps each conversation's state between messages.
        ledger: Confirms remedies within the budget caps, exactly once per key.
        events: Receives every event the engine produces.
        clock: Used when a signal carries no timestamp.
        incidents: The shared incident detector; ``None`` disables surge detection.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        store: ConversationStateStore,
        ledger: RemedyLedger,
        events: EventSink,
        clock: Clock,
        incidents: IncidentDetector | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.ledger = ledger
        self.events = events
        self.clock = clock
        self.incidents = incidents

    def decide(self, signal: TurnSignal) -> Decision:
        """Decide what to do about one customer message.

        Retrying the conversation's latest message (same ``message_id``) returns the first
        decision without counting the message again; older duplicates must be dropped by the
        caller (the gateway does). Messages of one conversation must be decided one at a time.

        Args:
            signal: The message, as understood by the NLU, with the customer's profile.

        Returns:
            The decision; its ``events`` have already been sent to the event sink.
        """
        at = signal.timestamp if signal.timestamp is not None else self.clock.now()
        state = self.store.load(signal.conversation_id)
        if state is None:
            state = ConversationState(signal.conversation_id)
        elif (
            signal.message_id is not None
            and signal.message_id == state.last_message_id
            and state.last_decision is not None
        ):
            return state.last_decision
        trajectory = update_trajectory(state.trajectory, signal, self.policy.trajectory, at)
        observation = Observation()
        if self.incidents is not None:
            observation = self.incidents.observe(signal, at, trajectory.last_topic)
        events = list(observation.events)
        still_open, measured = follow_up(
            state.open_effects, signal.affect.anger, self.policy.effects.followup_turns
        )
        events.extend(record.as_event() for record in measured)
        state = replace(state, trajectory=trajectory, open_effects=still_open)
        pressure = compute_pressure(trajectory, signal, self.policy.pressure)
        decision, state = self._decide(state, signal, pressure, observation.incident, at, events)
        state = replace(state, last_message_id=signal.message_id, last_decision=decision)
        self.store.save(state)
        for event in decision.events:
            self.events.emit(event)
        return decision

    def hand_back(self, conversation_id: str, at: float | None = None) -> None:
        """An agent handed the conversation back to the bot: decide again, after a cool-down.

        Args:
            conversation_id: The conversation.
            at: When; defaults to the clock.
        """
        state = self.store.load(conversation_id)
        if state is None or not state.handed_off:
            return
        when = self.clock.now() if at is None else at
        tiers = record_intervention(state.tiers, Tier.HANDOFF, when, state.trajectory.turns)
        self.store.save(replace(state, handed_off=False, tiers=replace(tiers, active=Tier.NONE)))

    def close(self, conversation_id: str, at: float | None = None) -> tuple[EffectRecord, ...]:
        """The conversation is over: emit its unfinished effect records and forget it.

        Args:
            conversation_id: The conversation.
            at: When; defaults to the clock.

        Returns:
            The effect records that were still open, marked incomplete.
        """
        state = self.store.load(conversation_id)
        self.store.delete(conversation_id)
        if state is None:
            return ()
        when = self.clock.now() if at is None else at
        for record in state.open_effects:
            event = record.as_event()
            self.events.emit(Event(event.name, when, conversation_id, event.payload))
        return state.open_effects

    def tick(self) -> list[Event]:
        """Let the incident detector close incidents whose causes went quiet; emits events."""
        if self.incidents is None:
            return []
        events = self.incidents.tick(self.clock.now())
        for event in events:
            self.events.emit(event)
        return events

    def _decide(
        self,
        state: ConversationState,
        signal: TurnSignal,
        pressure: Pressure,
        incident: Incident | None,
        at: float,
        events: list[Event],
    ) -> tuple[Decision, ConversationState]:
        trajectory = state.trajectory
        handling = self.policy.customers.handling(signal.customer)
        reasons = explain(trajectory, signal, self.policy.customers.high_risk_at)
        codes, phrases = list(reasons.codes), list(reasons.phrases)
        if incident is not None:
            codes.append("incident_open")
            phrases.append(f"incident {incident.incident_id} open for {incident.cause_key}")
        if state.handed_off:
            codes.append("already_handed_off")
            return self._build(
                state,
                signal,
                pressure,
                incident,
                at,
                events,
                handling,
                _Draft(Action.NONE, codes, phrases, TierStep(state.tiers)),
            )
        offset = handling.threshold_offset
        if incident is not None:
            offset += self.policy.incidents.threshold_offset
        step = step_tiers(
            state.tiers,
            pressure=pressure.score,
            negative_streak=trajectory.consecutive_negative,
            tiers=shift_tiers(self.policy.tiers, offset),
            at=at,
            turn=trajectory.turns,
            forced=self._forced_tier(trajectory, signal),
        )
        draft = _Draft(Action(step.fire.name.lower()), codes, phrases, step)
        if step.held is not Tier.NONE:
            codes.append("cooldown")
            phrases.append(f"{step.held.name.lower()} held back by the cool-down")
        if step.fire is Tier.REMEDY:
            self._remedy(draft, state, signal, incident, at)
        return self._build(state, signal, pressure, incident, at, events, handling, draft)

    def _forced_tier(self, trajectory: TrajectoryState, signal: TurnSignal) -> Tier:
        triggers = self.policy.triggers
        asks = triggers.handoff_after_human_requests
        if signal.asked_for_human and asks and trajectory.human_requests >= asks:
            return Tier.HANDOFF
        fails = triggers.handoff_after_failed_understanding
        if trajectory.consecutive_failed and fails and trajectory.failed_understanding >= fails:
            return Tier.HANDOFF
        return Tier.NONE

    def _remedy(
        self,
        draft: _Draft,
        state: ConversationState,
        signal: TurnSignal,
        incident: Incident | None,
        at: float,
    ) -> None:
        suffix = signal.message_id or f"turn-{state.trajectory.turns}"
        draft.attempt = issue_remedy(
            signal,
            self.policy.remedies.rules,
            self.ledger,
            self.policy.budgets,
            idempotency_key=f"remedy:{signal.conversation_id}:{suffix}",
            incident_id=incident.incident_id if incident else None,
            at=at,
        )
        if draft.attempt.offer is not None:
            return
        fallback = self.policy.remedies.fallback
        draft.action = fallback
        draft.codes.append("remedy_not_issued")
        draft.phrases.append(
            f"remedy not issued: {draft.attempt.refusal_words()}; {fallback.value} instead"
        )
        if fallback is Action.HANDOFF:
            tiers = record_intervention(draft.step.state, Tier.HANDOFF, at, state.trajectory.turns)
            draft.step = replace(draft.step, state=tiers)

    def _build(
        self,
        state: ConversationState,
        signal: TurnSignal,
        pressure: Pressure,
        incident: Incident | None,
        at: float,
        events: list[Event],
        handling: CustomerHandling,
        draft: _Draft,
    ) -> tuple[Decision, ConversationState]:
        trajectory = state.trajectory
        action = draft.action
        remedy = draft.attempt.offer if draft.attempt else None
        soothe: SootheOffer | None = None
        if action in (Action.SOOTHE, Action.REMEDY):
            soothe = self._soothe(state, signal, incident)
            state = replace(state, soothe_count=state.soothe_count + 1)
        priority, queue = Priority.NORMAL, None
        if action is Action.HANDOFF:
            priority = self._priority(pressure.score, signal, handling)
            queue = handling.queue
            state = replace(state, handed_off=True)
        if action is not Action.NONE:
            effect = start_effect(
                conversation_id=signal.conversation_id,
                action=action,
                remedy_kind=remedy.kind if remedy else None,
                at=at,
                turn=trajectory.turns,
                anger=trajectory.current_anger,
                level=trajectory.level,
            )
            state = replace(state, open_effects=(*state.open_effects, effect))
        new_tier = draft.step.state.active
        decision = Decision(
            conversation_id=signal.conversation_id,
            at=at,
            action=action,
            tier=new_tier,
            pressure=pressure.score,
            reason_codes=tuple(draft.codes),
            reason="; ".join(draft.phrases)
            or (
                f"pressure {pressure.score:.2f} above the {action.value} threshold"
                if action is not Action.NONE
                else "no escalation drivers"
            ),
            priority=priority,
            queue=queue,
            remedy=remedy,
            soothe=soothe,
            anger_trend=trajectory.anger_history,
            incident_id=incident.incident_id if incident else None,
        )
        events.extend(decision_events(decision, state.tiers.active, draft.attempt, pressure))
        decision = replace(decision, events=tuple(events))
        return decision, replace(state, tiers=draft.step.state)

    def _soothe(
        self, state: ConversationState, signal: TurnSignal, incident: Incident | None
    ) -> SootheOffer:
        problem = describe_problem(signal, state.trajectory)
        if incident is not None:
            text = self.policy.soothe.known_issue.format(problem=problem)
            return SootheOffer("known_issue", problem, text)
        variants = self.policy.soothe.variants
        variant = variants[state.soothe_count % len(variants)]
        return SootheOffer(variant.name, problem, variant.text.format(problem=problem))

    def _priority(
        self, pressure: float, signal: TurnSignal, handling: CustomerHandling
    ) -> Priority:
        rules = self.policy.handoff
        priority = Priority.NORMAL
        if pressure >= rules.urgent_at or rules.urgent_cues.intersection(signal.affect.cues):
            priority = Priority.URGENT
        elif pressure >= rules.high_at:
            priority = Priority.HIGH
        return most_urgent(priority, handling.min_priority)
