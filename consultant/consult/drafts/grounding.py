"""Is a draft grounded? Every code it names must be in the catalog on the date of service (or be a
code the sender asked about, named with its verdict), and every fact it shows must cite its source
and version. Each problem is a sentence a reviewer can act on; none quotes the question."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from consultant.codes.mentions import MODIFIER, find_mentions
from consultant.codes.models import CatalogCode


def codes_outside_catalog(session: Session, text: str, asked: Collection[str], on: date) -> list[str]:
    named = {m.code for m in find_mentions(text) if m.system != MODIFIER} - set(asked)
    if not named:
        return []
    in_force = set(session.scalars(select(CatalogCode.code).where(
        CatalogCode.code.in_(named),
        or_(CatalogCode.effective_date.is_(None), CatalogCode.effective_date <= on),
        or_(CatalogCode.deletion_date.is_(None), and_(CatalogCode.deletion_date > on)),
    )))
    return [f"names {code}, which the catalog does not have on {on.isoformat()}" for code in sorted(named - in_force)]


def facts_without_source(section: dict) -> list[str]:
    problems = []
    for c in section["codes"]:
        if (c["descriptor"] or c["invalid"] or c.get("not_in_file") or c.get("not_covered")) and not c["version"]:
            problems.append(f"states {c['code']} without the version of its source")
        if c.get("lay") and not c.get("lay_source"):
            problems.append(f"gives a lay description of {c['code']} without its source")
    together = section["together"]
    for kind in ("excludes1", "excludes2", "ptp", "mue"):
        for finding in together[kind]:
            if not finding.get("version"):
                named = finding.get("code") or finding.get("column1")
                problems.append(f"states a {kind} finding for {named} without the version of its source")
    for modifier in section["modifiers"]:
        if modifier["descriptor"] and not modifier["version"]:
            problems.append(f"describes modifier {modifier['code']} without the version of its source")
    return problems
