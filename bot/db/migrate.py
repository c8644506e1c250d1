"""Alembic migrations run from code: no ``alembic.ini`` is needed.

Revisions live in ``bot/db/migrations/versions`` and are named ``NNNN_feature.py`` with the
revision id ``NNNN_feature``. To add one after changing models (import new model modules in
``bot/db/models.py`` first)::

    from bot.db.migrate import make_revision
    make_revision("sqlite:///var/dev.db", "case log tables", rev_id="0002_caselog")

then review the generated file and run ``ruff format`` on it.

Each feature package owns a branch of revisions starting from ``0001_shop`` (``0002_caselog`` for
the gateway's case log, ``0003_breaker`` for the circuit breaker's ledger, ...), so features can
add tables independently; :func:`upgrade_database` applies every branch (``heads``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
DATABASE_URL_ATTRIBUTE = "calmdesk_database_url"


def alembic_config(url: str) -> Config:
    """Build the Alembic configuration for the app database at ``url``.

    The URL travels in ``config.attributes`` rather than the ini options, so passwords with
    ``%`` characters need no escaping.

    Args:
        url: The SQLAlchemy URL of the database to migrate.

    Returns:
        A configuration whose ``script_location`` is this package's ``migrations`` directory.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s")
    config.attributes[DATABASE_URL_ATTRIBUTE] = url
    return config


def upgrade_database(url: str, revision: str = "heads") -> None:
    """Apply the migrations up to ``revision`` (``alembic upgrade heads``); safe to repeat.

    Args:
        url: The SQLAlchemy URL of the database; an SQLite file and its directory are created.
        revision: The target revision, every branch's head by default.
    """
    command.upgrade(alembic_config(url), revision)


def make_revision(url: str, message: str, *, rev_id: str, autogenerate: bool = True) -> None:
    """Write a new revision file, comparing the models with the database at ``url``.

    Args:
        url: A database migrated to the current head (autogenerate diffs against it).
        message: What the revision does.
        rev_id: The revision id and file name, e.g. ``0002_caselog``.
        autogenerate: Fill the revision from the model differences (else an empty one).
    """
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate, rev_id=rev_id)


def head_revisions() -> frozenset[str]:
    """Return the newest revision of every branch shipped with the package."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(url: str) -> frozenset[str]:
    """Return the revisions the database at ``url`` is at (empty when it is unmigrated).

    Args:
        url: The SQLAlchemy URL of the database.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return frozenset(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
