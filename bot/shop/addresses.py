"""Shipping addresses: the countries the demo shop ships to and how their fields are checked."""

from __future__ import annotations

import re

from bot.shop.domain import Address
from bot.shop.errors import InvalidAddress

MAX_LINE_CHARS = 200
MAX_CITY_CHARS = 100

POSTCODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "DE": re.compile(r"^\d{5}$"),
    "FR": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^\d{4} ?[A-Z]{2}$"),
    "IE": re.compile(r"^[A-Z]\d[\dW] ?[A-Z\d]{4}$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"),
    "AU": re.compile(r"^\d{4}$"),
}

SHIPPING_COUNTRIES = frozenset(POSTCODE_PATTERNS)
_CITY_PATTERN = re.compile(r"^[^\W\d_][\w .'\-]*$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _clean(field: str, raw: str, max_chars: int) -> str:
    if _CONTROL_CHARACTERS.search(raw):
        raise InvalidAddress(field, "contains control characters")
    value = " ".join(raw.split())
    if not value:
        raise InvalidAddress(field, "is required")
    if len(value) > max_chars:
        raise InvalidAddress(field, f"is longer than {max_chars} characters")
    return value


def normalise_address(address: Address) -> Address:
    """Validate ``address`` and return it tidied (spaces collapsed, country and postcode upper).

    Args:
        address: The address as the customer gave it.

    Returns:
        The normalised address.

    Raises:
        InvalidAddress: A field is missing, too long, or malformed for the country; or the shop
            does not ship to the country.
    """
    country = _clean("country", address.country, 2).upper()
    if country not in SHIPPING_COUNTRIES:
        raise InvalidAddress("country", f"we do not ship to {country!r}")
    line1 = _clean("line1", address.line1, MAX_LINE_CHARS)
    city = _clean("city", address.city, MAX_CITY_CHARS)
    if not _CITY_PATTERN.match(city):
        raise InvalidAddress("city", "is not a city name")
    postcode = _clean("postcode", address.postcode, 10).upper()
    if not POSTCODE_PATTERNS[country].match(postcode):
        raise InvalidAddress("postcode", f"is not a valid postcode for {country}")
    return Address(line1=line1, city=city, postcode=postcode, country=country)
