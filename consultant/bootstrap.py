"""Make a database ready to serve: schema at head, the packaged ICD-10-CM catalog loaded."""

from __future__ import annotations

import logging

from consultant.codes.importers import icd10cm
from consultant.db.migrate import upgrade
from consultant.db.session import session_scope
from consultant.settings import Settings

log = logging.getLogger(__name__)


def prepare(settings: Settings, load_codes: bool = True) -> None:
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    if load_codes:
        with session_scope() as session:
            empty = icd10cm.loaded_count(session) == 0
        if empty:
            log.info("first run: loading ICD-10-CM into the catalog")
            load_catalog()


def load_catalog() -> str:
    """ICD-10-CM from the package, and the search index over it."""
    from consultant.codes.search import rebuild_index

    with session_scope() as session:
        loaded = icd10cm.load(session)
        indexed = rebuild_index(session)
    return f"ICD-10-CM: {loaded} codes; {indexed} codes searchable"
