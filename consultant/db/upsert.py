"""INSERT ... ON CONFLICT for the backends we run on (PostgreSQL, SQLite)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_for(session: Session):
    """The dialect's insert(), which has on_conflict_do_nothing / on_conflict_do_update."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
