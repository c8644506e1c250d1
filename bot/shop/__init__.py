"""The demo shop: catalogue, order store (``ShopStore`` and its SQL implementation) and seed.

Callers use :class:`~bot.shop.store.ShopStore` and the records in :mod:`bot.shop.domain`; every
error is a :class:`~bot.shop.errors.ShopError`. ``calmdesk seed`` calls
:func:`bot.shop.seed.seed_demo_shop`.
"""

from __future__ import annotations

from bot.shop.domain import (
    Address,
    ComplaintCategory,
    ComplaintInfo,
    CustomerInfo,
    CustomerTier,
    OrderInfo,
    OrderLine,
    OrderStatus,
    ProductInfo,
    RefundInfo,
    RefundStatus,
    ReturnInfo,
    ReturnPolicy,
    ReturnStatus,
    ShipmentInfo,
)
from bot.shop.errors import ShopError
from bot.shop.sql_store import SqlShopStore
from bot.shop.store import ShopStore

__all__ = [
    "Address",
    "ComplaintCategory",
    "ComplaintInfo",
    "CustomerInfo",
    "CustomerTier",
    "OrderInfo",
    "OrderLine",
    "OrderStatus",
    "ProductInfo",
    "RefundInfo",
    "RefundStatus",
    "ReturnInfo",
    "ReturnPolicy",
    "ReturnStatus",
    "ShipmentInfo",
    "ShopError",
    "ShopStore",
    "SqlShopStore",
]
