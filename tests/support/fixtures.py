"""pytest fixtures for the real test servers; import with
``from tests.support.fixtures import *`` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import PostgresServer, RedisServer, SmtpSink

__all__ = ["pg_catalog_template", "pg_catalog_url", "pg_url", "postgres_server", "redis_server", "redis_url", "smtp_sink"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of DB 0 of the session Redis server, flushed before the test."""
    redis_server.flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with PostgresServer(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    if not postgres_server.running:  # a test killed or stopped the shared server
        postgres_server.restart()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def pg_catalog_template(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a database migrated and loaded with the shipped catalog (`db upgrade`, `codes load`), made
    once a session through the command line, as an operator would."""
    from tests.support.product import consultant_argv, product_env, run_command

    name = "catalog_template"
    postgres_server.drop_database(name)
    url = postgres_server.create_database(name)
    env = product_env(tmp_path_factory.mktemp("catalog_template"), database_url=url)
    run_command(consultant_argv("db", "upgrade"), env)
    run_command(consultant_argv("codes", "load"), env)
    return name


@pytest.fixture
def pg_catalog_url(postgres_server: PostgresServer, pg_catalog_template: str) -> Iterator[str]:
    """SQLAlchemy URL of a fresh database holding the migrated schema and the shipped catalog (a copy of the
    session's template), dropped after the test."""
    url = postgres_server.create_database(template=pg_catalog_template)
    yield url
    if not postgres_server.running:
        postgres_server.restart()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
