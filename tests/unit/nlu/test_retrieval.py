"""The catalogue index's grouping, filtering and caching, with a deterministic fake encoder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.nlu.retrieval import CatalogueIndex, catalogue_documents
from bot.shop.catalogue import parse_catalogue

CATALOGUE = parse_catalogue(
    """
currency: USD
products:
  - sku: A-1
    name: Rain Jacket
    category: apparel
    price: 10
    aliases: [raincoat]
    description: Fully waterproof seams. Packs into its own pocket.
  - sku: B-2
    name: Camp Stove
    category: outdoor
    price: 20
    description: Boils a litre of water in four minutes.
faq:
  - question: Do you ship internationally?
    answer: We ship to 30 countries.
"""
)
VOCABULARY = ["waterproof", "pocket", "stove", "water", "ship", "countries", "rain", "jacket"]


class BagOfWords:
    """Embeds a text as normalised counts of a tiny vocabulary (plus a constant)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            words = text.lower().replace(".", " ").replace("?", " ").split()
            row = np.array([words.count(w) for w in VOCABULARY] + [0.1], dtype=np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.stack(rows)


def test_documents_cover_names_sentences_and_faq() -> None:
    documents = catalogue_documents(CATALOGUE)
    texts = [d.text for d in documents]
    assert "Rain Jacket (raincoat)" in texts
    assert "Rain Jacket: Packs into its own pocket." in texts
    assert [d.kind for d in documents].count("faq") == 2
    answers = {d.answer for d in documents if d.id == "A-1"}
    assert "Fully waterproof seams." in answers


def test_search_groups_by_entry_and_answers_with_the_best_sentence() -> None:
    index = CatalogueIndex.build(CATALOGUE, BagOfWords())
    hits = index.search("does it fold into a pocket", limit=3)
    assert hits[0].id == "A-1" and hits[0].text == "Packs into its own pocket."
    assert len({(h.kind, h.id) for h in hits}) == len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_filters_kinds() -> None:
    index = CatalogueIndex.build(CATALOGUE, BagOfWords())
    hits = index.search("do you ship to other countries", limit=5, kinds=("faq",))
    assert [(h.kind, h.id) for h in hits] == [("faq", "Do you ship internationally?")]
    assert hits[0].text == "We ship to 30 countries."


def test_vectors_are_cached_per_encoder_fingerprint(tmp_path: Path) -> None:
    first = BagOfWords()
    CatalogueIndex.build(CATALOGUE, first, fingerprint="v1", cache_dir=tmp_path)
    again = BagOfWords()
    CatalogueIndex.build(CATALOGUE, again, fingerprint="v1", cache_dir=tmp_path)
    other = BagOfWords()
    CatalogueIndex.build(CATALOGUE, other, fingerprint="v2", cache_dir=tmp_path)
    assert (first.calls, again.calls, other.calls) == (1, 0, 1)
    assert len(list(tmp_path.glob("catalogue-index-*.npy"))) == 2
