"""The demo shop's catalogue (``catalogue.yml``): products and FAQ, loaded into typed objects."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from bot.shop.domain import to_money
from bot.shop.errors import CatalogueError

CATALOGUE_FILE_NAME = "catalogue.yml"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CatalogueProduct(BaseModel):
    """One product as the catalogue describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160)]
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=48)]
    price: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
    aliases: tuple[NonEmpty, ...] = ()
    stock: Annotated[int, Field(ge=0)] = 0
    description: str = ""

    @field_validator("price", mode="before")
    @classmethod
    def _price_from_text(cls, value: object) -> object:
        # YAML reads 69.00 as a float; go through its text so 19.99 stays exactly 19.99.
        return str(value) if isinstance(value, float) else value

    @field_validator("price")
    @classmethod
    def _price_in_cents(cls, value: Decimal) -> Decimal:
        return to_money(value)


class FaqEntry(BaseModel):
    """A frequently asked question and its answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: NonEmpty
    answer: NonEmpty


class Catalogue(BaseModel):
    """The whole catalogue: currency, products and FAQ (other top-level keys are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    products: tuple[CatalogueProduct, ...]
    faq: tuple[FaqEntry, ...] = ()

    @field_validator("products")
    @classmethod
    def _unique_skus(cls, products: tuple[CatalogueProduct, ...]) -> tuple[CatalogueProduct, ...]:
        if not products:
            raise ValueError("the catalogue has no products")
        seen: set[str] = set()
        for product in products:
            if product.sku in seen:
                raise ValueError(f"duplicate sku {product.sku!r}")
            seen.add(product.sku)
        return products

    @property
    def categories(self) -> list[str]:
        """The product categories, sorted."""
        return sorted({product.category for product in self.products})

    def product(self, sku: str) -> CatalogueProduct | None:
        """Return the product with ``sku``, or ``None``."""
        return next((product for product in self.products if product.sku == sku), None)


def default_catalogue_path() -> Path:
    """Return the path of the catalogue shipped with the package."""
    return Path(__file__).resolve().with_name(CATALOGUE_FILE_NAME)


def parse_catalogue(text: str, *, source: str = "<catalogue>") -> Catalogue:
    """Parse and validate catalogue YAML.

    Args:
        text: The YAML document.
        source: Where the text came from, for error messages.

    Returns:
        The validated catalogue.

    Raises:
        CatalogueError: The YAML is malformed or does not match the catalogue format.
    """
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise CatalogueError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: expected a mapping with currency, products and faq")
    try:
        return Catalogue.model_validate(data)
    except ValidationError as error:
        raise CatalogueError(f"{source}: {error}") from error


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a catalogue file.

    Args:
        path: The YAML file; the package's ``catalogue.yml`` when omitted.

    Returns:
        The validated catalogue.

    Raises:
        CatalogueError: The file is missing, unreadable or invalid.
    """
    path = path or default_catalogue_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError(f"cannot read catalogue {path}: {error}") from error
    return parse_catalogue(text, source=str(path))
