"""The Rasa assistant's YAML files agree with calmdesk's NLU and with each other (fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import PROJECT_ROOT

ASSISTANT = PROJECT_ROOT / "bot" / "assistant"

INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope",
    "track_order", "delivery_time", "delivery_options", "cancel_order", "change_order",
    "change_shipping_address", "return_item", "request_refund", "track_refund",
    "refund_policy", "payment_issue", "payment_methods", "invoice", "complaint",
    "request_human", "account_help", "product_question", "place_order", "feedback",
}  # fmt: skip
ENTITIES = {"order_id", "email", "phone", "amount", "date", "product", "carrier"}


def load(relative: str) -> Any:
    """Parse one YAML file of the assistant."""
    return yaml.safe_load((ASSISTANT / relative).read_text("utf-8"))


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    """The parsed domain.yml."""
    parsed: dict[str, Any] = load("domain.yml")
    return parsed


def test_domain_lists_every_intent_and_entity(domain: dict[str, Any]) -> None:
    """Names match what the NLU service returns."""
    assert set(domain["intents"]) == INTENTS
    assert len(domain["intents"]) == len(INTENTS)
    assert set(domain["entities"]) == ENTITIES


#: Responses whose whole text is data (a catalogue answer); every other has variations.
DATA_RESPONSES = {"utter_product_answer"}


def known_actions(domain: dict[str, Any]) -> set[str]:
    """Responses, custom actions and forms of the domain."""
    return set(domain["responses"]) | set(domain["actions"]) | set(domain["forms"])


def rule_files() -> list[dict[str, Any]]:
    """Every rule of the assistant (rules.yml and forms.yml)."""
    return [rule for name in ("rules.yml", "forms.yml") for rule in load(f"data/{name}")["rules"]]


def test_every_response_has_distinct_variations(domain: dict[str, Any]) -> None:
    """Each response has 2 or more different variations (data-only answers excepted)."""
    for name, variations in domain["responses"].items():
        if name in DATA_RESPONSES:
            continue
        assert len(variations) >= 2, name
        assert len({v["text"] for v in variations}) == len(variations), name


def test_rules_answer_every_intent_and_nlu_fallback(domain: dict[str, Any]) -> None:
    """Each intent (and nlu_fallback) starts a rule outside forms, with a known action."""
    started = set()
    for rule in rule_files():
        steps = rule["steps"]
        if "condition" not in rule and "intent" in steps[0]:
            started.add(steps[0]["intent"])
        for step in steps:
            if "action" in step:
                assert step["action"] in known_actions(domain), rule["rule"]
    # affirm/deny answer the bot's pending question; account_help etc. are plain answers.
    assert started == INTENTS | {"nlu_fallback"}


def test_forms_have_questions_and_validation(domain: dict[str, Any]) -> None:
    """Every slot a form asks for has an utter_ask_ response; every form a validation action."""
    for form, spec in domain["forms"].items():
        assert f"validate_{form}" in domain["actions"], form
        for slot in spec["required_slots"]:
            assert f"utter_ask_{slot}" in domain["responses"], slot


def test_stories_only_use_known_intents_and_actions(domain: dict[str, Any]) -> None:
    """Stories reference the domain only."""
    for story in load("data/stories.yml")["stories"]:
        for step in story["steps"]:
            if "intent" in step:
                assert step["intent"] in INTENTS, story["story"]
            if "action" in step:
                assert step["action"] in known_actions(domain), story["story"]


def test_config_trains_core_only_with_fast_policies() -> None:
    """No Rasa NLU pipeline; memoization and rules; core fallback configured."""
    config = load("config.yml")
    assert config["recipe"] == "default.v1"
    assert config["assistant_id"] and config["assistant_id"] != "placeholder_default"
    assert config["language"] == "en"
    assert config["pipeline"] == []
    names = [policy["name"] for policy in config["policies"]]
    assert names == ["MemoizationPolicy", "RulePolicy"]
    rule_policy = config["policies"][1]
    assert rule_policy["core_fallback_action_name"] == "action_default_fallback"
    assert "utter_default" in load("domain.yml")["responses"]


def test_credentials_enable_the_rest_channel() -> None:
    """The gateway reaches Rasa through the REST channel."""
    assert "rest" in load("credentials.yml")


def test_session_config(domain: dict[str, Any]) -> None:
    """Sessions expire and keep slots, as configured."""
    session = domain["session_config"]
    assert session["session_expiration_time"] > 0
    assert session["carry_over_slots_to_new_session"] is True


def test_no_stray_files_from_rasa() -> None:
    """Rasa must not leave caches or models inside the assistant folder."""
    stray = [p.name for p in ASSISTANT.iterdir() if p.name in {".rasa", "models", "results"}]
    assert not stray
    assert Path(ASSISTANT / "config.yml").read_text("utf-8").count("assistant_id:") == 1
