"""Make a database ready to serve: schema at head, the packaged catalog loaded and searchable.

On the embedded default (SQLite in the data directory) every command prepares the database itself on
first use. A server database (PostgreSQL) is prepared on purpose, by `consultant db upgrade` and
`consultant codes load`; a command that finds it unprepared says which of them to run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from consultant.codes import lay
from consultant.codes.importers import icd10cm
from consultant.codes.search import rebuild_index
from consultant.consult.routing.policy import load_policy
from consultant.db.migrate import current_revision, head_revision, upgrade
from consultant.db.session import get_engine, session_scope
from consultant.settings import Settings
from consultant.usage.plans import load_plans

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


def _quiet(_stage: str) -> None:
    return None


class NotReady(Exception):
    """A server database that has not been prepared: the message names the command to run."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None
    after: str
    tables: int

    def summary(self, where: str) -> str:
        if self.before == self.after:
            return f"schema already at revision {self.after} in {where}"
        if self.before is None:
            return f"created the schema at revision {self.after} ({self.tables} tables) in {where}"
        return f"migrated the schema from revision {self.before} to {self.after} in {where}"


def shown_url(url: str) -> str:
    """The database URL for messages: no password."""
    return make_url(url).render_as_string(hide_password=True)


def upgrade_schema(settings: Settings) -> Upgrade:
    url = settings.resolved_database_url
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    before = current_revision(url)
    upgrade(url)
    tables = len(inspect(get_engine(url)).get_table_names())
    return Upgrade(before, head_revision(url), tables)


def prepare(settings: Settings, load_codes: bool = True, progress: Progress = _quiet) -> None:
    """For the services: refuse a bad policy or plans file, bring the schema to head, load the catalog
    when it is empty (first run)."""
    load_policy(settings.routing_policy)  # refuse to start on a bad routing policy, naming the key
    load_plans(settings.plans)  # and on a bad plans file
    upgrade_schema(settings)
    if load_codes and catalog_empty():
        log.info("first run: loading ICD-10-CM into the catalog")
        load_catalog(progress)


def ensure_ready(settings: Settings, codes: bool, progress: Progress = _quiet) -> None:
    """For commands: on the embedded database, migrate and (when `codes`) load the catalog as needed;
    on a server database, raise NotReady naming the command that would prepare it."""
    url = settings.resolved_database_url
    if settings.embedded_database:
        if current_revision(url) != head_revision(url):
            progress(upgrade_schema(settings).summary(shown_url(url)))
        if codes and catalog_empty():
            load_catalog(progress)
        return
    try:
        revision = current_revision(url)
    except OperationalError as exc:
        raise NotReady(f"cannot reach the database at {shown_url(url)} ({type(exc.orig).__name__}): is it running, "
                       "and does CONSULTANT_DATABASE_URL name it?") from None
    if revision != head_revision(url):
        raise NotReady(f"the database at {shown_url(url)} has no current schema: run `consultant db upgrade`")
    if codes and catalog_empty():
        raise NotReady(f"no ICD-10-CM codes in the database at {shown_url(url)}: run `consultant codes load`")


def catalog_empty() -> bool:
    with session_scope() as session:
        return icd10cm.loaded_count(session) == 0


def load_catalog(progress: Progress = _quiet) -> str:
    """ICD-10-CM (codes and notes) from the package, the starter lay descriptions, the search index."""
    progress("loading the ICD-10-CM catalog (first use; takes about a minute)")
    with session_scope() as session:
        report = icd10cm.load_report(session, progress)
        progress("adding the starter lay descriptions")
        lay_count = lay.load_starter_set(session)
        progress("building the search index")
        indexed = rebuild_index(session, ["icd10cm", "cpt", "hcpcs", "pcs"])
        progress("committing")
    summary = f"{report.summary()}; {lay_count} starter lay descriptions; {indexed} codes searchable"
    log.info("catalog loaded: %s", summary)
    return summary
