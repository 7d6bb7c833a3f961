"""`db copy SRC DST`: move an office's data between engines (e.g. SQLite to PostgreSQL), counts checked.

The target is migrated to the same schema first and must hold no data; rows are copied table by table in
dependency order, in one transaction, and the copy is refused (and rolled back) unless every table's row
count matches the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import SQLModel

from zhijin_training.db import Database
from zhijin_training.db.schema import SCHEMA_HEAD, stored_revision
from zhijin_training.services.errors import ValidationError

CHUNK = 2000


@dataclass(frozen=True)
class CopyReport:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def copy_database(
    source: Database, target: Database, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    from zhijin_training.db import migrate

    if stored_revision(source) != SCHEMA_HEAD:
        raise ValidationError(
            "dbcopy.source_schema", revision=stored_revision(source) or "-", head=SCHEMA_HEAD
        )
    migrate.upgrade(target)
    tables = [t for t in SQLModel.metadata.sorted_tables]
    # rows the migrations themselves write into a new database (the library's holidays, 0004): replaced by the
    # source's own rows in the copy's transaction, never counted as "not empty"
    seeded = {  # 0012: its rules; 0015: the roster stamp's one row
        "calendar_day": sa.column("source") == "library",
        "hours_rule": sa.true(),
        "roster_stamp": sa.true(),
    }
    # the tallies (0009, 0012, 0016, 0017) are kept by triggers as the rows arrive: copying them too counted
    # every participant twice, so they are recomputed from the copied rows at the end instead
    derived = {"tally_quarter", "tally_year", "tally_all", "tally_cadre", "hours_tally_year"}
    with target.engine.connect() as conn:
        for table in tables:
            count = sa.select(sa.func.count()).select_from(table)
            if table.name in seeded:
                count = count.where(sa.not_(seeded[table.name]))
            if conn.execute(count).scalar_one():
                raise ValidationError("dbcopy.target_not_empty", table=table.name)
    counts: dict[str, int] = {}
    with source.engine.connect() as src, target.engine.begin() as dst:
        for name, where in seeded.items():
            dst.execute(sa.delete(SQLModel.metadata.tables[name]).where(where))
        for table in tables:
            if table.name in derived:
                continue
            n = 0
            result = src.execution_options(stream_results=True).execute(
                sa.select(table).order_by(*table.primary_key)
            )
            while rows := result.fetchmany(CHUNK):
                dst.execute(table.insert(), [dict(r._mapping) for r in rows])
                n += len(rows)
                if progress:
                    progress(table.name, n)
            counts[table.name] = n
        from sqlmodel import Session

        from zhijin_training.services import hours_tally, tallies

        with Session(bind=dst) as s:  # on the copy's own connection and transaction
            tallies.rebuild(s)
            hours_tally.rebuild(s)
        for name in derived:
            counts[name] = dst.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        for table in tables:
            copied = dst.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            if copied != counts[table.name]:
                raise ValidationError(
                    "dbcopy.incomplete", table=table.name, copied=copied, total=counts[table.name]
                )
        if dst.dialect.name == "postgresql":
            # explicit ids were inserted: move each id sequence past the highest one
            for table in tables:
                if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                    dst.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
    return CopyReport(counts)
