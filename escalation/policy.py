"""The escalation policy as frozen dataclasses.

The single source of defaults is ``escalation/default_policy.yml``; build a :class:`Policy` with
:func:`escalation.policy_loader.load_policy` (which validates every key), and tweak one in tests
with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from escalation.budget import BudgetCaps
from escalation.decision import Action, Priority, RemedyKind, Tier
from escalation.signals import CustomerProfile, CustomerTier


@dataclass(frozen=True, slots=True)
class TrajectoryParams:
    """How one conversation's anger trajectory is smoothed (``trajectory:``)."""

    fast_alpha: float
    baseline_alpha: float
    baseline_turns: int
    negative_anger: float
    negative_sentiment: float
    low_confidence: float
    history_turns: int
    generic_intents: frozenset[str]


@dataclass(frozen=True, slots=True)
class PressureWeights:
    """How the trajectory adds up to the escalation pressure (``pressure:``)."""

    spike_margin: float
    spike_weight: float
    negative_streak_weight: float
    negative_streak_cap: int
    failed_understanding_weight: float
    failed_understanding_cap: int
    repeat_contact_weight: float
    repeat_contact_cap: int
    cue_weights: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class TierThreshold:
    """Enter at ``enter``, leave below ``exit``; needs ``min_negative_turns`` in a row."""

    enter: float
    exit: float
    min_negative_turns: int

    def shifted(self, offset: float) -> TierThreshold:
        """Return the threshold moved by ``offset`` (kept within 0.05 and 1)."""
        if offset == 0:
            return self
        enter = min(1.0, max(0.05, self.enter + offset))
        exit_ = min(enter, max(0.0, self.exit + offset))
        return TierThreshold(enter, exit_, self.min_negative_turns)


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """The three tiers and the cool-down after an intervention (``tiers:``)."""

    soothe: TierThreshold
    remedy: TierThreshold
    handoff: TierThreshold
    cooldown_seconds: float
    cooldown_turns: int

    def threshold(self, tier: Tier) -> TierThreshold:
        """The threshold of ``tier`` (not ``Tier.NONE``)."""
        return {Tier.SOOTHE: self.soothe, Tier.REMEDY: self.remedy, Tier.HANDOFF: self.handoff}[
            tier
        ]


@dataclass(frozen=True, slots=True)
class TriggerPolicy:
    """Hard handoff triggers; 0 disables one (``triggers:``)."""

    handoff_after_human_requests: int
    handoff_after_failed_understanding: int


@dataclass(frozen=True, slots=True)
class CustomerHandling:
    """How a kind of customer is treated (``customers.<tier>``)."""

    threshold_offset: float
    queue: str
    min_priority: Priority


@dataclass(frozen=True, slots=True)
class CustomerPolicy:
    """Treatment by customer tier and for high complaint risk (``customers:``)."""

    by_tier: Mapping[CustomerTier, CustomerHandling]
    high_risk_at: float
    high_risk: CustomerHandling

    def handling(self, customer: CustomerProfile) -> CustomerHandling:
        """Combine the tier's handling with the high-risk one when it applies.

        Offsets add up; the queue and priority of the more attentive handling win.
        """
        base = self.by_tier[customer.tier]
        if customer.complaint_risk < self.high_risk_at:
            return base
        risky = self.high_risk
        queue = risky.queue if base.queue == "general" else base.queue
        priority = max(base.min_priority, risky.min_priority, key=lambda p: p.rank)
        return CustomerHandling(base.threshold_offset + risky.threshold_offset, queue, priority)


@dataclass(frozen=True, slots=True)
class HandoffPolicy:
    """Handoff priority rules (``handoff:``)."""

    high_at: float
    urgent_at: float
    urgent_cues: frozenset[str]


@dataclass(frozen=True, slots=True)
class SootheVariant:
    """One empathetic reply; ``text`` holds a ``{problem}`` placeholder."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class SoothePolicy:
    """Soothing replies, used in rotation (``soothe:``)."""

    variants: tuple[SootheVariant, ...]
    known_issue: str


@dataclass(frozen=True, slots=True)
class RemedyOption:
    """One offer; ``value`` is percent or cents (see ``RemedyOffer``), ``cost_cents`` the charge."""

    kind: RemedyKind
    value: int
    cost_cents: int


@dataclass(frozen=True, slots=True)
class CauseMatch:
    """When a remedy rule applies; an empty field matches anything (``remedies.rules[i].when``)."""

    intents: frozenset[str]
    order_statuses: frozenset[str]
    min_delay_days: int
    entities: frozenset[str]


@dataclass(frozen=True, slots=True)
class RemedyRule:
    """Offers for one cause, by customer tier, most preferred first."""

    name: str
    when: CauseMatch
    offers: Mapping[CustomerTier, tuple[RemedyOption, ...]]


@dataclass(frozen=True, slots=True)
class RemedyPolicy:
    """Remedy rules and what to do when no offer fits the budget (``remedies:``)."""

    fallback: Action
    rules: tuple[RemedyRule, ...]


@dataclass(frozen=True, slots=True)
class EffectPolicy:
    """Effect tracking (``effects:``)."""

    followup_turns: int


@dataclass(frozen=True, slots=True)
class ObjectiveStreamPolicy:
    """The second surge test: angry conversations about an order with a verifiable problem
    (``incidents.objective``); see :mod:`escalation.incidents`.

    Attributes:
        enabled: Whether the stream is tested.
        order_statuses: Order statuses that count as a verifiable problem (``delayed``).
        min_delay_days: Days late that count as one, whatever the status (0: status only).
        prior_share: Expected share of such angry conversations before any history.
        min_baseline_share: The expected share never goes below this.
        min_angry_conversations: Such conversations needed in a window to open an incident.
    """

    enabled: bool
    order_statuses: frozenset[str]
    min_delay_days: int
    prior_share: float
    min_baseline_share: float
    min_angry_conversations: int


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    """Aggregate surge detection (``incidents:``); see :mod:`escalation.incidents`."""

    enabled: bool
    cause_entities: tuple[str, ...]
    intent_groups: Mapping[str, str]
    angry_at: float
    windows_seconds: tuple[float, ...]
    angry_messages_per_conversation: int
    alpha: float
    min_angry_conversations: int
    prior_angry_share: float
    prior_weight: float
    min_baseline_share: float
    baseline_half_life_seconds: float
    baseline_guard_p_value: float
    close_p_value: float
    close_after_seconds: float
    threshold_offset: float
    objective: ObjectiveStreamPolicy


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole escalation policy."""

    version: int
    trajectory: TrajectoryParams
    pressure: PressureWeights
    tiers: TierPolicy
    triggers: TriggerPolicy
    customers: CustomerPolicy
    handoff: HandoffPolicy
    soothe: SoothePolicy
    remedies: RemedyPolicy
    budgets: BudgetCaps
    effects: EffectPolicy
    incidents: IncidentPolicy
