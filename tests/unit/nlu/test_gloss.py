"""Glosses of non-English messages: folding, phrases, the language choice, mixing, fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.data import load_nlu_data
from bot.nlu.errors import TrainingDataError
from bot.nlu.gloss import Glossary, fit_gloss_weight, fold, glossed_rows, mix_glossed, words
from bot.settings import PROJECT_ROOT

GLOSSARY = Glossary.from_entries(
    {
        "nl": {
            "ik": "i",
            "wil": "want",
            "mijn": "my",
            "bestelling": "order",
            "annuleren": "cancel",
            "tot ziens": "goodbye",
            "is": "is",  # a word into itself: dropped
        },
        "de": {"wo ist": "where is", "mein": "my", "Rückerstattung": "refund", "paket": "parcel"},
        "es": {"a": "to", "mi": "my", "pedido": "order"},
    }
)


def test_fold_drops_case_accents_and_eszett() -> None:
    assert fold("Rückerstattung GROẞ Café") == "ruckerstattung gross cafe"
    assert words("J'ai reçu le colis ?!") == ["j", "ai", "recu", "le", "colis"]


def test_a_foreign_message_becomes_english_words() -> None:
    assert GLOSSARY.gloss("Ik wil mijn bestelling annuleren!") == "i want my order cancel"
    assert GLOSSARY.gloss("wo ist mein Paket") == "where is my parcel"
    assert GLOSSARY.gloss("wo ist meine rückerstattung??") == "where is meine refund"


def test_phrases_win_over_words_and_identity_entries_are_dropped() -> None:
    assert GLOSSARY.gloss("tot ziens") == "goodbye"
    assert ("is",) not in GLOSSARY.languages["nl"]


def test_english_messages_and_mixed_ones_below_the_share_stay_unglossed() -> None:
    assert GLOSSARY.gloss("where is my order") is None
    assert GLOSSARY.gloss("i need a refund for a jacket please") is None  # 2 of 8 words
    assert GLOSSARY.gloss("🙂🙂") is None and GLOSSARY.gloss("") is None


def test_one_language_glosses_a_message() -> None:
    # "mein" is German, "pedido" Spanish: neither language alone translates 40 % of 5 words.
    assert GLOSSARY.gloss("mein pedido is very late") is None


def test_rows_mixing_and_the_fitted_weight() -> None:
    texts = ["where is my order", "ik wil mijn bestelling annuleren", "mi pedido"]
    glosses, owners = glossed_rows(GLOSSARY, texts)
    assert glosses == ["i want my order cancel", "my order"] and owners == [1, 2]
    assert glossed_rows(None, texts) == ([], [])
    probs = np.array(
        [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1], [0.45, 0.55]]  # 3 messages, 2 glosses
    )
    mixed = mix_glossed(probs, owners, 0.5)
    assert mixed.shape == (3, 2)
    assert np.allclose(mixed, [[0.9, 0.1], [0.6, 0.4], [0.525, 0.475]])
    assert np.allclose(mix_glossed(probs, owners, 0.0), probs[:3])
    labels = np.array([0, 0, 0])  # gloss 1 is right where message 1 is wrong; gloss 2 is wrong
    weight = fit_gloss_weight(probs, owners, labels)
    assert weight == 0.4  # the smallest weight that fixes message 1 without breaking message 2
    assert np.argmax(mix_glossed(probs, owners, weight), axis=1).tolist() == [0, 0, 0]
    assert fit_gloss_weight(probs[:3], [], labels) == 0.0


def test_project_glossaries_load_and_translate_training_messages() -> None:
    data = load_nlu_data(PROJECT_ROOT / "nlu_data")
    glossary = Glossary.from_entries(data.glossary)
    assert {"de", "nl", "fr", "es", "pt", "it"} <= set(glossary.languages)
    assert all(len(table) >= 300 for table in glossary.languages.values())
    foreign = [
        e.text
        for e in data.examples
        if e.text.lower().startswith(("ik wil", "je veux", "quiero", "ich möchte", "vorrei"))
    ]
    assert len(foreign) >= 10
    glossed = [glossary.gloss(t) for t in foreign]
    assert sum(g is not None for g in glossed) >= 0.9 * len(foreign)


def test_a_malformed_glossary_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "intents.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
    )
    (tmp_path / "gloss").mkdir()
    (tmp_path / "gloss" / "es.yml").write_text("language: es\ngloss:\n  no: 'no'\n")
    with pytest.raises(TrainingDataError, match=r"es\.yml: 'gloss' must map phrases"):
        load_nlu_data(tmp_path)
    (tmp_path / "gloss" / "es.yml").write_text("gloss:\n  hola: hello\n")
    with pytest.raises(TrainingDataError, match="'language' must be a language code"):
        load_nlu_data(tmp_path)
    (tmp_path / "gloss" / "es.yml").write_text("language: es\ngloss:\n  hola: hello\n")
    assert load_nlu_data(tmp_path).glossary == {"es": {"hola": "hello"}}
