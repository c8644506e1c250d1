"""Readers for the public datasets in ``../shared/data`` (never copied into the repository)."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.errors import TrainingDataError

# GoEmotions label ids (labels.txt order) and the paper's Ekman "anger" group.
GOEMOTIONS_ANGER_GROUP = frozenset({"anger", "annoyance", "disapproval"})
GOEMOTIONS_POSITIVE = frozenset(
    {
        "admiration",
        "amusement",
        "approval",
        "caring",
        "desire",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    }
)
GOEMOTIONS_NEGATIVE = frozenset(
    {
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    }
)

# CLINC150 intents that overlap what an online shop's assistant handles: never used as
# out-of-scope examples.
CLINC_IN_DOMAIN = frozenset(
    {
        "are_you_a_bot",
        "cancel",
        "card_declined",
        "goodbye",
        "greeting",
        "maybe",
        "no",
        "yes",
        "order",
        "order_status",
        "thank_you",
        "what_can_i_ask_you",
        "pay_bill",
        "transactions",
        "spending_history",
        "report_fraud",
        "redeem_rewards",
        "rewards_balance",
        "shopping_list",
        "shopping_list_update",
        "account_blocked",
        "freeze_account",
        "pin_change",
        "change_user_name",
        "user_name",
        "repeat",
        "who_do_you_work_for",
        "damaged_card",
        "new_card",
        "international_fees",
        "bill_balance",
        "bill_due",
        "min_payment",
        "replacement_card_duration",
        "report_lost_card",
        "expiration_date",
        "what_is_your_name",
        "who_made_you",
        "reset_settings",
        "sync_device",
        "make_call",
        "text",
    }
)


@dataclass(frozen=True)
class EmotionExample:
    """A GoEmotions comment with its emotion label names."""

    text: str
    labels: frozenset[str]

    @property
    def is_anger(self) -> bool:
        """Whether any label is in the Ekman anger group (anger, annoyance, disapproval)."""
        return bool(self.labels & GOEMOTIONS_ANGER_GROUP)


def _require(path: Path) -> Path:
    if not path.is_file():
        raise TrainingDataError(
            f"{path}: not found. The shared datasets live in ../shared/data "
            "(set CALMDESK_SHARED_DATA_DIR to point elsewhere)."
        )
    return path


def goemotions_labels(shared: Path) -> list[str]:
    """Return the 28 GoEmotions label names in id order."""
    path = _require(shared / "goemotions" / "labels.txt")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def load_goemotions(shared: Path, split: str) -> list[EmotionExample]:
    """Load a GoEmotions split (``train`` or ``dev``).

    Args:
        shared: the shared data directory.
        split: ``train`` or ``dev``.

    Returns:
        The examples with label names.
    """
    names = goemotions_labels(shared)
    path = _require(shared / "goemotions" / f"{split}.tsv")
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            labels = frozenset(names[int(i)] for i in row[1].split(",") if i)
            out.append(EmotionExample(row[0], labels))
    return out


def load_clinc_out_of_scope(shared: Path, split: str, per_intent: int, seed: int = 7) -> list[str]:
    """Sample general, non-shop queries from CLINC150 to teach out-of-scope rejection.

    Args:
        shared: the shared data directory.
        split: ``train`` or ``val``.
        per_intent: how many queries to take from each out-of-domain CLINC intent.
        seed: sampling seed.

    Returns:
        Query texts: sampled out-of-domain intents plus all of CLINC's own ``oos_<split>``.
    """
    data = json.loads(_require(shared / "clinc150" / "train_val.json").read_text())
    by_intent: dict[str, list[str]] = {}
    for text, intent in data[split]:
        if intent not in CLINC_IN_DOMAIN:
            by_intent.setdefault(intent, []).append(text)
    rng = random.Random(seed)
    texts: list[str] = []
    for intent in sorted(by_intent):
        pool = by_intent[intent]
        texts.extend(rng.sample(pool, min(per_intent, len(pool))))
    texts.extend(text for text, _ in data[f"oos_{split}"])
    return texts
