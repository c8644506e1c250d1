"""Reading form answers: order numbers, emails, stop phrases, addresses, item changes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from actions.parsing import (
    AddressProblem,
    parse_address,
    parse_item_change,
    parse_order_id,
    wants_to_stop,
)
from bot.shop.domain import Address, OrderInfo, OrderLine, OrderStatus, ProductInfo


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1042", 1042), ("#1042", 1042), ("order 2200", 2200), (1042.0, 1042), ("12", None),
     ("abc", None), (None, None), (True, None), ("10421042", None)],
)  # fmt: skip
def test_parse_order_id(value: object, expected: int | None) -> None:
    assert parse_order_id(value) == expected


@pytest.mark.parametrize(
    "text", ["never mind", "Stop", "forget it", "nevermind, thanks", "cancel that"]
)
def test_stop_phrases(text: str) -> None:
    assert wants_to_stop(text)


@pytest.mark.parametrize("text", ["1042", "cancel my order", "the blue one", "it stopped"])
def test_not_stop_phrases(text: str) -> None:
    assert not wants_to_stop(text)


def test_addresses_in_the_usual_shapes() -> None:
    assert parse_address("12 High Street, Leeds, LS1 4AP, UK") == Address(
        "12 High Street", "Leeds", "LS1 4AP", "GB"
    )
    assert parse_address("5 Main St, Springfield 62704, USA") == Address(
        "5 Main St", "Springfield", "62704", "US"
    )
    with pytest.raises(AddressProblem, match="country"):
        parse_address("5 Main St, Springfield, 62704, Narnia")
    with pytest.raises(AddressProblem, match="postcode"):
        parse_address("5 Main St, Springfield, ABCDE, US")
    with pytest.raises(AddressProblem, match="street"):
        parse_address("Springfield")


def _order() -> OrderInfo:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    lines = (
        OrderLine("APP-005", "Everyday Organic Cotton Tee", "apparel", 2, Decimal("19.50")),
        OrderLine("APP-004", "Stormshell Rain Jacket", "apparel", 1, Decimal("119.00")),
    )
    return OrderInfo(
        1042, 7, OrderStatus.PAID, now, now, "USD", Decimal("158.00"),
        Address("1 A St", "Leeds", "LS1 4AP", "GB"), lines, None,
    )  # fmt: skip


def _catalogue(name: str) -> ProductInfo | None:
    if name == "Highland Merino Crew Sweater":
        return ProductInfo("APP-002", name, "apparel", Decimal("84.00"), "", 5)
    return None


@pytest.mark.parametrize(
    ("text", "product", "expected"),
    [
        ("remove the rain jacket", None, ("APP-004", 0)),
        ("add one more tee", None, ("APP-005", 3)),
        ("make it 4 tees please", None, ("APP-005", 4)),
        ("add 2 merino sweaters", "Highland Merino Crew Sweater", ("APP-002", 2)),
        ("change something", None, None),
        ("the tee", None, None),  # no quantity and no verb: unclear
    ],
)
def test_item_changes(text: str, product: str | None, expected: tuple[str, int] | None) -> None:
    change = parse_item_change(text, _order(), product, _catalogue)
    assert (None if change is None else (change.sku, change.quantity)) == expected
