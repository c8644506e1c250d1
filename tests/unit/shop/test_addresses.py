"""Validation of new shipping addresses."""

from __future__ import annotations

import pytest

from bot.shop.addresses import normalise_address
from bot.shop.domain import Address
from bot.shop.errors import InvalidAddress


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            Address(" 221B   Baker Street ", "London", "nw1 6xe", "gb"),
            Address("221B Baker Street", "London", "NW1 6XE", "GB"),
        ),
        (
            Address("1600 Amphitheatre Pkwy", "Mountain View", "94043-1351", "US"),
            Address("1600 Amphitheatre Pkwy", "Mountain View", "94043-1351", "US"),
        ),
        (
            Address("Lindenstraße 3", "München", "80331", "DE"),
            Address("Lindenstraße 3", "München", "80331", "DE"),
        ),
        (
            Address("Kerkstraat 1", "Den Haag", "2511 ab", "NL"),
            Address("Kerkstraat 1", "Den Haag", "2511 AB", "NL"),
        ),
        (
            Address("1 Main St", "Dublin", "D02 X285", "IE"),
            Address("1 Main St", "Dublin", "D02 X285", "IE"),
        ),
    ],
)
def test_valid_addresses_are_normalised(given: Address, expected: Address) -> None:
    assert normalise_address(given) == expected


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (Address("", "London", "SW1A 1AA", "GB"), "line1"),
        (Address("1 Main St", "   ", "SW1A 1AA", "GB"), "city"),
        (Address("1 Main St", "12345", "SW1A 1AA", "GB"), "city"),
        (Address("1 Main St", "London", "", "GB"), "postcode"),
        (Address("1 Main St", "London", "90210", "GB"), "postcode"),
        (Address("1 Main St", "Boston", "0211", "US"), "postcode"),
        (Address("1 Main St", "Zürich", "8001", "CH"), "country"),
        (Address("1 Main St", "London", "SW1A 1AA", "GBR"), "country"),
        (Address("x" * 201, "London", "SW1A 1AA", "GB"), "line1"),
        (Address("1 Main St\x00", "London", "SW1A 1AA", "GB"), "line1"),
    ],
)
def test_invalid_fields_are_named(address: Address, field: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_address(address)
    assert caught.value.field == field and caught.value.code == "invalid_address"
