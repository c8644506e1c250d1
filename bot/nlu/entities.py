"""Entity extraction with character spans in Rasa's format: order_id, email, phone, amount,
date, carrier (regexes + synonyms) and product (fuzzy match against the catalogue lookup)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

EXTRACTOR = "CalmdeskEntityExtractor"

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w#])(?:\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|\d{3}[\s.-]\d{3}[\s.-]\d{4}|0\d{9,10}|0\d{3,4}\s\d{3}\s?\d{3,4})(?!\d)"
)
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCY_WORDS = {
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
}
_AMOUNT = re.compile(
    r"(?P<sign>[$€£])\s?(?P<n1>\d{1,6}(?:[.,]\d{1,2})?)(?!\d)"
    r"|(?<![\w.])(?P<n2>\d{1,6}(?:[.,]\d{1,2})?)\s?(?P<word>usd|eur|gbp|dollars?|bucks|euros?|pounds?)\b",
    re.IGNORECASE,
)
_ORDER_ID = re.compile(
    r"(?:#\s?|\b(?:order|ord|order\s*(?:no\.?|number|num|nr|#|id)|no\.?)\s*[:#-]?\s*)(?P<id>\d{4,7})\b"
    r"|(?<![\w$€£+(.,:/-])(?P<bare>\d{4,7})(?![\w.,:/-]?\d)",
    re.IGNORECASE,
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
#: rapidfuzz ``ratio`` cut-off for a fuzzy product match.
FUZZY_CUTOFF = 88
_FUZZY_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    rf"|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH}"
    r"|today|tonight|yesterday|tomorrow|day before yesterday|this (?:morning|afternoon|evening)"
    r"|last (?:night|year)|the weekend|christmas(?: eve)?|black friday|cyber monday"
    r"|the \d{1,2}(?:st|nd|rd|th)"
    r"|(?:(?:last|next|this) )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|(?:last|next|this) (?:week|month)"
    r"|(?:\d+|a|an|one|two|three|four|five|six) (?:hours?|days?|weeks?|months?) ago)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entity:
    """One extracted entity (Rasa's entity dict shape)."""

    entity: str
    value: Any
    start: int
    end: int
    confidence: float = 1.0

    def as_rasa(self) -> dict[str, Any]:
        """Render in Rasa's parse format."""
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": self.confidence,
            "extractor": EXTRACTOR,
        }


def resolve_date(text: str, today: date) -> str:
    """Normalise a date mention to ISO format where it can be resolved, else return it as is."""
    low = text.lower().strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", low):
        return low
    simple = {"today": 0, "yesterday": -1, "tomorrow": 1, "day before yesterday": -2}
    if low in simple:
        return (today + timedelta(days=simple[low])).isoformat()
    match = re.fullmatch(r"(\w+) (day|week|month)s? ago", low)
    if match and (match.group(1).isdigit() or match.group(1) in _NUMBER_WORDS):
        n = int(match.group(1)) if match.group(1).isdigit() else _NUMBER_WORDS[match.group(1)]
        days = {"day": 1, "week": 7, "month": 30}[match.group(2)] * n
        return (today - timedelta(days=days)).isoformat()
    match = re.fullmatch(r"(?:(last|this|next) )?(\w+)", low)
    if match and match.group(2) in _WEEKDAYS:
        offset = (_WEEKDAYS.index(match.group(2)) - today.weekday()) % 7
        if match.group(1) == "next":
            return (today + timedelta(days=offset or 7)).isoformat()
        back = (today.weekday() - _WEEKDAYS.index(match.group(2))) % 7 or 7
        return (today - timedelta(days=back)).isoformat()
    for month_index, name in enumerate(_MONTHS, start=1):
        found = re.search(r"\d{1,2}", low)
        if found and re.search(rf"\b{name[:3]}", low):
            try:
                return date(today.year, month_index, int(found.group(0))).isoformat()
            except ValueError:
                return text
    return text


