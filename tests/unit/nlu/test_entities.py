from datetime import date

import pytest

from bot.nlu.entities import EntityExtractor, resolve_date

TODAY = date(2026, 11, 22)  # a Sunday


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(
        products=["Trailblazer Running Shoes", "running shoes", "water bottle", "Water Bottle"],
        carriers=["FedEx", "fed ex", "DHL", "Royal Mail"],
        synonyms={
            "running shoes": "Trailblazer Running Shoes",
            "fed ex": "FedEx",
            "water bottle": "AquaFlow Water Bottle",
        },
    )


def by_type(extractor: EntityExtractor, text: str) -> dict[str, tuple[object, str]]:
    return {e.entity: (e.value, text[e.start : e.end]) for e in extractor.extract(text, TODAY)}


def test_spans_and_values(extractor: EntityExtractor) -> None:
    text = (
        "order #1042 shipped with fed ex yesterday, I paid $49.99, "
        "mail a.b@example.com or call +44 7700 900123"
    )
    found = by_type(extractor, text)
    assert found["order_id"] == ("1042", "1042")
    assert found["carrier"] == ("FedEx", "fed ex")
    assert found["date"] == ("2026-11-21", "yesterday")
    assert found["amount"] == ("49.99 USD", "$49.99")
    assert found["email"] == ("a.b@example.com", "a.b@example.com")
    assert found["phone"][1] == "+44 7700 900123"


def test_phone_digits_are_not_order_ids(extractor: EntityExtractor) -> None:
    found = extractor.extract("call me on 07911 123456 please", TODAY)
    assert [e.entity for e in found] == ["phone"]


def test_amount_words_and_currencies(extractor: EntityExtractor) -> None:
    assert by_type(extractor, "refund 25 euros")["amount"][0] == "25.00 EUR"
    assert by_type(extractor, "it cost £12")["amount"][0] == "12.00 GBP"


def test_product_exact_plural_and_fuzzy(extractor: EntityExtractor) -> None:
    assert by_type(extractor, "my running shoes are torn")["product"][0] == (
        "Trailblazer Running Shoes"
    )
    assert by_type(extractor, "two water bottles")["product"][0] == "AquaFlow Water Bottle"
    fuzzy = [e for e in extractor.extract("the runing shoes hurt", TODAY) if e.entity == "product"]
    assert fuzzy and fuzzy[0].value == "Trailblazer Running Shoes" and fuzzy[0].confidence < 1


def test_no_entities_in_plain_text(extractor: EntityExtractor) -> None:
    assert extractor.extract("hello there, how are you", TODAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-22"),
        ("two weeks ago", "2026-11-08"),
        ("last Monday", "2026-11-16"),
        ("2026-10-01", "2026-10-01"),
        ("March 3rd", "2026-03-03"),
        ("the weekend", "the weekend"),
    ],
)
def test_resolve_date(text: str, expected: str) -> None:
    assert resolve_date(text, TODAY) == expected


def test_rasa_format(extractor: EntityExtractor) -> None:
    entity = extractor.extract("order 1042", TODAY)[0].as_rasa()
    assert set(entity) == {"entity", "value", "start", "end", "confidence_entity", "extractor"}


def test_fuzzy_products_answer_what_extract_one_over_every_product_answers() -> None:
    import random

    from rapidfuzz import fuzz, process

    from bot.nlu.data import load_nlu_data
    from bot.settings import PROJECT_ROOT

    data = load_nlu_data(PROJECT_ROOT / "nlu_data")
    products = data.lookups["product"]
    extractor = EntityExtractor(products, data.lookups.get("carrier", []), data.synonyms)
    everything = sorted({p.lower() for p in products}, key=len, reverse=True)
    rng = random.Random(3)
    queries = []
    for name in everything:
        typo = list(name)
        typo[rng.randrange(len(typo))] = rng.choice("aeiouxz")
        queries += [name, "".join(typo), name[1:], name + "s", f"my {name}"[:20]]
    queries += ["where is my order", "bluetooth speakr", "runing shoes", "a", "zzzzzzzz"]
    expected = []
    for query in queries:
        hit = process.extractOne(query, everything, scorer=fuzz.ratio, score_cutoff=88)
        expected.append(None if hit is None else (hit[0], hit[1]))
    got = [
        h for i in range(0, len(queries), 7) for h in extractor.fuzzy_products(queries[i : i + 7])
    ]
    assert got == expected
    assert sum(hit is not None for hit in got) > len(everything)  # typos do match
