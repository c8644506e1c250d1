"""Word-by-word English glosses of non-English messages, for the English-only encoder.

all-MiniLM-L6-v2 was trained on English: "ik wil mijn bestelling annuleren" lands nowhere near
"cancel my order". A glossary of customer-service words per language (``nlu_data/gloss/*.yml``)
turns such a message into English words ("i want my order cancel"), which the encoder does
understand. The model scores both the message and its gloss and mixes the two intent
distributions with a weight fitted on the calibration bucket (:func:`fit_gloss_weight`);
affect, entities and everything else still come from the message itself.

A message is glossed with the one language whose glossary changes most of its words, and only
when that language changes at least :data:`MIN_SHARE` of them, so English messages that share a
word with some glossary ("no", "a") stay as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.nlu.memory import fit_weight, mix

#: The share of a message's words a language must translate before the message is glossed.
MIN_SHARE = 0.4
#: The longest glossary phrase, in words.
MAX_PHRASE = 3
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case without accents ("Rückerstattung" -> "ruckerstattung", "ß" -> "ss")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text (apostrophes split words: "j'ai" -> "j", "ai")."""
    return _WORD.findall(fold(text))


@dataclass
class Glossary:
    """Foreign phrases (1-3 folded words) to English, per language."""

    languages: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Mapping[str, Mapping[str, str]]) -> Glossary:
        """Build from ``{language: {phrase: english}}`` (as written in ``nlu_data/gloss``).

        Entries whose phrase folds to nothing, or is longer than :data:`MAX_PHRASE` words,
        are dropped; so are entries that translate a word into itself.
        """
        languages: dict[str, dict[tuple[str, ...], str]] = {}
        for language, table in sorted(entries.items()):
            folded: dict[tuple[str, ...], str] = {}
            for phrase, english in table.items():
                key = tuple(words(phrase))
                value = " ".join(words(english)) or english.strip().lower()
                if key and len(key) <= MAX_PHRASE and value and " ".join(key) != value:
                    folded.setdefault(key, value)
            if folded:
                languages[language] = folded
        return cls(languages)

    def entries(self) -> dict[str, dict[str, str]]:
        """The glossary as plain ``{language: {phrase: english}}`` (saved with the model)."""
        return {
            language: {" ".join(k): v for k, v in sorted(table.items())}
            for language, table in self.languages.items()
        }

    def _translate(
        self, tokens: Sequence[str], table: dict[tuple[str, ...], str]
    ) -> tuple[str, int]:
        out: list[str] = []
        changed = i = 0
        while i < len(tokens):
            for size in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                english = table.get(tuple(tokens[i : i + size]))
                if english is not None:
                    out.append(english)
                    changed += size
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out), changed

    def gloss(self, text: str) -> str | None:
        """The English gloss of a message, or None when no language translates enough of it."""
        tokens = words(text)
        if not tokens:
            return None
        best: tuple[int, str] | None = None
        for table in self.languages.values():
            glossed, changed = self._translate(tokens, table)
            if changed and (best is None or changed > best[0]):
                best = (changed, glossed)
        if best is None or best[0] < MIN_SHARE * len(tokens):
            return None
        return best[1]


def glossed_rows(glossary: Glossary | None, texts: Sequence[str]) -> tuple[list[str], list[int]]:
    """The glosses to score next to ``texts``, and for each the index of its message."""
    if glossary is None:
        return [], []
    extra, owners = [], []
    for i, text in enumerate(texts):
        glossed = glossary.gloss(text)
        if glossed is not None:
            extra.append(glossed)
            owners.append(i)
    return extra, owners


def mix_glossed(probs: np.ndarray, owners: Sequence[int], weight: float) -> np.ndarray:
    """Mix each glossed message's intent distribution with its gloss's.

    Args:
        probs: intent distributions of the messages, then of their glosses (one row per
            ``owners`` entry, in order).
        owners: for each gloss row, the index of its message.
        weight: the gloss's share (0: ignore glosses, 1: use only the gloss).

    Returns:
        The messages' distributions (``len(probs) - len(owners)`` rows).
    """
    n = len(probs) - len(owners)
    mixed = probs[:n].copy()
    if owners:
        idx = np.asarray(owners)
        mixed[idx] = mix(probs[:n][idx], probs[n:], weight)
    return mixed


def fit_gloss_weight(
    probs: np.ndarray, owners: Sequence[int], labels: np.ndarray, grid: int = 11
) -> float:
    """The gloss weight (0-1 in steps of 0.1) with the best calibration accuracy on the
    glossed messages; ties go to the smaller weight (the memory's fit, on those rows)."""
    if not owners:
        return 0.0
    idx = np.asarray(owners)
    n = len(probs) - len(owners)
    weights = tuple(float(w) for w in np.linspace(0.0, 1.0, grid))
    return round(fit_weight(probs[:n][idx], probs[n:], labels[idx], weights), 2)
