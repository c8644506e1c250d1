"""The breaker hook on a real SQLite store: signals from parses and the shop, outcomes."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import replace

import anyio
import pytest
from sqlalchemy import select

from bot.breaker.hook import BreakerHook
from bot.breaker.models import DecisionRow, EffectRow, RemedyRow
from bot.gateway.escalation_hook import EscalationHook
from escalation.policy_loader import default_policy
from tests.unit.breaker.conftest import turn

HookFactory = Callable[..., BreakerHook]
CLIMB = [0.3, 0.5, 0.7, 0.9]
WORDS = [
    "where is my order 1042",
    "it was due days ago, where is it",
    "this is the third time I ask, where is my order",
    "WHERE IS MY ORDER?!! I want my money back NOW",
]


def converse(hook: BreakerHook, conversation: str, angers: list[float], **kwargs: object):
    return [
        hook.decide(turn(conversation, index, anger, text=WORDS[index % 4], **kwargs))  # type: ignore[arg-type]
        for index, anger in enumerate(angers)
    ]


def test_the_hook_implements_the_gateway_contract(make_hook: HookFactory):
    assert isinstance(make_hook(), EscalationHook)


def test_anger_climbing_over_four_turns_ends_in_a_handoff_with_a_reason(make_hook: HookFactory):
    hook = make_hook()
    outcomes = converse(hook, "climb", CLIMB)
    assert [o.action for o in outcomes] == ["none", "soothe", "remedy", "handoff"]
    handoff = outcomes[-1]
    assert handoff.handoff_reason is not None
    assert "anger rose 0.30→0.90 over 4 turns" in handoff.handoff_reason
    assert "order 1042 delayed 6 days" in handoff.handoff_reason
    assert handoff.priority in {"high", "urgent"}
    assert handoff.details["anger_trend"] == CLIMB
    assert "order 1042" in outcomes[1].messages[0]  # the apology names the problem


def test_the_same_words_at_calm_intensity_do_not_escalate(make_hook: HookFactory):
    outcomes = converse(make_hook(), "calm", [0.12, 0.15, 0.1, 0.18])
    assert [o.action for o in outcomes] == ["none"] * 4


def test_the_remedy_message_quotes_the_coupon_that_was_issued(make_hook: HookFactory):
    hook = make_hook()
    remedy = converse(hook, "coupon", CLIMB[:3])[-1]
    code = remedy.details["remedy"]["coupon_code"]
    assert re.fullmatch(r"CALM-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert any(code in message and "10%" in message for message in remedy.messages)
    with hook.system.sessions.begin() as session:
        rows = list(session.scalars(select(RemedyRow)))
    assert [(r.coupon_code, r.order_id, r.customer_id) for r in rows] == [(code, "1042", "1")]
    assert "anger rose" in rows[0].reason


def test_nothing_is_promised_when_the_budget_refuses(make_hook: HookFactory):
    policy = default_policy()
    policy = replace(policy, budgets=replace(policy.budgets, per_conversation_count=0))
    hook = make_hook(policy)
    outcomes = converse(hook, "broke", CLIMB[:3])
    assert outcomes[-1].action == "soothe"  # the policy's fallback
    assert outcomes[-1].details["remedy"] is None
    assert not any("code" in m or "voucher" in m or "call-back" in m for m in outcomes[-1].messages)
    with hook.system.sessions.begin() as session:
        assert list(session.scalars(select(RemedyRow))) == []


def test_a_vip_gets_expedited_shipping_and_a_human_sooner(make_hook: HookFactory):
    hook = make_hook()
    entities = [{"entity": "order_id", "value": "1043"}]
    vip = converse(hook, "vip", [0.3, 0.45, 0.5], customer_id=2, entities=entities)
    assert [o.action for o in vip] == ["none", "soothe", "remedy"]
    assert vip[-1].messages[-1] == "I've upgraded order 1043 to free expedited shipping."
    regular = converse(hook, "regular", [0.3, 0.45, 0.5])
    assert [o.action for o in regular] == ["none", "none", "soothe"]
    angry_vip = converse(hook, "vip-2", [0.3, 0.55, 0.75], customer_id=2, entities=entities)
    angry_regular = converse(hook, "regular-2", [0.3, 0.55, 0.75])
    assert angry_vip[-1].action == "handoff" and angry_vip[-1].details["queue"] == "dedicated"
    assert angry_regular[-1].action == "remedy"


def test_later_messages_without_a_number_keep_the_conversations_order(make_hook: HookFactory):
    hook = make_hook()
    hook.decide(turn("remember", 0, 0.3))
    hook.decide(turn("remember", 1, 0.5, entities=[], text="still nothing"))
    hook.system.flush()
    with hook.system.sessions.begin() as session:
        orders = list(session.scalars(select(DecisionRow.order_id).order_by(DecisionRow.id)))
    assert orders == ["1042", "1042"]


def test_a_second_conversation_about_the_same_order_counts_as_repeat_contact(
    make_hook: HookFactory,
):
    hook = make_hook()
    hook.decide(turn("first", 0, 0.2))
    hook.system.flush()  # counted from committed decisions: at most one batch (50 ms) behind
    signal = hook.signals.build(turn("second", 0, 0.2))
    assert signal.customer.prior_contacts_same_order == 1
    assert signal.order is not None and signal.order.delay_days == 6
    assert signal.carrier == "dhl"
    risky = hook.signals.build(turn("third", 0, 0.2, customer_id=3, entities=[]))
    assert risky.customer.complaint_risk >= 0.7


def test_a_parse_without_intent_or_affect_is_no_escalation(make_hook: HookFactory):
    hook = make_hook()
    bare = replace(turn("bare", 0, 0.1), parse={"text": "??", "affect": "nonsense"})
    assert hook.decide(bare).action == "none"
    unknown = turn("ghost", 0, 0.9, entities=[{"entity": "order_id", "value": "999999"}])
    assert hook.decide(unknown).action in {"none", "soothe"}


def test_resolving_a_handed_off_conversation_records_the_outcome(make_hook: HookFactory):
    hook = make_hook()
    converse(hook, "done", CLIMB)

    async def resolve() -> None:
        await hook.on_ownership_change("done", "bot", reason="agent handed back")
        await hook.on_ownership_change("done", "resolved", reason="parcel found")

    anyio.run(resolve)
    hook.system.flush()
    with hook.system.sessions.begin() as session:
        effects = list(session.scalars(select(EffectRow)))
    assert effects and {e.outcome for e in effects} == {"resolved"}
    assert hook.system.store.load("done") is None


def test_the_async_hook_runs_the_decision_in_a_worker_thread(make_hook: HookFactory):
    hook = make_hook()

    async def ask() -> str:
        outcome = await hook.on_customer_message(turn("async", 0, 0.1))
        return outcome.action

    assert anyio.run(ask) == "none"


def test_an_outcome_the_gateway_stopped_waiting_for_comes_with_the_next_message(
    make_hook: HookFactory,
):
    hook = make_hook()
    assert [o.action for o in converse(hook, "late", CLIMB[:2])] == ["none", "soothe"]
    decide = hook.decide

    def slow_decide(customer_turn):  # the database is slow this time
        time.sleep(0.3)
        return decide(customer_turn)

    async def scenario():
        hook.decide = slow_decide  # type: ignore[method-assign]
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):  # the gateway's deadline passes
                await hook.on_customer_message(turn("late", 2, 0.7, text=WORDS[2]))
        await asyncio.sleep(0.6)
        hook.decide = decide  # type: ignore[method-assign]
        return await hook.on_customer_message(turn("late", 3, 0.2, text="ok"))

    outcome = asyncio.run(scenario())
    with hook.system.sessions.begin() as session:
        codes = [row.coupon_code for row in session.scalars(select(RemedyRow))]
    assert len(codes) == 1 and codes[0]
    assert outcome.action == "remedy"
    assert any(codes[0] in message for message in outcome.messages)
    assert len(hook.undelivered) == 0
    again = asyncio.run(hook.on_customer_message(turn("late", 4, 0.2, text="ok")))
    assert not any(codes[0] in message for message in again.messages)  # told once


def test_an_anonymous_visitor_never_learns_facts_of_the_order_number_they_typed(
    make_hook: HookFactory,
):
    outcomes = converse(make_hook(), "anonymous", CLIMB, customer_id=None)
    assert [o.action for o in outcomes][-1] != "none"
    said = " ".join(m for o in outcomes for m in o.messages)
    reasons = " ".join(o.handoff_reason or "" for o in outcomes)
    assert "delayed" not in said and "late" not in said and "days" not in said
    assert "delayed 6 days" not in reasons