class EntityExtractor:
    """Extracts entities from text with spans; built from nlu_data's lookups and synonyms."""

    def __init__(
        self, products: Iterable[str], carriers: Iterable[str], synonyms: dict[str, str]
    ) -> None:
        """Prepare the lookup tables.

        Args:
            products: product names and aliases (the ``product`` lookup table).
            carriers: carrier names and variants (the ``carrier`` lookup table).
            synonyms: lower-cased surface form → canonical value.
        """
        self._synonyms = synonyms
        self._products = sorted({p.lower() for p in products}, key=len, reverse=True)
        self._product_lengths = [len(p) for p in reversed(self._products)]  # ascending
        carrier_forms = sorted({c.lower() for c in carriers}, key=len, reverse=True)
        self._carrier = re.compile(
            r"(?<![A-Za-z])(?:" + "|".join(re.escape(c) for c in carrier_forms) + r")(?![A-Za-z])",
            re.IGNORECASE,
        )
        self._product_exact = re.compile(
            r"(?<![A-Za-z])(?:"
            + "|".join(re.escape(p) for p in self._products)
            + r")s?(?![A-Za-z])",
            re.IGNORECASE,
        )

    def _canonical(self, surface: str) -> str:
        return self._synonyms.get(surface.lower(), surface)

    def _product_value(self, surface: str) -> str:
        low = surface.lower()
        if low not in self._synonyms and low.endswith("s") and low[:-1] in self._synonyms:
            return self._synonyms[low[:-1]]
        return self._canonical(surface)

    def _fuzzy_range(self, shortest_query: int, longest_query: int) -> tuple[int, int]:
        """The slice of the product list that can fuzzy-match queries of these lengths.

        ``ratio`` is ``100 * (1 - distance / (a + b))`` with an indel distance of at least
        ``|a - b|``, so a product of length ``b`` can only reach the cut-off with a query of
        length ``a`` when ``2 * min(a, b) / (a + b) >= 0.88``; the bounds keep a margin of one
        point. The list is sorted by length, so the candidates are one contiguous slice.
        """
        keep = (FUZZY_CUTOFF - 1) / 100
        shortest = shortest_query * keep / (2 - keep)
        longest = longest_query * (2 - keep) / keep
        count = len(self._products)
        first = count - bisect_right(self._product_lengths, longest)
        last = count - bisect_left(self._product_lengths, shortest)
        return first, last

    def fuzzy_products(self, queries: list[str]) -> list[tuple[str, float] | None]:
        """The best catalogue match of each query with its ``ratio`` score, or None below the
        cut-off: what ``extractOne`` over the whole product list answers (the first of equal
        scores in list order), computed in one ``cdist`` call over the products whose length
        allows a match.

        Args:
            queries: lower-cased text windows (at least one).
        """
        lengths = [len(q) for q in queries]
        first, last = self._fuzzy_range(min(lengths), max(lengths))
        if first >= last:
            return [None] * len(queries)
        candidates = self._products[first:last]
        scores = process.cdist(
            queries,
            candidates,
            scorer=fuzz.ratio,
            score_cutoff=FUZZY_CUTOFF,
            dtype=np.float64,
            workers=1,
        )
        best = scores.argmax(axis=1)  # the first of equal scores, as extractOne
        hits: list[tuple[str, float] | None] = []
        for row, column in enumerate(best):
            score = float(scores[row, column])
            hits.append((candidates[column], score) if score >= FUZZY_CUTOFF else None)
        return hits

    def _products_in(self, text: str, taken: list[tuple[int, int]]) -> list[Entity]:
        found = [
            Entity("product", self._product_value(m.group(0)), m.start(), m.end())
            for m in self._product_exact.finditer(text)
        ]
        if found:
            return found
        # Fuzzy: typos such as "runing shoes", "bluetooth speakr".
        words = list(_FUZZY_WORD.finditer(text))
        spans = [
            (words[i].start(), words[i + size - 1].end())
            for size in (3, 2)
            for i in range(len(words) - size + 1)
        ]
        spans = [
            (start, end) for start, end in spans if not any(s < end and start < e for s, e in taken)
        ]
        if not spans:
            return []
        best: Entity | None = None
        hits = self.fuzzy_products([text[start:end].lower() for start, end in spans])
        for (start, end), hit in zip(spans, hits, strict=True):
            if hit is not None and (best is None or hit[1] / 100 > best.confidence):
                best = Entity(
                    "product", self._canonical(hit[0]), start, end, round(hit[1] / 100, 2)
                )
        return [best] if best else []

    def extract(self, text: str, today: date | None = None) -> list[Entity]:
        """Find every entity in ``text``.

        Args:
            text: the message.
            today: reference date for relative dates (defaults to today).

        Returns:
            Non-overlapping entities sorted by start offset.
        """
        today = today or date.today()
        found: list[Entity] = []

        def free(start: int, end: int) -> bool:
            return all(end <= e.start or start >= e.end for e in found)

        for m in _EMAIL.finditer(text):
            found.append(Entity("email", m.group(0), m.start(), m.end()))
        for m in _PHONE.finditer(text):
            if free(m.start(), m.end()) and sum(ch.isdigit() for ch in m.group(0)) >= 9:
                found.append(Entity("phone", m.group(0).strip(), m.start(), m.end()))
        for m in _AMOUNT.finditer(text):
            if not free(m.start(), m.end()):
                continue
            number = (m.group("n1") or m.group("n2")).replace(",", ".")
            currency = (
                _CURRENCY_SIGNS[m.group("sign")]
                if m.group("sign")
                else _CURRENCY_WORDS[m.group("word").lower()]
            )
            found.append(Entity("amount", f"{float(number):.2f} {currency}", m.start(), m.end()))
        for m in _DATE.finditer(text):
            if free(m.start(), m.end()):
                found.append(Entity("date", resolve_date(m.group(0), today), m.start(), m.end()))
        for m in _ORDER_ID.finditer(text):
            group = "id" if m.group("id") else "bare"
            start, end = m.start(group), m.end(group)
            if free(start, end):
                confidence = 1.0 if group == "id" else 0.8
                found.append(Entity("order_id", m.group(group), start, end, confidence))
        for m in self._carrier.finditer(text):
            if free(m.start(), m.end()):
                found.append(Entity("carrier", self._canonical(m.group(0)), m.start(), m.end()))
        for entity in self._products_in(text, [(e.start, e.end) for e in found]):
            if free(entity.start, entity.end):
                found.append(entity)
        return sorted(found, key=lambda e: e.start)
