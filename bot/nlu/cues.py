"""Intensity cues in a message's surface form: caps, repeated punctuation, profanity, threats,
repetition ("third time I ask"), demands, insults and angry emoji.

Cues complement the model: "where is my order" and "WHERE IS MY ORDER?!!" mean the same thing
but do not feel the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Cue:
    """A detected cue: a stable name, its weight in [0, 1] and the text that triggered it."""

    name: str
    weight: float
    evidence: str


def _pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(words) + r")(?![A-Za-z])", re.IGNORECASE)


_LEXICONS: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "profanity",
        0.45,
        _pattern(
            [
                r"f+u+c+k\w*",
                r"sh[i1]t\w*",
                r"bull ?sh[i1]t",
                r"crap\w*",
                r"damn\w*",
                r"hell",
                r"wtf",
                r"ffs",
                r"bloody",
                r"piss\w*",
                r"arse\w*",
                r"ass(?:hole)?s?",
                r"bastards?",
                r"screw (?:you|this)",
                r"b[i1]tch\w*",
                r"omfg",
            ]
        ),
    ),
    (
        "threat",
        0.45,
        _pattern(
            [
                r"charge ?backs?",
                r"dispute (?:it|this|the charge) with my bank",
                r"(?:my|a) lawyer",
                r"sue you",
                r"legal action",
                r"small claims",
                r"trading standards",
                r"consumer (?:protection|rights)",
                r"bbb",
                r"(?:bad|negative|1[- ]star|one[- ]star) reviews?",
                r"trustpilot",
                r"never (?:order|buy|shop)\w* (?:from|with|here)",
                r"never again",
                r"report (?:you|this)",
                r"close my account",
                r"take my business",
            ]
        ),
    ),
    (
        "repeat_contact",
        0.3,
        _pattern(
            [
                r"(?:third|3rd|fourth|4th|fifth|5th|tenth|\d+th) time",
                r"(?:second|2nd) time",
                r"how many times",
                r"(?:already|keep) (?:asked|asking|told|telling|contacted)",
                r"asked (?:twice|three times|again)",
                r"once again",
                r"for the last time",
                r"still (?:no|not|nothing|waiting)",
                r"(?:no ?one|nobody) (?:answers|replies|replied|responds|responded|gets back)",
                r"again and again",
            ]
        ),
    ),
    (
        "demand",
        0.25,
        _pattern([r"right now", r"immediately", r"asap", r"today or", r"or else", r"NOW"]),
    ),
    (
        "insult",
        0.35,
        _pattern(
            [
                r"worst",
                r"useless",
                r"incompetent",
                r"scam\w*",
                r"pathetic",
                r"ridiculous",
                r"unacceptable",
                r"disgrac\w+",
                r"rip ?-?off",
                r"joke",
                r"clowns?",
                r"idiots?",
                r"stupid",
                r"rubbish",
                r"garbage",
                r"terrible",
                r"awful",
                r"horrible",
                r"fed up",
                r"sick of",
                r"furious",
                r"livid",
                r"outrageous",
                r"shameful",
            ]
        ),
    ),
]
_ANGRY_EMOJI = re.compile(
    "[\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f4a2\U0001f44e\U0001f595]"
)


def _caps_cue(text: str) -> Cue | None:
    words = [w for w in _WORD.findall(text) if len(w) >= 2]
    letters = sum(len(w) for w in words)
    if letters < 8:
        return None
    upper = sum(len(w) for w in words if w.isupper())
    ratio = upper / letters
    if ratio >= 0.6:
        return Cue("all_caps", 0.4, f"{ratio:.0%} of letters in capitals")
    shouted = [w for w in words if w.isupper() and len(w) >= 3 and w not in {"USD", "EUR", "GBP"}]
    if len(shouted) >= 2:
        return Cue("caps_words", 0.2, " ".join(shouted[:4]))
    return None


def _punctuation_cue(text: str) -> Cue | None:
    runs = re.findall(r"[!?]{2,}", text)
    if not runs:
        return None
    longest = max(runs, key=len)
    weight = 0.25 if len(longest) >= 3 or "!" in longest else 0.15
    return Cue("repeated_punctuation", weight, longest)


def detect_cues(text: str) -> list[Cue]:
    """Return the intensity cues found in a message (each cue name at most once).

    Args:
        text: the customer's message.

    Returns:
        Cues in a stable order: caps, punctuation, then the lexicons, then emoji.
    """
    cues = [c for c in (_caps_cue(text), _punctuation_cue(text)) if c is not None]
    for name, weight, pattern in _LEXICONS:
        flags = 0 if name == "demand" else re.IGNORECASE
        match = re.search(pattern.pattern, text, flags)
        if name == "demand" and match is None:
            match = re.search(pattern.pattern.replace("|NOW", ""), text, re.IGNORECASE)
        if match is not None:
            cues.append(Cue(name, weight, match.group(0)))
    emoji = _ANGRY_EMOJI.findall(text)
    if emoji:
        cues.append(Cue("angry_emoji", 0.3, "".join(emoji[:3])))
    return cues


def cue_intensity(cues: list[Cue]) -> float:
    """Combine cue weights into one intensity in [0, 1) (noisy-or)."""
    remaining = 1.0
    for cue in cues:
        remaining *= 1.0 - cue.weight
    return 1.0 - remaining
