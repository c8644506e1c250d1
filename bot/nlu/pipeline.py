"""The NLU pipeline: model + entities + affect → Rasa parse results, for batches of texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.nlu.affect import build_affect
from bot.nlu.data import load_nlu_data
from bot.nlu.entities import EntityExtractor
from bot.nlu.model import NLUModel, RawPrediction
from bot.nlu.schemas import EntityOut, IntentScore, ParseResult
from bot.nlu.train_data import OUT_OF_SCOPE

RANKING_SIZE = 10


@dataclass(frozen=True)
class ModelInfo:
    """Versions reported by ``GET /version``."""

    model_version: str
    encoder: str
    trained_at: str
    data_fingerprint: str
    intents: list[str]
    oos_threshold: float


class NLUPipeline:
    """Parses texts; loading is explicit (nothing happens at import time)."""

    def __init__(self, model: NLUModel, extractor: EntityExtractor) -> None:
        """Combine a loaded model and an entity extractor."""
        self.model = model
        self.extractor = extractor
        self._oos = model.meta.intents.index(OUT_OF_SCOPE)

    @classmethod
    def load(cls, model_dir: Path, nlu_data_dir: Path, threads: int = 0) -> NLUPipeline:
        """Load the trained model and the entity lookups from nlu_data."""
        data = load_nlu_data(nlu_data_dir)
        extractor = EntityExtractor(
            data.lookups.get("product", []), data.lookups.get("carrier", []), data.synonyms
        )
        return cls(NLUModel(model_dir, threads=threads), extractor)

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

    def parse_batch(
        self, texts: Sequence[str], message_ids: Sequence[str | None] | None = None
    ) -> list[ParseResult]:
        """Parse non-empty texts in one model pass.

        Args:
            texts: the messages (already validated: non-empty, within the length limit).
            message_ids: optional ids echoed back in the results.

        Returns:
            One Rasa-format parse result per text.
        """
        ids = list(message_ids) if message_ids is not None else [None] * len(texts)
        today = date.today()
        results = []
        for text, message_id, raw in zip(texts, ids, self.model.predict(texts), strict=True):
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
            results.append(
                ParseResult(
                    text=text,
                    intent=intent,
                    intent_ranking=ranking,
                    entities=entities,
                    affect=affect,
                    message_id=message_id,
                    out_of_scope=oos,
                )
            )
        return results
