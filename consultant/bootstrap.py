"""Make a database ready to serve: schema at head, the packaged catalog loaded and searchable."""

from __future__ import annotations

import logging

from consultant.codes import lay
from consultant.codes.importers import icd10cm
from consultant.codes.search import rebuild_index
from consultant.consult.routing.policy import load_policy
from consultant.db.migrate import upgrade
from consultant.db.session import session_scope
from consultant.settings import Settings
from consultant.usage.plans import load_plans

log = logging.getLogger(__name__)


def prepare(settings: Settings, load_codes: bool = True) -> None:
    load_policy(settings.routing_policy)  # refuse to start on a bad routing policy, naming the key
    load_plans(settings.plans)  # and on a bad plans file
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    if load_codes:
        with session_scope() as session:
            empty = icd10cm.loaded_count(session) == 0
        if empty:
            log.info("first run: loading ICD-10-CM into the catalog")
            load_catalog()


def load_catalog() -> str:
    """ICD-10-CM (codes and notes) from the package, the starter lay descriptions, the search index."""
    with session_scope() as session:
        report = icd10cm.load_report(session)
        lay_count = lay.load_starter_set(session)
        indexed = rebuild_index(session, ["icd10cm", "cpt", "hcpcs", "pcs"])
    summary = f"{report.summary()}; {lay_count} starter lay descriptions; {indexed} codes searchable"
    log.info("catalog loaded: %s", summary)
    return summary
