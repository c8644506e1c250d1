"""Loading and validating the catalogue YAML."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.shop.catalogue import default_catalogue_path, load_catalogue, parse_catalogue
from bot.shop.errors import CatalogueError, ShopError
from tests.unit.shop.shop_scenario import MINI_CATALOGUE


def test_the_fixture_catalogue_loads_into_typed_objects() -> None:
    catalogue = load_catalogue(MINI_CATALOGUE)
    assert catalogue.currency == "USD" and len(catalogue.products) == 6 and len(catalogue.faq) == 2
    jacket = catalogue.product("JKT-001")
    assert jacket is not None and jacket.price == Decimal("119.00") and jacket.stock == 5
    assert jacket.aliases == ("rain jacket", "raincoat")
    assert catalogue.categories == sorted(catalogue.categories)
    assert catalogue.product("NOPE") is None


def test_the_shipped_catalogue_is_valid_and_large_enough() -> None:
    path = default_catalogue_path()
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    catalogue = load_catalogue()
    assert len(catalogue.products) >= 100 and catalogue.faq
    assert all(product.price.as_tuple().exponent == -2 for product in catalogue.products)


def test_prices_keep_their_cents_exactly() -> None:
    text = "currency: EUR\nproducts:\n  - {sku: A, name: A, category: c, price: 19.99}\n"
    assert parse_catalogue(text).products[0].price == Decimal("19.99")


@pytest.mark.parametrize(
    "text",
    [
        "just a string",
        "currency: [unclosed",
        "currency: usd\nproducts:\n  - {sku: A, name: A, category: c, price: 1}\n",
        "currency: USD\nproducts: []\n",
        "currency: USD\nproducts:\n  - {sku: A, name: A, category: c, price: -1}\n",
        "currency: USD\nproducts:\n  - {sku: A, name: A, category: c, price: 1.005}\n",
        "currency: USD\nproducts:\n  - {sku: A, name: A, category: c, price: 1, stock: -2}\n",
        "currency: USD\nproducts:\n  - {sku: A, name: A, category: c, price: 1, colour: red}\n",
        "currency: USD\nproducts:\n"
        "  - {sku: A, name: A, category: c, price: 1}\n"
        "  - {sku: A, name: B, category: c, price: 2}\n",
        "currency: USD\nproducts:\n  - {sku: A, name: A, category: c, price: 1}\n"
        "faq:\n  - {question: '', answer: x}\n",
    ],
)
def test_invalid_catalogues_are_refused(text: str) -> None:
    with pytest.raises(CatalogueError):
        parse_catalogue(text)


def test_a_missing_file_is_a_shop_error(tmp_path: Path) -> None:
    with pytest.raises(ShopError, match="cannot read catalogue"):
        load_catalogue(tmp_path / "missing.yml")
