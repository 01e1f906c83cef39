"""Question text -> facts: the codes it mentions and what the catalog says about each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.codes.lookup import CodeFact, describe
from consultant.codes.mentions import find_mentions


def enrich(session: Session, text: str) -> list[CodeFact]:
    return describe(session, find_mentions(text))
