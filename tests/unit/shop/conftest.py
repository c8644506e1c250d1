"""Fixtures for the shop's unit tests: SQLite databases in temporary directories."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, session_factory, upgrade_database

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:  # lets plain `pytest` (not only `python -m pytest`) import `tests`
    sys.path.insert(0, REPO_ROOT)

from tests.unit.shop.shop_scenario import ShopScenario  # noqa: E402


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per run; tests work on copies of it."""
    path = tmp_path_factory.mktemp("template") / "shop.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_sessions(migrated_sqlite_file: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a private copy of the migrated SQLite file."""
    path = tmp_path / "shop.db"
    shutil.copyfile(migrated_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def scenario(sqlite_sessions: sessionmaker[Session]) -> ShopScenario:
    """The contract tests' scenario on SQLite."""
    return ShopScenario(sqlite_sessions)
