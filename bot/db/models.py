"""Every ORM model of the app database, imported in one place.

Import :data:`metadata` from here (as the migrations' ``env.py`` does) so that autogenerate and
``create_all`` see all tables. New feature packages add their model module to the imports below.
"""

from __future__ import annotations

from bot.breaker import models as breaker_models
from bot.caselog import models as caselog_models
from bot.db.base import Base
from bot.shop import models as shop_models

metadata = Base.metadata

__all__ = ["Base", "breaker_models", "caselog_models", "metadata", "shop_models"]
