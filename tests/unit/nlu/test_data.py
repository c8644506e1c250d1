from pathlib import Path

import pytest

from bot.nlu.data import load_nlu_data, parse_annotated
from bot.nlu.errors import TrainingDataError
from bot.nlu.splits import bucket
from bot.settings import PROJECT_ROOT

REQUIRED_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
    "track_order",
    "delivery_time",
    "delivery_options",
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "return_item",
    "request_refund",
    "track_refund",
    "refund_policy",
    "payment_issue",
    "payment_methods",
    "invoice",
    "complaint",
    "request_human",
    "account_help",
    "product_question",
    "place_order",
    "feedback",
}


def test_parse_annotated_plain_and_json_forms() -> None:
    example = parse_annotated(
        'where is #[1042](order_id) sent by [fed ex]{"entity": "carrier", "value": "FedEx"}',
        "track_order",
    )
    assert example.text == "where is #1042 sent by fed ex"
    first, second = example.entities
    assert example.text[first.start : first.end] == "1042" and first.entity == "order_id"
    assert example.text[second.start : second.end] == "fed ex" and second.value == "FedEx"


def test_project_data_covers_every_intent_with_40_examples() -> None:
    data = load_nlu_data(PROJECT_ROOT / "nlu_data")
    counts: dict[str, int] = {}
    for e in data.examples:
        counts[e.intent] = counts.get(e.intent, 0) + 1
    assert set(counts) >= REQUIRED_INTENTS
    assert min(counts[i] for i in REQUIRED_INTENTS) >= 40
    texts = [e.text.lower() for e in data.examples]
    assert len(texts) == len(set(texts)), "duplicate examples"
    for e in data.examples:
        for span in e.entities:
            assert 0 <= span.start < span.end <= len(e.text)


def test_affect_data_has_every_level() -> None:
    data = load_nlu_data(PROJECT_ROOT / "nlu_data")
    labels = {a.label for a in data.affect}
    assert labels == {"calm", "annoyed", "angry", "furious"}
    assert len(data.affect) >= 400


def test_bad_affect_label_names_the_entry(tmp_path: Path) -> None:
    (tmp_path / "intents.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
    )
    (tmp_path / "affect").mkdir()
    (tmp_path / "affect" / "a.yml").write_text(
        'version: "1"\naffect:\n- label: livid\n  sentiment: negative\n  examples: |\n    - x\n'
    )
    with pytest.raises(TrainingDataError, match=r"affect\[0\]\.label"):
        load_nlu_data(tmp_path)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="not found"):
        load_nlu_data(tmp_path / "nope")


def test_buckets_are_stable_and_roughly_proportional() -> None:
    texts = [f"message number {i}" for i in range(5000)]
    shares = {
        b: sum(bucket(t) == b for t in texts) / len(texts) for b in ("train", "calib", "test")
    }
    assert abs(shares["test"] - 0.2) < 0.03 and abs(shares["calib"] - 0.1) < 0.03
    assert bucket("Where is my order") == bucket("  where is my order ")
