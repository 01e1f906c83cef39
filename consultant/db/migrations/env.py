from __future__ import annotations

from alembic import context

from consultant.codes import models as _codes  # noqa: F401  (registers the tables)
from consultant.db import models  # noqa: F401
from consultant.db.base import Base
from consultant.db.migrate import is_modelled
from consultant.db.session import get_engine


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with get_engine(url).connect() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=is_modelled,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
