"""Parsing the money side of the policy: ``remedies:`` (offers by cause and tier) and ``budgets:``.

Money is written in currency units in YAML (``cost: 6.00``) and held in integer cents.
"""

from __future__ import annotations

from escalation.budget import BudgetCaps
from escalation.decision import Action, RemedyKind
from escalation.policy import CauseMatch, RemedyOption, RemedyPolicy, RemedyRule
from escalation.policy_schema import Section
from escalation.signals import CustomerTier

_MAX_MONEY = 1_000_000.0


def _cents(amount: float) -> int:
    return round(amount * 100)


def _option(sec: Section) -> RemedyOption:
    kind = sec.choice("kind", RemedyKind)
    cost = _cents(sec.number("cost", low=0, high=_MAX_MONEY))
    value = 0
    if kind is RemedyKind.COUPON_PERCENT:
        value = sec.integer("value", low=1, high=100)
    elif kind is RemedyKind.COUPON_AMOUNT:
        value = _cents(sec.number("value", low=0.01, high=_MAX_MONEY))
    sec.finish()
    return RemedyOption(kind or RemedyKind.CALLBACK, value, cost)


def _rule(sec: Section) -> RemedyRule:
    name = sec.text("name")
    when_sec = sec.section("when")
    when = CauseMatch(
        intents=frozenset(when_sec.text_list("intents")),
        order_statuses=frozenset(when_sec.text_list("order_statuses")),
        min_delay_days=when_sec.integer("min_delay_days", low=0, default=0),
        entities=frozenset(when_sec.text_list("entities")),
    )
    when_sec.finish()
    offers_sec = sec.section("offers")
    allowed = {tier.value for tier in CustomerTier} | {"default"}
    by_key: dict[str, tuple[RemedyOption, ...]] = {}
    for key in offers_sec.names():
        if key not in allowed:
            continue  # reported as unknown by finish()
        by_key[key] = tuple(_option(item) for item in offers_sec.section_list(key))
    offers: dict[CustomerTier, tuple[RemedyOption, ...]] = {}
    for tier in CustomerTier:
        chosen = by_key.get(tier.value, by_key.get("default"))
        if chosen is None:
            offers_sec.problems.add(
                f"{offers_sec.path}.{tier.value}", "is required (or give offers.default)"
            )
            chosen = ()
        offers[tier] = chosen
    offers_sec.finish(allowed)
    sec.finish()
    return RemedyRule(name, when, offers)


def parse_remedies(sec: Section) -> RemedyPolicy:
    """Read the ``remedies:`` section."""
    fallback = sec.choice("fallback", Action) or Action.SOOTHE
    if fallback not in (Action.SOOTHE, Action.HANDOFF):
        sec.problems.add(
            f"{sec.path}.fallback", f"must be soothe or handoff, got {fallback.value!r}"
        )
    rules = tuple(_rule(item) for item in sec.section_list("rules"))
    names = [rule.name for rule in rules]
    for index, name in enumerate(names):
        if name in names[:index]:
            sec.problems.add(f"{sec.path}.rules[{index}].name", f"duplicate rule name {name!r}")
    sec.finish()
    return RemedyPolicy(fallback, rules)


def _money_cap(parent: Section, scope: str, with_count: bool) -> tuple[int, int]:
    sec = parent.section(scope)
    count = sec.integer("max_count", low=0) if with_count else 0
    cents = _cents(sec.number("max_amount", low=0, high=_MAX_MONEY))
    sec.finish()
    return count, cents


def parse_budgets(sec: Section) -> BudgetCaps:
    """Read the ``budgets:`` section."""
    currency = sec.text("currency")
    conv_count, conv_cents = _money_cap(sec, "per_conversation", True)
    cust_count, cust_cents = _money_cap(sec, "per_customer_30d", True)
    _, incident_cents = _money_cap(sec, "per_incident", False)
    _, day_cents = _money_cap(sec, "per_day", False)
    sec.finish()
    return BudgetCaps(
        currency, conv_count, conv_cents, cust_count, cust_cents, incident_cents, day_cents
    )
