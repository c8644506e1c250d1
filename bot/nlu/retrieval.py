"""Semantic search over the shop's catalogue and FAQ, for product questions.

Every product becomes several documents (its name with aliases, then one per sentence of its
description, prefixed with the name) and every FAQ entry two (the question alone, and question
plus answer). Documents and queries are embedded with the *original* all-MiniLM-L6-v2 (mean
pooling, L2-normalised; exported to ONNX by :mod:`bot.nlu.onnx_export`) and ranked by cosine
similarity; results are grouped per product / FAQ
entry, keeping the best-matching sentence as the answer text.

The NLU's own encoder is not used here: its intent adapters shift the embedding space, which
cost 15 points of top-1 accuracy on our retrieval check (0.80 vs 0.95). The retrieval copy is
int8-quantized (same top-1, about 30 MB and ~6 ms per query on one thread).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bot.shop.catalogue import Catalogue

DocumentKind = Literal["product", "faq"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_TOKENS = 128


@dataclass(frozen=True, slots=True)
class Document:
    """One searchable passage.

    Attributes:
        kind: ``product`` or ``faq``.
        id: The product SKU, or the FAQ question.
        title: The product name, or the FAQ question.
        text: The passage that is embedded.
        answer: What to show when this passage matches best.
    """

    kind: DocumentKind
    id: str
    title: str
    text: str
    answer: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One product or FAQ entry that matches a query."""

    kind: DocumentKind
    id: str
    title: str
    text: str
    score: float


def catalogue_documents(catalogue: Catalogue) -> list[Document]:
    """Split the catalogue into the passages the index embeds."""
    documents: list[Document] = []
    for product in catalogue.products:
        description = " ".join(product.description.split())
        names = ", ".join(product.aliases)
        heading = f"{product.name} ({names})" if names else product.name
        documents.append(Document("product", product.sku, product.name, heading, description))
        for sentence in _SENTENCE_END.split(description):
            if sentence:
                text = f"{product.name}: {sentence}"
                documents.append(Document("product", product.sku, product.name, text, sentence))
    for entry in catalogue.faq:
        answer = " ".join(entry.answer.split())
        documents.append(Document("faq", entry.question, entry.question, entry.question, answer))
        documents.append(
            Document("faq", entry.question, entry.question, f"{entry.question} {answer}", answer)
        )
    return documents


class RetrievalEncoder:
    """all-MiniLM-L6-v2 as a sentence encoder (mean pooling, normalised) on ONNX Runtime."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        """Open the int8 retrieval graph exported next to the NLU model in ``model_dir``."""
        from bot.nlu.onnx_export import RETRIEVAL_GRAPH, ensure_exported
        from bot.nlu.onnx_runtime import OnnxGraph

        path = ensure_exported(model_dir) / RETRIEVAL_GRAPH
        self._graph = OnnxGraph(path, MAX_TOKENS, threads)
        self.fingerprint = f"all-MiniLM-L6-v2:onnx-int8:{MAX_TOKENS}"

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return L2-normalised embeddings, ``[len(texts), 384]`` float32."""
        chunks = [
            self._graph.run(texts[start : start + batch_size])["embedding"]
            for start in range(0, len(texts), batch_size)
        ]
        return np.concatenate(chunks).astype(np.float32, copy=False)


Encode = Callable[[Sequence[str]], np.ndarray]


class CatalogueIndex:
    """The embedded documents, searchable by meaning."""

    def __init__(self, documents: Sequence[Document], vectors: np.ndarray, encode: Encode) -> None:
        """Wrap documents and their embeddings; ``encode(texts)`` embeds queries."""
        if len(documents) != len(vectors):
            raise ValueError("one vector per document is required")
        self.documents = list(documents)
        self.vectors = vectors
        self._encode = encode

    @classmethod
    def build(
        cls,
        catalogue: Catalogue,
        encode: Encode,
        *,
        fingerprint: str = "",
        cache_dir: Path | None = None,
    ) -> CatalogueIndex:
        """Embed the catalogue, reusing cached vectors when the documents are unchanged.

        Args:
            catalogue: The shop's products and FAQ.
            encode: Embeds a list of texts (normalised vectors).
            fingerprint: Identifies the encoder, so a different one never reuses the cache.
            cache_dir: Where to keep ``catalogue-index-<hash>.npy``; ``None`` disables caching.
        """
        documents = catalogue_documents(catalogue)
        digest = hashlib.sha256(fingerprint.encode())
        for document in documents:
            digest.update(document.text.encode())
        cache = cache_dir / f"catalogue-index-{digest.hexdigest()[:16]}.npy" if cache_dir else None
        if cache is not None and cache.exists():
            vectors = np.load(cache)
            if vectors.shape[0] == len(documents):
                return cls(documents, vectors, encode)
        vectors = encode([document.text for document in documents])
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(".tmp.npy")
            np.save(temporary, vectors)
            temporary.replace(cache)
        return cls(documents, vectors, encode)

    def search(
        self, query: str, *, limit: int = 3, kinds: Sequence[DocumentKind] = ("product", "faq")
    ) -> list[SearchHit]:
        """Return the best products / FAQ entries for ``query``, best first (one per id)."""
        scores = self.vectors @ self._encode([query])[0]
        hits: list[SearchHit] = []
        seen: set[tuple[str, str]] = set()
        for position in np.argsort(-scores):
            document = self.documents[int(position)]
            key = (document.kind, document.id)
            if document.kind not in kinds or key in seen:
                continue
            seen.add(key)
            score = round(float(scores[position]), 4)
            hits.append(
                SearchHit(document.kind, document.id, document.title, document.answer, score)
            )
            if len(hits) == limit:
                break
        return hits
