"""catalog releases know what they speak for: a full official release or not, the dates of service
they cover, the edit table (setting) they fill

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RELEASE = sa.table("catalog_release", sa.column("id", sa.Integer()), sa.column("system", sa.String()),
                    sa.column("source", sa.String()), sa.column("version", sa.String()),
                    sa.column("full", sa.Boolean()), sa.column("valid_from", sa.Date()),
                    sa.column("valid_to", sa.Date()), sa.column("setting", sa.String()))
# the settings named in the sources the NCCI and MUE importers write ("CMS MUE table, DME supplier (...)")
_SETTINGS = (("ncci-ptp", "practitioner", "practitioner"), ("ncci-ptp", "hospital", "hospital"),
             ("mue", "practitioner", "practitioner"), ("mue", "outpatient hospital", "outpatient-hospital"),
             ("mue", "DME supplier", "dme"))


def upgrade() -> None:
    with op.batch_alter_table("catalog_release") as batch_op:
        batch_op.add_column(sa.Column("full", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("setting", sa.String(24), nullable=True))
    bind = op.get_bind()
    # ICD-10-CM loaded from the packaged CMS tabular data is the whole fiscal-year release
    for row in bind.execute(sa.select(_RELEASE.c.id, _RELEASE.c.version).where(
            _RELEASE.c.system == "icd10cm", _RELEASE.c.source.like("CMS ICD-10-CM tabular list%"))):
        year = re.search(r"(20\d\d)", row.version)
        values = {"full": True}
        if year:
            values.update(valid_from=date(int(year.group(1)) - 1, 10, 1), valid_to=date(int(year.group(1)), 9, 30))
        bind.execute(sa.update(_RELEASE).where(_RELEASE.c.id == row.id).values(**values))
    for system, named, setting in _SETTINGS:
        bind.execute(sa.update(_RELEASE).where(_RELEASE.c.system == system,
                                               _RELEASE.c.source.like(f"%, {named} (%"))
                     .values(setting=setting))


def downgrade() -> None:
    with op.batch_alter_table("catalog_release") as batch_op:
        batch_op.drop_column("setting")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
        batch_op.drop_column("full")
