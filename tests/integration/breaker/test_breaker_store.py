"""The engine on the SQL adapters (SQLite and PostgreSQL): state, events, incidents, effects."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.breaker.events import OUTCOME_EVENT
from bot.breaker.models import EffectRow, EventRow, IncidentRow, RemedyRow
from bot.breaker.wiring import SqlEscalation
from escalation.decision import Action, Event
from escalation.evaluate import incident_cause_key
from escalation.incidents import INCIDENT_OPENED
from escalation.signals import Affect, AffectLabel, CustomerProfile, OrderFacts, TurnSignal
from escalation.synthetic import InjectedIncident, SimulationConfig, generate

AT = 1_700_000_000.0


def climbing(conversation: str, angers: list[float]) -> list[TurnSignal]:
    order = OrderFacts("1042", "delayed", 6, "dhl")
    customer = CustomerProfile("cust-7")
    return [
        TurnSignal(
            conversation,
            "track_order",
            0.95,
            Affect(anger, -anger, AffectLabel.ANGRY if anger >= 0.55 else AffectLabel.CALM),
            timestamp=AT + 60 * turn,
            message_id=f"{conversation}-{turn}",
            entities={"order_id": "1042", "carrier": "dhl"},
            customer=customer,
            order=order,
        )
        for turn, anger in enumerate(angers)
    ]


def test_state_survives_a_new_engine_and_retries_replay_the_decision(
    breaker: SqlEscalation, database_url: str
):
    from bot.breaker.wiring import sql_escalation

    signals = climbing("conv-a", [0.3, 0.5, 0.7, 0.9])
    decisions = [breaker.engine.decide(signal) for signal in signals[:3]]
    other = sql_escalation(database_url, incidents=False)
    try:
        state = other.store.load("conv-a")
        assert state is not None and state.trajectory.turns == 3
        assert other.engine.decide(signals[2]) == decisions[2]  # a retry replays
        last = other.engine.decide(signals[3])
    finally:
        other.dispose()
    actions = [d.action for d in decisions] + [last.action]
    assert Action.HANDOFF in actions and Action.REMEDY in actions
    with breaker.sessions.begin() as session:
        remedies = list(session.scalars(select(RemedyRow)))
        names = list(session.scalars(select(EventRow.name).order_by(EventRow.id)))
    assert len(remedies) == 1 and remedies[0].coupon_code
    assert "anger" in remedies[0].reason  # the decision's plain-words reason
    assert "escalation.remedy.issued" in names and "escalation.handoff.requested" in names


def test_effects_are_stored_with_the_outcome(breaker: SqlEscalation):
    for signal in climbing("conv-b", [0.3, 0.5, 0.7, 0.2, 0.1, 0.1]):
        breaker.engine.decide(signal)
    breaker.sink.emit(Event(OUTCOME_EVENT, AT + 600, "conv-b", {"outcome": "resolved"}))
    breaker.engine.close("conv-b")
    with breaker.sessions.begin() as session:
        effects = list(session.scalars(select(EffectRow)))
    assert effects, "an intervention fired, so an effect was measured"
    assert all(effect.outcome == "resolved" for effect in effects)
    assert any(json.loads(effect.anger_after) for effect in effects)


def test_an_injected_incident_is_stored(breaker: SqlEscalation):
    incident = InjectedIncident(start_s=3600.0, angry_share=0.6)
    key = incident_cause_key(incident, breaker.engine.policy)
    config = SimulationConfig(seed=3, messages=1_200, incidents=(incident,))
    opened = []
    for message in generate(config):
        for event in breaker.engine.decide(message.signal).events:
            if event.name == INCIDENT_OPENED:
                opened.append(event.payload["cause_key"])
    assert key in opened
    with breaker.sessions.begin() as session:
        rows = list(session.scalars(select(IncidentRow)))
    assert [row.cause_key for row in rows] == opened
