"""Reading what customers type into form answers: order numbers, emails, addresses, items."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.shop.addresses import POSTCODE_PATTERNS
from bot.shop.domain import Address, OrderInfo, OrderLine, ProductInfo

_ORDER_ID = re.compile(r"^\s*(?:order\s*)?(?:no\.?|number|#)?\s*(\d{4,7})\s*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_STOP = re.compile(
    r"\b(stop|never\s*mind|nevermind|forget (it|about it)|cancel (that|this)|leave it|"
    r"quit|exit|don'?t bother|not now|abort)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER_WORDS = {
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_REMOVE = re.compile(
    r"\b(remove|delete|drop|take (out|off)|without|no longer want|don'?t want)\b", re.I
)
_ADD = re.compile(r"\b(add|another|extra|plus|more)\b", re.IGNORECASE)
_QUANTITY = re.compile(r"(?<![\d#])(\d{1,2})(?!\d)")

COUNTRY_NAMES: dict[str, str] = {
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "gb": "GB",
    "us": "US", "usa": "US", "united states": "US", "united states of america": "US",
    "america": "US",
    "germany": "DE", "deutschland": "DE", "de": "DE",
    "france": "FR", "fr": "FR",
    "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "nl": "NL",
    "ireland": "IE", "ie": "IE",
    "canada": "CA", "ca": "CA",
    "australia": "AU", "au": "AU",
}  # fmt: skip


def parse_order_id(value: object) -> int | None:
    """Return the order number in ``value`` ("1042", "#1042", 1042.0), or ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else str(value)
    match = _ORDER_ID.match(str(value))
    return int(match.group(1)) if match else None


def looks_like_email(value: object) -> bool:
    """Whether ``value`` is shaped like an email address."""
    return isinstance(value, str) and bool(_EMAIL.match(value.strip()))


def wants_to_stop(text: str) -> bool:
    """Whether a message asks to leave the current flow ("never mind", "stop", ...)."""
    return bool(_STOP.search(text))


def words(text: str) -> set[str]:
    """The lower-case words of ``text``."""
    return set(_WORD.findall(text.lower()))


def _stem(word: str) -> str:
    """Singular-ish form, so "tees" matches "Tee" and "candles" matches "Candle"."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


class AddressProblem(ValueError):
    """The text could not be read as an address; the message says what is missing."""


def parse_address(text: str) -> Address:
    """Read ``street, city, postcode, country`` (or ``street, city postcode, country``).

    Args:
        text: The customer's message.

    Returns:
        The address, not yet normalised (see :func:`bot.shop.addresses.normalise_address`).

    Raises:
        AddressProblem: Parts are missing or the country is unknown.
    """
    parts = [part.strip() for part in re.split(r"[,\n;]", text) if part.strip()]
    if len(parts) < 3:
        raise AddressProblem("it needs the street, city, postcode and country")
    country = COUNTRY_NAMES.get(parts[-1].lower().rstrip("."))
    if country is None:
        raise AddressProblem(f"I don't recognise the country {parts[-1]!r}")
    rest = " ".join(parts[1:-1])
    pattern = POSTCODE_PATTERNS[country].pattern.strip("^$")
    found = re.search(rf"(?<!\w)({pattern})(?!\w)", rest.upper())
    if found is None:
        raise AddressProblem(f"I can't find a valid {country} postcode in it")
    city = (rest[: found.start()] + rest[found.end() :]).strip(" ,")
    return Address(line1=parts[0], city=city, postcode=found.group(1), country=country)


def format_address(address: Address) -> str:
    """One-line form of an address."""
    return f"{address.line1}, {address.city}, {address.postcode}, {address.country}"


def match_line(order: OrderInfo, text: str, product: str | None = None) -> OrderLine | None:
    """Find the order line the customer means, by product name, SKU or words of its name.

    Args:
        order: The order.
        text: The customer's message.
        product: The catalogue name the NLU extracted, if any.

    Returns:
        The best line, or ``None`` when nothing matches (or two lines match equally).
    """
    for line in order.items:
        if product and line.name.lower() == product.lower():
            return line
        if line.sku.lower() in text.lower():
            return line
    said = {_stem(word) for word in words(text)}
    scored = sorted(
        (
            (len(said & {_stem(w) for w in words(line.name) if len(w) > 2}), line)
            for line in order.items
        ),
        key=lambda pair: -pair[0],
    )
    if not scored or scored[0][0] == 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def quantity_in(text: str) -> int | None:
    """The first small quantity in ``text`` (digits or number words), or ``None``."""
    found = _QUANTITY.search(text)
    if found:
        return int(found.group(1))
    for word in _WORD.findall(text.lower()):
        if word in _NUMBER_WORDS and word not in {"a", "an"}:
            return _NUMBER_WORDS[word]
    return None


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A parsed item change: the product and its new quantity (0 removes it)."""

    sku: str
    name: str
    quantity: int


def parse_item_change(
    text: str,
    order: OrderInfo,
    product: str | None,
    find_product: Callable[[str], ProductInfo | None],
) -> ItemChange | None:
    """Read "remove the X", "add 2 X", "make it 3 X" against an order and the catalogue.

    Args:
        text: The customer's message.
        order: The order being changed.
        product: The catalogue name the NLU extracted, if any.
        find_product: Looks a product up by catalogue name (for items not yet in the order).

    Returns:
        The change, or ``None`` when the product or the quantity is unclear.
    """
    line = match_line(order, text, product)
    sku, name, current = (line.sku, line.name, line.quantity) if line else ("", "", 0)
    if line is None and product:
        found = find_product(product)
        if found is not None:
            sku, name = found.sku, found.name
    if not sku:
        return None
    quantity = quantity_in(text)
    if _REMOVE.search(text):
        return ItemChange(sku, name, 0)
    if _ADD.search(text) or line is None:
        return ItemChange(sku, name, current + (quantity or 1))
    if quantity is None:
        return None
    return ItemChange(sku, name, quantity)
