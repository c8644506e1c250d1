"""The order store the actions use: opened lazily, once per process, from the settings.

Actions never build a store themselves; they call :func:`shop_store`. Tests and other
backends (a Shopify client implementing :class:`~bot.shop.store.ShopStore`) install theirs with
:func:`use_store`.
"""

from __future__ import annotations

import threading

from bot.shop.store import ShopStore

_lock = threading.Lock()
_store: ShopStore | None = None


def shop_store() -> ShopStore:
    """Return the process's order store, opening the app database on first use.

    Returns:
        The installed store, or a :class:`~bot.shop.sql_store.SqlShopStore` over
        ``settings.sqlalchemy_url``.
    """
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                from bot.db import make_engine, session_factory
                from bot.settings import get_settings
                from bot.shop.sql_store import SqlShopStore

                engine = make_engine(get_settings().sqlalchemy_url)
                _store = SqlShopStore(session_factory(engine))
    return _store


def use_store(store: ShopStore | None) -> None:
    """Install ``store`` for every action of this process (``None``: reopen from settings)."""
    global _store
    with _lock:
        _store = store
