"""The YAML policy: the default loads, and every problem is reported with its key path."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalation.decision import Action, Priority, RemedyKind
from escalation.errors import PolicyError
from escalation.policy_loader import load_policy, parse_policy
from escalation.signals import CustomerTier


@pytest.fixture
def raw() -> dict[str, Any]:
    text = resources.files("escalation").joinpath("default_policy.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    return caught.value.problems


def test_the_default_policy_loads_and_means_what_it_says():
    policy = load_policy()
    assert policy.tiers.soothe.enter < policy.tiers.remedy.enter < policy.tiers.handoff.enter
    assert policy.customers.by_tier[CustomerTier.VIP].threshold_offset < 0
    assert policy.customers.by_tier[CustomerTier.VIP].min_priority is Priority.HIGH
    assert policy.remedies.fallback is Action.SOOTHE
    delayed = policy.remedies.rules[0]
    assert delayed.offers[CustomerTier.REGULAR][0].kind is RemedyKind.COUPON_PERCENT
    assert delayed.offers[CustomerTier.NEW][0].value == 500  # 5.00 EUR in cents
    assert policy.budgets.per_day_cents == 150_000
    assert policy.incidents.intent_groups["track_order"] == "delivery"


def test_a_wrong_type_names_the_key_path(raw: dict[str, Any]):
    raw["tiers"]["remedy"]["enter"] = "high"
    assert problems_of(raw) == ("tiers.remedy.enter: must be a number between 0 and 1, got 'high'",)


def test_unknown_keys_are_errors(raw: dict[str, Any]):
    raw["tiers"]["remedy"]["entr"] = 0.5
    raw["budget"] = {}
    problems = problems_of(raw)
    assert any(p.startswith("tiers.remedy.entr: unknown key") for p in problems)
    assert any(p.startswith("budget: unknown key") for p in problems)


def test_missing_keys_are_errors(raw: dict[str, Any]):
    del raw["budgets"]["per_day"]
    assert problems_of(raw) == ("budgets.per_day: is required",)


def test_all_problems_are_reported_at_once(raw: dict[str, Any]):
    raw["trajectory"]["fast_alpha"] = 2
    raw["customers"]["vip"]["min_priority"] = "asap"
    raw["remedies"]["rules"][0]["offers"]["vip"][0]["kind"] = "free_pony"
    raw["incidents"]["windows_seconds"] = []
    problems = problems_of(raw)
    paths = [p.split(":")[0] for p in problems]
    assert paths == [
        "trajectory.fast_alpha",
        "customers.vip.min_priority",
        "remedies.rules[0].offers.vip[0].kind",
        "incidents.windows_seconds",
    ]
    with pytest.raises(PolicyError, match="4 problems"):
        parse_policy(raw)


def test_cross_field_rules(raw: dict[str, Any]):
    raw["tiers"]["soothe"]["exit"] = 0.5  # above its enter (0.40)
    raw["tiers"]["handoff"]["enter"] = 0.5  # below remedy.enter (0.60)
    raw["remedies"]["fallback"] = "remedy"
    problems = problems_of(raw)
    assert "tiers.soothe.exit: must be below enter (0.4)" in problems
    assert "tiers.handoff.enter: must be above remedy.enter (0.6)" in problems
    assert "remedies.fallback: must be soothe or handoff, got 'remedy'" in problems


def test_soothe_templates_must_use_exactly_the_problem_placeholder(raw: dict[str, Any]):
    raw["soothe"]["variants"][1]["text"] = "Sorry about {order}."
    assert problems_of(raw) == (
        "soothe.variants[1].text: must use exactly the placeholder {problem}, found {order}",
    )


def test_remedy_offers_must_cover_every_customer_tier(raw: dict[str, Any]):
    del raw["remedies"]["rules"][0]["offers"]["new"]
    assert problems_of(raw) == (
        "remedies.rules[0].offers.new: is required (or give offers.default)",
    )


def test_booleans_are_not_numbers(raw: dict[str, Any]):
    raw["tiers"]["cooldown_turns"] = True
    assert problems_of(raw) == ("tiers.cooldown_turns: must be an integer ≥ 0, got True",)


def test_the_document_must_be_a_mapping():
    with pytest.raises(PolicyError, match=r"<root>: must be a mapping, got \[1, 2\]"):
        parse_policy([1, 2])


def test_files_that_cannot_be_read_or_parsed(tmp_path: Path, raw: dict[str, Any]):
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("tiers: [unclosed\n", "utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(broken)
    changed = copy.deepcopy(raw)
    changed["tiers"]["cooldown_seconds"] = 60
    good = tmp_path / "policy.yml"
    good.write_text(yaml.safe_dump(changed), "utf-8")
    assert load_policy(good).tiers.cooldown_seconds == 60
    changed["version"] = 2
    good.write_text(yaml.safe_dump(changed), "utf-8")
    with pytest.raises(PolicyError, match=f"{good}: version: must be an integer between 1"):
        load_policy(good)
