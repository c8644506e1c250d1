"""Wire payloads of the NLU service (Rasa's NLU HTTP protocol plus our ``affect``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ParseRequest(BaseModel):
    """Rasa's request to an NLU server: ``{"text", "message_id", "token"}``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    text: str
    message_id: str | None = None
    token: str | None = None


class IntentScore(BaseModel):
    """An intent with its calibrated confidence."""

    name: str
    confidence: float


class EntityOut(BaseModel):
    """An entity in Rasa's format."""

    entity: str
    value: Any
    start: int
    end: int
    confidence_entity: float
    extractor: str


class Affect(BaseModel):
    """How the customer feels: anger 0..1, sentiment -1..1, a label, top emotions and cues."""

    anger: float = Field(ge=0.0, le=1.0)
    sentiment: float = Field(ge=-1.0, le=1.0)
    label: Literal["calm", "annoyed", "angry", "furious"]
    emotions: dict[str, float]
    cues: list[str]
    model_anger: float
    intensity: float


class ParseResult(BaseModel):
    """Rasa's parse format (text, intent, intent_ranking, entities) plus ``affect``.

    Rasa copies every key of this answer into the user event's ``parse_data``, so it must never
    carry ``message_id`` or ``metadata`` (they would overwrite Rasa's own).
    """

    text: str
    intent: IntentScore
    intent_ranking: list[IntentScore]
    entities: list[EntityOut]
    affect: Affect
    out_of_scope: bool = False


class ErrorBody(BaseModel):
    """Every 4xx answer: a stable error code and a human-readable reason."""

    error: str
    reason: str


SearchKind = Literal["product", "faq"]
SEARCH_KINDS: tuple[SearchKind, ...] = ("product", "faq")


class SearchRequest(BaseModel):
    """``POST /catalogue/search``: a customer's question about products or shop policies."""

    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(min_length=1, max_length=1000)
    limit: int = Field(3, ge=1, le=10)
    kinds: list[SearchKind] = Field(default_factory=lambda: list(SEARCH_KINDS), min_length=1)
    token: str | None = None


class SearchResultOut(BaseModel):
    """One matching product or FAQ entry; ``text`` is the passage that answers best."""

    kind: SearchKind
    id: str
    title: str
    text: str
    score: float


class SearchResponse(BaseModel):
    """The best matches for a query, best first."""

    query: str
    results: list[SearchResultOut]
