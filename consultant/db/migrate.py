"""Alembic, driven from code: `consultant db upgrade` and the first start of `consultant run`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from consultant.settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")

# tables the migrations create with dialect-specific DDL, outside the SQLAlchemy models
# (search_word also names search_word_gram, SQLite's trigram index of it)
UNMODELLED_TABLES = ("catalog_search", "search_word")


def is_modelled(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic include_name hook: skip the search index and vocabulary (and FTS5's shadow tables)."""
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLES))


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url or get_settings().resolved_database_url)
    return config


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")


def revision(message: str, url: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


def head_revision(url: str | None = None) -> str:
    """The newest revision the migrations define."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at; None for an empty database (or a SQLite file not yet made)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import make_url

    from consultant.db.session import get_engine

    parsed = make_url(url or get_settings().resolved_database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        return None  # asking would create an empty file
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(url: str | None = None) -> bool:
    """Whether the database's schema is at the newest revision."""
    return current_revision(url) == head_revision(url)
