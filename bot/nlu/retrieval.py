"""Semantic search over the shop's catalogue and FAQ, for product questions.

Every product becomes several documents (its name with aliases, then one per sentence of its
description, prefixed with the name) and every FAQ entry two (the question alone, and question
plus answer). Documents and queries are embedded with the *original* all-MiniLM-L6-v2 (mean
pooling, L2-normalised) and ranked by cosine similarity; results are grouped per product / FAQ
entry, keeping the best-matching sentence as the answer text.

The NLU's own encoder is not used here: its intent adapters shift the embedding space, which
cost 15 points of top-1 accuracy on our retrieval check (0.80 vs 0.95). The retrieval copy is
int8-quantized (same top-1, about 30 MB and ~6 ms per query on one thread).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bot.shop.catalogue import Catalogue

DocumentKind = Literal["product", "faq"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_QUERY_TOKENS = 64
MAX_DOCUMENT_TOKENS = 128


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
    """all-MiniLM-L6-v2 as a sentence encoder (mean pooling); thread-safe."""

    def __init__(self, *, quantize: bool = True) -> None:
        """Load the bundled weights (offline), optionally int8-quantized."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        from bot.nlu.encoder import model_path
        from bot.nlu.model import _quantized

        self._torch = torch
        self.tokenizer: Any = AutoTokenizer.from_pretrained(
            str(model_path()), local_files_only=True
        )
        model = AutoModel.from_pretrained(str(model_path()), local_files_only=True).eval()
        self.model: Any = _quantized(model) if quantize else model
        self.fingerprint = f"all-MiniLM-L6-v2:{'int8' if quantize else 'fp32'}"
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], max_tokens: int, batch_size: int = 64) -> np.ndarray:
        """Return L2-normalised embeddings, ``[len(texts), 384]`` float32."""
        torch = self._torch
        chunks: list[np.ndarray] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(
                    list(texts[start : start + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=max_tokens,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                chunks.append(torch.nn.functional.normalize(mean, p=2, dim=1).numpy())
        return np.concatenate(chunks).astype(np.float32, copy=False)


Encode = Callable[[Sequence[str], int], np.ndarray]


class CatalogueIndex:
    """The embedded documents, searchable by meaning."""

    def __init__(self, documents: Sequence[Document], vectors: np.ndarray, encode: Encode) -> None:
        """Wrap documents and their embeddings; ``encode(texts, max_tokens)`` embeds queries."""
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
        vectors = encode([document.text for document in documents], MAX_DOCUMENT_TOKENS)
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
        scores = self.vectors @ self._encode([query], MAX_QUERY_TOKENS)[0]
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
