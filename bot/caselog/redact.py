"""PII redaction before anything is stored: emails, card numbers, phone numbers, addresses.

Order ids (``#1042``, ``order 100234``), amounts (``49.99 USD``, ``$1,299.00``), dates and
quantities are kept: the reviewers need them and they identify no person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.caselog.records import (
    AgentMessageRecord,
    CaseRecord,
    EscalationRecord,
    LateResponsesRecord,
    OutcomeRecord,
    RelabelRecord,
    TurnRecord,
)

EMAIL = "[EMAIL]"
CARD = "[CARD]"
PHONE = "[PHONE]"
ADDRESS = "[ADDRESS]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD_RE = re.compile(r"(?<![\d.,])\d(?:[ \-]?\d){12,18}(?![\d.,]\d)")
# A run of digits with phone-like separators; the filters below decide.
_PHONE_RE = re.compile(r"(?<![\w.,#])(\+\s?)?(\(?\d[\d\s().\-/]{5,22}\d)(?![\w]|[.,]\d)")
_PHONE_WORDS = re.compile(
    r"(phone|mobile|cell|tel|telephone|call me|call|whatsapp|number is|reach me|text me)\W*$",
    re.IGNORECASE,
)
_ORDER_WORDS = re.compile(
    r"(order|ord|invoice|ticket|case|ref|reference|tracking|parcel|package|item|sku|no\.?|#)"
    r"\W{0,3}$",
    re.IGNORECASE,
)
_DATE_RE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")
_STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|"
    r"terrace|close|crescent|square|sq|highway|hwy|parkway|pkwy|alley|row|gardens|strasse|"
    r"straße|rue|via|calle"
)
_ADDRESS_RE = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Za-z][\w'\-.]*\s+){0,4}?(?:" + _STREET_SUFFIX + r")\b\.?"
    r"(?:,?\s+(?:apt|apartment|unit|suite|flat|#)\.?\s*\w+)?",
    re.IGNORECASE,
)
_ADDRESS_TRAILING_NUMBER_RE = re.compile(
    r"\b(?:rue|via|calle)\s+(?:[A-Za-z][\w'\-]*\s+){0,3}\d{1,5}\b"
    r"|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee)\s+\d{1,4}[a-z]?\b",
    re.IGNORECASE,
)


_NOT_STREET_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "on",
        "in",
        "at",
        "for",
        "to",
        "of",
        "and",
        "or",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "it",
        "is",
        "was",
        "by",
        "from",
        "with",
        "days",
        "day",
        "weeks",
        "week",
        "hours",
        "hour",
        "minutes",
        "times",
        "time",
        "items",
        "item",
        "orders",
        "order",
        "months",
        "month",
        "years",
        "year",
        "pieces",
        "boxes",
        "km",
        "miles",
    ]
)


def _address(match: re.Match[str]) -> str:
    words = re.findall(r"[A-Za-z][\w'\-.]*", match.group(0))[:-1]
    if any(word.lower().rstrip(".") in _NOT_STREET_WORDS for word in words):
        return match.group(0)
    return ADDRESS


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum (payment card numbers do)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _phone_replacer(text: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw)
        before = text[max(0, match.start() - 24) : match.start()]
        if len(digits) < 7 or len(digits) > 15 or _DATE_RE.match(raw.strip()):
            return raw
        if _ORDER_WORDS.search(before) and not match.group(1):
            return raw
        international = match.group(1) is not None
        separated = bool(re.search(r"[\s().\-/]", raw.strip()))
        if international or _PHONE_WORDS.search(before) or (len(digits) >= 10 and separated):
            return PHONE
        if len(digits) >= 10 and raw.startswith("0"):
            return PHONE
        return raw

    return replace


def redact(text: str) -> str:
    """Replace emails, card numbers, phone numbers and street addresses with placeholders.

    Args:
        text: A customer or agent message.

    Returns:
        The text with ``[EMAIL]``, ``[CARD]``, ``[PHONE]`` and ``[ADDRESS]`` placeholders; order
        ids, amounts and dates are left as they are.
    """
    if not text:
        return text
    out = _EMAIL_RE.sub(EMAIL, text)
    out = _CARD_RE.sub(_card, out)
    out = _ADDRESS_RE.sub(_address, out)
    out = _ADDRESS_TRAILING_NUMBER_RE.sub(ADDRESS, out)
    return _PHONE_RE.sub(_phone_replacer(out), out)


_PII_ENTITIES = {"email": EMAIL, "phone": PHONE, "card": CARD, "address": ADDRESS}


def redact_entities(entities: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Redact the values of PII entities (email, phone...) and any PII inside other values."""
    if not entities:
        return entities
    out: list[dict[str, Any]] = []
    for entity in entities:
        value = entity.get("value")
        if entity.get("entity") in _PII_ENTITIES:
            value = _PII_ENTITIES[str(entity.get("entity"))]
        elif isinstance(value, str):
            value = redact(value)
        out.append({**entity, "value": value})
    return out


def _redact_responses(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "text": redact(r["text"])} if isinstance(r.get("text"), str) else r for r in responses
    ]


def redact_record(record: CaseRecord) -> CaseRecord:
    """Return ``record`` with every free text (and PII entity value) redacted."""
    if isinstance(record, TurnRecord):
        return replace(
            record,
            text=redact(record.text),
            entities=redact_entities(record.entities),
            responses=_redact_responses(record.responses),
        )
    if isinstance(record, LateResponsesRecord):
        return replace(record, responses=_redact_responses(record.responses))
    if isinstance(record, AgentMessageRecord):
        return replace(record, text=redact(record.text))
    if isinstance(record, EscalationRecord):
        return replace(record, messages=[redact(m) for m in record.messages])
    if isinstance(record, OutcomeRecord | RelabelRecord) and record.note:
        return replace(record, note=redact(record.note))
    return record
