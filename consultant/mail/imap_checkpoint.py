"""Per mailbox: the UIDVALIDITY seen and the highest UID below which everything is stored and put away."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import ImapCheckpoint
from consultant.db.upsert import insert_for


@dataclass(frozen=True)
class Checkpoint:
    uidvalidity: int
    last_uid: int

    def start_for(self, uidvalidity: int) -> Checkpoint:
        """Where to start in a mailbox whose UIDVALIDITY is `uidvalidity`: from scratch when it changed
        (old UIDs mean nothing any more; re-stored messages are recognised by store_raw)."""
        return self if uidvalidity == self.uidvalidity else Checkpoint(uidvalidity, 0)


def load_checkpoint(session: Session, account: str, mailbox: str) -> Checkpoint | None:
    row = session.execute(
        select(ImapCheckpoint.uidvalidity, ImapCheckpoint.last_uid).where(
            ImapCheckpoint.account == account, ImapCheckpoint.mailbox == mailbox
        )
    ).one_or_none()
    return None if row is None else Checkpoint(row.uidvalidity, row.last_uid)


def save_checkpoint(session: Session, account: str, mailbox: str, checkpoint: Checkpoint) -> None:
    values = {"uidvalidity": checkpoint.uidvalidity, "last_uid": checkpoint.last_uid, "updated_at": utcnow()}
    session.execute(
        insert_for(session)(ImapCheckpoint)
        .values(account=account, mailbox=mailbox, **values)
        .on_conflict_do_update(index_elements=["account", "mailbox"], set_=values)
    )
