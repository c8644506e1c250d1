"""The SQL shop store on SQLite, through the shared store contract."""

from __future__ import annotations

from tests.unit.shop.shop_contract import ShopStoreContract


class TestSqliteShopStore(ShopStoreContract):
    """Runs every contract test against SQLite."""
