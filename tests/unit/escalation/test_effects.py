"""Effect bookkeeping: anger before an intervention and on the turns after it."""

from __future__ import annotations

import pytest

from escalation.decision import Action, RemedyKind
from escalation.effects import EFFECT_EVENT, follow_up, start_effect


def test_a_record_completes_after_the_follow_up_turns():
    record = start_effect(
        conversation_id="c1",
        action=Action.REMEDY,
        remedy_kind=RemedyKind.COUPON_PERCENT,
        at=100.0,
        turn=3,
        anger=0.8,
        level=0.6,
    )
    assert record.intervention_id == "c1:3"
    assert record.change is None
    still_open, done = follow_up((record,), 0.5, followup_turns=2)
    assert done == () and still_open[0].anger_after == (0.5,)
    still_open, done = follow_up(still_open, 0.3, followup_turns=2)
    assert still_open == ()
    finished = done[0]
    assert finished.complete
    assert finished.change == pytest.approx(0.4 - 0.8)
    event = finished.as_event()
    assert event.name == EFFECT_EVENT and event.conversation_id == "c1"
    assert event.payload["remedy_kind"] == "coupon_percent"
    assert event.payload["anger_after"] == [0.5, 0.3]
