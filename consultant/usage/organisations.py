"""Organisations: a sender belongs to one by its address's domain or by explicit membership.
Members of one organisation may take part in each other's consultations."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from consultant.db.models import Organisation, Sender


class OrganisationError(ValueError):
    """A request about organisations that cannot be carried out; the message says why."""


def create(session: Session, name: str, domains: list[str]) -> int:
    name = name.strip()
    if not name:
        raise OrganisationError("an organisation needs a name")
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise OrganisationError(f"organisation {name!r} exists already")
    cleaned = sorted({_domain(d) for d in domains})
    taken = {d for org in session.scalars(select(Organisation)) for d in org.domains} & set(cleaned)
    if taken:
        raise OrganisationError(f"domain(s) {', '.join(sorted(taken))} already belong to another organisation")
    return session.execute(insert(Organisation).values(name=name, domains=cleaned).returning(Organisation.id)).scalar_one()


def add_member(session: Session, name: str, address: str) -> None:
    from consultant.usage.ledger import sender_for

    org_id = session.scalar(select(Organisation.id).where(Organisation.name == name))
    if org_id is None:
        raise OrganisationError(f"no organisation named {name!r}")
    sender_id = sender_for(session, address.strip().lower())
    session.execute(update(Sender).where(Sender.id == sender_id).values(organisation_id=org_id))


def organisation_of(session: Session, sender_id: int) -> int | None:
    """Explicit membership first, else the organisation that owns the address's domain."""
    explicit, address = session.execute(
        select(Sender.organisation_id, Sender.address).where(Sender.id == sender_id)).one()
    if explicit is not None:
        return explicit
    domain = address.rsplit("@", 1)[-1].lower()
    for org_id, domains in session.execute(select(Organisation.id, Organisation.domains)):
        if domain in domains:
            return org_id
    return None


def same_organisation(session: Session, one: int, other: int) -> bool:
    if one == other:
        return True
    mine = organisation_of(session, one)
    return mine is not None and mine == organisation_of(session, other)


def _domain(value: str) -> str:
    domain = value.strip().lower().lstrip("@")
    if not domain or "." not in domain or any(c.isspace() or c in "@,;<>" for c in domain):
        raise OrganisationError(f"not a domain: {value!r}")
    return domain
