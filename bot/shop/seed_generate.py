"""Deterministic generation of the demo shop's products and customers (no database access)."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.shop import seed_data as data
from bot.shop.catalogue import Catalogue
from bot.shop.domain import (
    Address,
    CustomerTier,
    OrderStatus,
)
from bot.shop.orm_records import join_aliases

Row = dict[str, Any]
HISTORY_DAYS = 120
TIER_SHARES = {CustomerTier.VIP: 0.10, CustomerTier.NEW: 0.30}  # the rest are regular
TIER_AGE_DAYS = {
    CustomerTier.VIP: (365.0, 1800.0),
    CustomerTier.REGULAR: (150.0, 1100.0),
    CustomerTier.NEW: (1.0, 120.0),
}
TIER_ORDER_WEIGHT = {CustomerTier.VIP: 5.0, CustomerTier.REGULAR: 2.0, CustomerTier.NEW: 1.5}


@dataclass
class ShopRows:
    """Rows for every shop table, as ``insert()`` parameter dictionaries (explicit ids)."""

    products: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    order_items: list[Row] = field(default_factory=list)
    shipments: list[Row] = field(default_factory=list)
    returns: list[Row] = field(default_factory=list)
    refunds: list[Row] = field(default_factory=list)
    complaints: list[Row] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Person:
    """A generated customer with the facts later rows need."""

    id: int
    tier: CustomerTier
    created_at: datetime
    country: data.Country
    home: Address


def quotas(total: int, shares: dict[Any, float], rest: Any) -> list[Any]:
    """Return ``total`` labels: ``floor(share * total)`` of each, the remainder as ``rest``."""
    labels = [label for label, share in shares.items() for _ in range(int(share * total))]
    return labels + [rest] * (total - len(labels))


def email_local_part(name: str) -> str:
    """Return ``name`` folded to lowercase ASCII letters and digits."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What complaints need to know about a generated order."""

    id: int
    customer_id: int
    status: OrderStatus
    updated_at: datetime
    product: str
    carrier: str
    original_eta: date | None


class ShopGenerator:
    """Builds rows from one seeded random generator; subclasses add orders."""

    def __init__(self, catalogue: Catalogue, rng: random.Random, now: datetime) -> None:
        self.catalogue = catalogue
        self.rng = rng
        self.now = now
        self.rows = ShopRows()
        self.people: list[Person] = []
        self.tracking_numbers: set[str] = set()
        self.rma_codes: set[str] = set()

    # -------------------------------------------------------------- helpers

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def clamp(self, moment: datetime, earliest: datetime) -> datetime:
        """``moment``, but not before ``earliest`` and not after now."""
        return max(earliest, min(moment, self.now))

    def day_time(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randint(8, 19), self.rng.randint(0, 59)), UTC)

    def unique(self, taken: set[str], make: Any) -> str:
        value: str = make()
        while value in taken:
            value = make()
        taken.add(value)
        return value

    # -------------------------------------------------------------- products and customers

    def products(self) -> None:
        for product in self.catalogue.products:
            self.rows.products.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "price": product.price,
                    "description": product.description,
                    "aliases": join_aliases(product.aliases),
                    "stock": product.stock,
                }
            )

    def customers(self, count: int) -> None:
        tiers = quotas(count, TIER_SHARES, CustomerTier.REGULAR)
        self.rng.shuffle(tiers)
        weights = [country.weight for country in data.COUNTRIES]
        emails: set[str] = set()
        for customer_id, tier in enumerate(tiers, start=1):
            country = self.rng.choices(data.COUNTRIES, weights=weights)[0]
            city = self.rng.choice(country.cities)
            first, last = self.rng.choice(data.FIRST_NAMES), self.rng.choice(data.LAST_NAMES)
            email = self.unique(emails, lambda f=first, s=last: self.email(f, s))
            created = self.now - timedelta(days=self.rng.uniform(*TIER_AGE_DAYS[tier]))
            home = self.address(country, city)
            self.people.append(Person(customer_id, tier, created, country, home))
            self.rows.customers.append(
                {
                    "id": customer_id,
                    "name": f"{first} {last}",
                    "email": email,
                    "phone": data.phone(self.rng, country.code),
                    "tier": tier.value,
                    "country": country.code,
                    "region": city.region,
                    "created_at": created,
                    "complaint_count": 0,
                }
            )

    def email(self, first: str, last: str) -> str:
        first_part, last_part = email_local_part(first), email_local_part(last)
        local = self.rng.choice(
            (f"{first_part}.{last_part}", f"{first_part}{last_part}", f"{first_part[0]}{last_part}")
        )
        if self.rng.random() < 0.35:
            local += str(self.rng.randint(1, 99))
        return f"{local}@{self.rng.choice(data.EMAIL_DOMAINS)}"

    def address(self, country: data.Country, city: data.City | None = None) -> Address:
        city = city or self.rng.choice(country.cities)
        return Address(
            line1=data.street_line(self.rng, country.street_style),
            city=city.name,
            postcode=data.postcode(self.rng, country.code, city),
            country=country.code,
        )

    def pick_customer(self, created: datetime) -> Person:
        eligible = [person for person in self.people if person.created_at <= created]
        weights = [TIER_ORDER_WEIGHT[person.tier] for person in eligible]
        return self.rng.choices(eligible, weights=weights)[0]
