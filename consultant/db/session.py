"""Engines and sessions. SQLite runs in WAL mode with immediate write locks so that several
processes (receiver, workers) can share one file without lost updates."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from consultant.settings import get_settings

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=5, max_overflow=10, pool_recycle=3600, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)  # no message text in errors

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _engine_for(url: str, pid: int) -> Engine:
    engine = _created.get((url, pid))
    if engine is None:
        engine = _created[(url, pid)] = make_engine(url)
    return engine


def forget_inherited_engines() -> None:
    """In a forked child: drop the parent's pooled connections without closing them under it."""
    for engine in list(_engines_of_other_processes()):
        engine.dispose(close=False)


def _engines_of_other_processes() -> Iterator[Engine]:
    # lru_cache has no public iteration; the pool lives on in the engines we keep here
    for (url, pid), engine in _created.items():
        if pid != os.getpid():
            yield engine


_created: dict[tuple[str, int], Engine] = {}


def dispose_engines() -> None:
    """Close every pool this process opened (tests; shutdown)."""
    while _created:
        _, engine = _created.popitem()
        engine.dispose()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (a forked worker child gets its own pool)."""
    return _engine_for(url or get_settings().resolved_database_url, os.getpid())


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def retry_on_disconnect(work: Callable[[], T]) -> T:
    """Run `work` again once if it failed on a connection the server had dropped (a database restart).

    Cheaper than pinging the server before every transaction: SQLAlchemy marks such errors and
    empties the pool, so the second try gets a fresh connection."""
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return work()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error, always closes."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def in_transaction(work: Callable[[Session], T], url: str | None = None) -> T:
    """`work(session)` as one committed unit of work, tried again once after a dropped connection."""

    def attempt() -> T:
        with session_scope(url) as session:
            return work(session)

    return retry_on_disconnect(attempt)
