"""Load and validate the escalation policy from YAML into :class:`~escalation.policy.Policy`.

Every problem is reported with its key path, all at once, in one :class:`PolicyError`:
``tiers.remedy.enter: must be a number between 0 and 1, got 'high'``. Unknown keys are errors.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from escalation.decision import Priority
from escalation.errors import PolicyError
from escalation.policy import (
    CustomerHandling,
    CustomerPolicy,
    EffectPolicy,
    HandoffPolicy,
    IncidentPolicy,
    ObjectiveStreamPolicy,
    Policy,
    PressureWeights,
    SoothePolicy,
    SootheVariant,
    TierPolicy,
    TierThreshold,
    TrajectoryParams,
    TriggerPolicy,
)
from escalation.policy_offers import parse_budgets, parse_remedies
from escalation.policy_schema import Problems, Section
from escalation.signals import CustomerTier

DEFAULT_POLICY_FILE = "default_policy.yml"
SUPPORTED_VERSION = 1


def _trajectory(sec: Section) -> TrajectoryParams:
    params = TrajectoryParams(
        fast_alpha=sec.number("fast_alpha", low=0.01, high=1),
        baseline_alpha=sec.number("baseline_alpha", low=0, high=1),
        baseline_turns=sec.integer("baseline_turns", low=1, high=20),
        negative_anger=sec.number("negative_anger", low=0, high=1),
        negative_sentiment=sec.number("negative_sentiment", low=-1, high=1),
        low_confidence=sec.number("low_confidence", low=0, high=1),
        history_turns=sec.integer("history_turns", low=2, high=100),
        generic_intents=frozenset(sec.text_list("generic_intents")),
    )
    sec.finish()
    return params


def _pressure(sec: Section) -> PressureWeights:
    cues = sec.section("cue_weights", required=False)
    cue_weights = {name: cues.number(name, low=0, high=1) for name in cues.names()}
    weights = PressureWeights(
        spike_margin=sec.number("spike_margin", low=0, high=1),
        spike_weight=sec.number("spike_weight", low=0, high=2),
        negative_streak_weight=sec.number("negative_streak_weight", low=0, high=1),
        negative_streak_cap=sec.integer("negative_streak_cap", low=0, high=20),
        failed_understanding_weight=sec.number("failed_understanding_weight", low=0, high=1),
        failed_understanding_cap=sec.integer("failed_understanding_cap", low=0, high=20),
        repeat_contact_weight=sec.number("repeat_contact_weight", low=0, high=1),
        repeat_contact_cap=sec.integer("repeat_contact_cap", low=0, high=20),
        cue_weights=cue_weights,
    )
    sec.finish()
    return weights


def _threshold(sec: Section) -> TierThreshold:
    threshold = TierThreshold(
        enter=sec.number("enter", low=0, high=1),
        exit=sec.number("exit", low=0, high=1),
        min_negative_turns=sec.integer("min_negative_turns", low=0, high=20),
    )
    checked = (f"{sec.path}.enter", f"{sec.path}.exit")
    if not sec.problems.about(*checked) and threshold.exit >= threshold.enter:
        sec.problems.add(f"{sec.path}.exit", f"must be below enter ({threshold.enter:g})")
    sec.finish()
    return threshold


def _tiers(sec: Section) -> TierPolicy:
    tiers = TierPolicy(
        soothe=_threshold(sec.section("soothe")),
        remedy=_threshold(sec.section("remedy")),
        handoff=_threshold(sec.section("handoff")),
        cooldown_seconds=sec.number("cooldown_seconds", low=0),
        cooldown_turns=sec.integer("cooldown_turns", low=0),
    )
    ordered = [("soothe", tiers.soothe), ("remedy", tiers.remedy), ("handoff", tiers.handoff)]
    for (low_name, low), (high_name, high) in itertools.pairwise(ordered):
        entries = (f"{sec.path}.{low_name}.enter", f"{sec.path}.{high_name}.enter")
        if not sec.problems.about(*entries) and high.enter <= low.enter:
            sec.problems.add(
                f"{sec.path}.{high_name}.enter", f"must be above {low_name}.enter ({low.enter:g})"
            )
    sec.finish()
    return tiers


def _handling(sec: Section) -> CustomerHandling:
    handling = CustomerHandling(
        threshold_offset=sec.number("threshold_offset", low=-0.5, high=0.5),
        queue=sec.text("queue"),
        min_priority=sec.choice("min_priority", Priority) or Priority.NORMAL,
    )
    return handling


def _customers(sec: Section) -> CustomerPolicy:
    by_tier: dict[CustomerTier, CustomerHandling] = {}
    for tier in CustomerTier:
        tier_sec = sec.section(tier.value)
        by_tier[tier] = _handling(tier_sec)
        tier_sec.finish()
    risk_sec = sec.section("high_risk")
    high_risk_at = risk_sec.number("complaint_risk_at_least", low=0, high=1)
    high_risk = _handling(risk_sec)
    risk_sec.finish()
    sec.finish()
    return CustomerPolicy(by_tier, high_risk_at, high_risk)


def _handoff(sec: Section) -> HandoffPolicy:
    policy = HandoffPolicy(
        high_at=sec.number("high_at", low=0, high=1),
        urgent_at=sec.number("urgent_at", low=0, high=1),
        urgent_cues=frozenset(sec.text_list("urgent_cues")),
    )
    entries = (f"{sec.path}.high_at", f"{sec.path}.urgent_at")
    if not sec.problems.about(*entries) and policy.urgent_at < policy.high_at:
        sec.problems.add(f"{sec.path}.urgent_at", f"must be at least high_at ({policy.high_at:g})")
    sec.finish()
    return policy


def _template(sec: Section, key: str) -> str:
    text = sec.text(key)
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        sec.problems.add(f"{sec.path}.{key}", f"is not a valid template: {error}")
        return text
    if fields != {"problem"}:
        found = ", ".join(sorted(f"{{{name}}}" for name in fields)) or "none"
        sec.problems.add(
            f"{sec.path}.{key}", f"must use exactly the placeholder {{problem}}, found {found}"
        )
    return text


def _soothe(sec: Section) -> SoothePolicy:
    variants = []
    for item in sec.section_list("variants"):
        variants.append(SootheVariant(name=item.text("name"), text=_template(item, "text")))
        item.finish()
    known_issue = _template(sec, "known_issue")
    sec.finish()
    return SoothePolicy(tuple(variants), known_issue)


def _intent_groups(sec: Section) -> dict[str, str]:
    groups: dict[str, str] = {}
    for group in sec.names():
        for intent in sec.text_list(group):
            if intent in groups:
                already = f"intent {intent!r} is already in group {groups[intent]!r}"
                sec.problems.add(f"{sec.path}.{group}", already)
            groups[intent] = group
    sec.finish()
    return groups


def _incidents(sec: Section) -> IncidentPolicy:
    windows_raw = sec.raw("windows_seconds")
    windows: tuple[float, ...] = ()
    if (
        isinstance(windows_raw, list)
        and windows_raw
        and all(
            isinstance(w, int | float) and not isinstance(w, bool) and w > 0 for w in windows_raw
        )
    ):
        windows = tuple(sorted(float(w) for w in windows_raw))
    else:
        sec.problems.add(
            f"{sec.path}.windows_seconds",
            f"must be a non-empty list of positive numbers, got {windows_raw!r}",
        )
    policy = IncidentPolicy(
        enabled=sec.boolean("enabled", default=True),
        cause_entities=sec.text_list("cause_entities"),
        intent_groups=_intent_groups(sec.section("intent_groups", required=False)),
        angry_at=sec.number("angry_at", low=0, high=1),
        windows_seconds=windows,
        angry_messages_per_conversation=sec.integer(
            "angry_messages_per_conversation", low=1, high=20
        ),
        alpha=sec.number("alpha", low=1e-15, high=0.5),
        min_angry_conversations=sec.integer("min_angry_conversations", low=1),
        prior_angry_share=sec.number("prior_angry_share", low=1e-4, high=1),
        prior_weight=sec.number("prior_weight", low=0),
        min_baseline_share=sec.number("min_baseline_share", low=0, high=1),
        baseline_half_life_seconds=sec.number("baseline_half_life_seconds", low=60),
        baseline_guard_p_value=sec.number("baseline_guard_p_value", low=0, high=1),
        close_p_value=sec.number("close_p_value", low=0, high=1),
        close_after_seconds=sec.number("close_after_seconds", low=0),
        threshold_offset=sec.number("threshold_offset", low=-0.5, high=0.5),
        objective=_objective(sec.section("objective")),
    )
    sec.finish()
    return policy


def _objective(sec: Section) -> ObjectiveStreamPolicy:
    policy = ObjectiveStreamPolicy(
        enabled=sec.boolean("enabled", default=True),
        order_statuses=frozenset(sec.text_list("order_statuses")),
        min_delay_days=sec.integer("min_delay_days", low=0),
        prior_share=sec.number("prior_share", low=1e-5, high=1),
        min_baseline_share=sec.number("min_baseline_share", low=0, high=1),
        min_angry_conversations=sec.integer("min_angry_conversations", low=1),
    )
    sec.finish()
    return policy


def parse_policy(data: Mapping[str, object] | object, source: str = "escalation policy") -> Policy:
    """Validate a policy mapping (as read from YAML) and build the :class:`Policy`.

    Args:
        data: The parsed YAML document.
        source: Name of the document, used in the error message.

    Raises:
        PolicyError: One or more keys are missing, unknown or malformed; ``problems`` lists
            each with its key path.
    """
    problems = Problems()
    root = Section(data, "", problems)
    version = root.integer("version", low=SUPPORTED_VERSION, high=SUPPORTED_VERSION)
    effects_sec = root.section("effects")
    effects = EffectPolicy(effects_sec.integer("followup_turns", low=1, high=20))
    effects_sec.finish()
    policy = Policy(
        version=version,
        trajectory=_trajectory(root.section("trajectory")),
        pressure=_pressure(root.section("pressure")),
        tiers=_tiers(root.section("tiers")),
        triggers=_triggers(root.section("triggers")),
        customers=_customers(root.section("customers")),
        handoff=_handoff(root.section("handoff")),
        soothe=_soothe(root.section("soothe")),
        remedies=parse_remedies(root.section("remedies")),
        budgets=parse_budgets(root.section("budgets")),
        effects=effects,
        incidents=_incidents(root.section("incidents")),
    )
    root.finish()
    if problems.lines:
        raise PolicyError(problems.lines, source)
    return policy


def _triggers(sec: Section) -> TriggerPolicy:
    triggers = TriggerPolicy(
        handoff_after_human_requests=sec.integer("handoff_after_human_requests", low=0),
        handoff_after_failed_understanding=sec.integer("handoff_after_failed_understanding", low=0),
    )
    sec.finish()
    return triggers


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file; the packaged default when ``path`` is ``None``.

    Args:
        path: A YAML policy file.

    Raises:
        PolicyError: The file cannot be read, is not YAML, or fails validation.
    """
    if path is None:
        source = f"escalation/{DEFAULT_POLICY_FILE}"
        text = resources.files("escalation").joinpath(DEFAULT_POLICY_FILE).read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as error:
            raise PolicyError([f"<file>: cannot be read ({error.strerror})"], source) from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError([f"<file>: is not valid YAML ({error})"], source) from error
    return parse_policy(data, source)


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The packaged default policy, loaded once."""
    return load_policy()
