"""The NLU pipeline: model + entities + affect → Rasa parse results, for batches of texts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.nlu.affect import build_affect
from bot.nlu.data import load_nlu_data
from bot.nlu.entities import EntityExtractor
from bot.nlu.model import Backend, NLUModel, RawPrediction
from bot.nlu.schemas import Affect, EntityOut, IntentScore, ParseResult
from bot.nlu.train_data import OUT_OF_SCOPE

RANKING_SIZE = 10
_SHORTCUT = re.compile(r"^/(?P<intent>[A-Za-z0-9_]+)(?P<entities>\{.*\})?$", re.DOTALL)
#: A message that is nothing but an order number ("1042", "#1042", "order no. 1042").
_ORDER_NUMBER_ONLY = re.compile(
    r"^\s*(?:(?:my\s+)?order\s*(?:number|no\.?|nr\.?|id)?\s*(?:is\s*)?:?\s*)?#?\s*"
    r"(?P<number>\d+)\s*[.!?]*\s*$",
    re.IGNORECASE,
)
ORDER_NUMBER_INTENT = "track_order"
_NEUTRAL = Affect(
    anger=0.0, sentiment=0.0, label="calm", emotions={}, cues=[], model_anger=0.0, intensity=0.0
)


@dataclass(frozen=True)
class ModelInfo:
    """Versions reported by ``GET /version``."""

    model_version: str
    encoder: str
    trained_at: str
    data_fingerprint: str
    intents: list[str]
    oos_threshold: float
    memory_weight: float
    gloss_weight: float
    glossary_languages: list[str]


class NLUPipeline:
    """Parses texts; loading is explicit (nothing happens at import time)."""

    def __init__(self, model: NLUModel, extractor: EntityExtractor) -> None:
        """Combine a loaded model and an entity extractor."""
        self.model = model
        self.extractor = extractor
        self._oos = model.meta.intents.index(OUT_OF_SCOPE)

    @classmethod
    def load(
        cls,
        model_dir: Path,
        nlu_data_dir: Path,
        threads: int = 0,
        quantize: bool = False,
        backend: Backend = "onnx",
    ) -> NLUPipeline:
        """Load the trained model and the entity lookups from nlu_data."""
        data = load_nlu_data(nlu_data_dir)
        extractor = EntityExtractor(
            data.lookups.get("product", []), data.lookups.get("carrier", []), data.synonyms
        )
        return cls(
            NLUModel(model_dir, threads=threads, quantize=quantize, backend=backend), extractor
        )

    @property
    def info(self) -> ModelInfo:
        """Model versions and calibration."""
        meta = self.model.meta
        return ModelInfo(
            meta.version,
            meta.encoder,
            meta.trained_at,
            meta.data_fingerprint,
            meta.intents,
            meta.oos_threshold,
            meta.memory_weight,
            meta.gloss_weight,
            sorted(self.model.glossary.languages) if self.model.glossary else [],
        )

    def _intents(self, raw: RawPrediction) -> tuple[IntentScore, list[IntentScore], bool]:
        names = self.model.meta.intents
        order = raw.intent_probs.argsort()[::-1]
        ranking = [
            IntentScore(name=names[i], confidence=round(float(raw.intent_probs[i]), 4))
            for i in order[:RANKING_SIZE]
        ]
        top = ranking[0]
        rejected = top.name != OUT_OF_SCOPE and top.confidence < self.model.meta.oos_threshold
        if rejected:
            oos_score = max(1.0 - top.confidence, float(raw.intent_probs[self._oos]))
            return IntentScore(name=OUT_OF_SCOPE, confidence=round(oos_score, 4)), ranking, True
        return top, ranking, top.name == OUT_OF_SCOPE

    def shortcut(self, text: str) -> ParseResult | None:
        """Parse Rasa's ``/intent{"entity": "value"}`` shortcut (buttons, tests) exactly.

        Rasa bypasses its own shortcut handler when an external NLU is configured, so the NLU
        must understand it: confidence 1.0, entities from the JSON, neutral affect.
        """
        match = _SHORTCUT.match(text)
        if match is None or match.group("intent") not in self.model.meta.intents:
            return None
        try:
            values = json.loads(match.group("entities") or "{}")
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        start = match.start("entities") if match.group("entities") else len(text)
        entities = [
            EntityOut(
                entity=str(name),
                value=value,
                start=start,
                end=len(text),
                confidence_entity=1.0,
                extractor="RegexMessageHandler",
            )
            for name, value in values.items()
        ]
        intent = IntentScore(name=match.group("intent"), confidence=1.0)
        return ParseResult(
            text=text, intent=intent, intent_ranking=[intent], entities=entities, affect=_NEUTRAL
        )

    def parse_batch(self, texts: Sequence[str]) -> list[ParseResult]:
        """Parse non-empty texts in one model pass.

        Args:
            texts: the messages (already validated: non-empty, within the length limit).

        Returns:
            One Rasa-format parse result per text.
        """
        shortcuts: dict[int, ParseResult] = {}
        for i, text in enumerate(texts):
            found = self.shortcut(text) if text.startswith("/") else None
            if found is not None:
                shortcuts[i] = found
        natural = [t for i, t in enumerate(texts) if i not in shortcuts]
        parsed = iter(self._parse_natural(natural))
        return [shortcuts[i] if i in shortcuts else next(parsed) for i in range(len(texts))]

    def _parse_natural(self, texts: Sequence[str]) -> list[ParseResult]:
        today = date.today()
        results: list[ParseResult] = []
        for text, raw in zip(texts, self.model.predict(texts), strict=True):
            intent, ranking, oos = self._intents(raw)
            affect = build_affect(
                text,
                raw.anger,
                raw.intensity,
                raw.emotions,
                self.model.meta.emotions,
                raw.sentiment,
            )
            entities = [EntityOut(**e.as_rasa()) for e in self.extractor.extract(text, today=today)]
            known = ORDER_NUMBER_INTENT in self.model.meta.intents
            if known and _is_order_number_only(text, entities):
                intent, ranking, oos = _order_number_intent(ranking)
            results.append(
                ParseResult(
                    text=text,
                    intent=intent,
                    intent_ranking=ranking,
                    entities=entities,
                    affect=affect,
                    out_of_scope=oos,
                )
            )
        return results


def _is_order_number_only(text: str, entities: Sequence[EntityOut]) -> bool:
    match = _ORDER_NUMBER_ONLY.match(text)
    return match is not None and any(
        e.entity == "order_id" and str(e.value).lstrip("#") == match.group("number")
        for e in entities
    )


def _order_number_intent(
    ranking: list[IntentScore],
) -> tuple[IntentScore, list[IntentScore], bool]:
    """A bare order number is a tracking request (a rule, hence confidence 1.0).

    The sentence model sees no words in "1042" and guesses (often ``account_help``); in a form
    the number answers the form's question whatever the intent, and on its own the customer
    almost always wants to know where that order is.
    """
    intent = IntentScore(name=ORDER_NUMBER_INTENT, confidence=1.0)
    rest = [score for score in ranking if score.name != ORDER_NUMBER_INTENT]
    return intent, [intent, *rest[: RANKING_SIZE - 1]], False
