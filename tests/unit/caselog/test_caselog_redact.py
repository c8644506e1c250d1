"""PII redaction: emails, cards (Luhn), phones, street addresses; order ids and amounts kept."""

from __future__ import annotations

import pytest

from bot.caselog.redact import luhn_valid, redact, redact_entities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my email is ann.lee+shop@example.co.uk thanks", "my email is [EMAIL] thanks"),
        ("ANN@EXAMPLE.COM", "[EMAIL]"),
        ("mail me: j_doe99@mail-box.org.", "mail me: [EMAIL]."),
        ("card 4111 1111 1111 1111 please", "card [CARD] please"),
        ("my card is 4111-1111-1111-1111", "my card is [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("5500005555555559 was charged twice", "[CARD] was charged twice"),
        ("call me on +44 20 7946 0958", "call me on [PHONE]"),
        ("my number is 0612345678", "my number is [PHONE]"),
        ("phone: (555) 123-4567", "phone: [PHONE]"),
        ("call 555-123-4567 now", "call [PHONE] now"),
        ("+1 415 555 2671", "[PHONE]"),
        ("reach me at 020 7946 0958 after 5", "reach me at [PHONE] after 5"),
        ("ship to 221B Baker Street, London", "ship to [ADDRESS], London"),
        ("I live at 12 Main St. Apt 4", "I live at [ADDRESS]"),
        ("send it to 1600 Pennsylvania Avenue", "send it to [ADDRESS]"),
        ("new address: 42 wallaby way, sydney", "new address: [ADDRESS], sydney"),
        ("Hauptstraße 5, Berlin", "[ADDRESS], Berlin"),
        ("order 1042 to 12 Baker Street", "order 1042 to [ADDRESS]"),
    ],
)
def test_pii_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "where is order #1042?",
        "order 100234 not here",
        "order #10423456789",
        "order number 1234567890",
        "ORDER 1042 WHERE IS IT",
        "I paid 49.99 USD on 2024-05-01",
        "refund $1,299.00 please",
        "it costs 1,234,567.89",
        "3 items for 1200 dollars",
        "I waited 3 days on the road",
        "2 items in the way",
        "sent 2 weeks ago, 10 days late",
        "tracking 1Z999AA10123456784",
        "card 4111-1111-1111-1112 is not a valid number",
        "delivered on 12/05/2024",
        "I ordered 5 pairs of shoes",
        "the 3rd time I ask!!!",
        "invoice 2024-000123",
        "",
        "😡😡😡",
    ],
)
def test_non_pii_survives(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_entity_values_of_pii_types_are_redacted() -> None:
    entities = [
        {"entity": "email", "value": "ann@example.com", "start": 0, "end": 15},
        {"entity": "phone", "value": "+44 20 7946 0958"},
        {"entity": "order_id", "value": "1042"},
        {"entity": "amount", "value": "49.99 USD"},
    ]
    assert [e["value"] for e in redact_entities(entities) or []] == [
        "[EMAIL]",
        "[PHONE]",
        "1042",
        "49.99 USD",
    ]
