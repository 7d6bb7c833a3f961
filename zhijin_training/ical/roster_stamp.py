"""A counter that moves whenever the roster changes in a way an event can show (migration 0015).

Events list their participants by name, with the unit each held at the time, in roster order (unit kind and
order, role). The event cache's key (ical/cache.py) used to hash every cadre and unit row for that: a read and
hash of the whole roster on every export — 88,000 cadres at province size, more than the one person's calendar
it was for — and any edit of a cadre (a phone number) made every stored event stale.

`roster_stamp` is one row: a random token, set when the row is created (a copied or restored cache never
matches another database's roster by accident), and `n`, raised by triggers in the writing transaction when
- a cadre is added or removed, or his name, role or current unit changes;
- a unit is added or removed, or its name, kind or order changes;
- a participation's unit changes: the one write path that does so outside a session's own change (which
  raises its SEQUENCE) is roster.reattribute_units, after a post move or a corrected post history, and it
  calls `bump` once. (A trigger per participant row cost half a second when 600 moves re-attributed 18,000
  participations at province size.)
Those are every roster input of an event; everything else an event shows is in its own key. Migration 0015
creates the triggers from this module: changing them later needs a new migration that drops and recreates them.
"""

from __future__ import annotations

from typing import Any

from zhijin_training.db import triggers
from zhijin_training.db.triggers import Trigger

TABLE = "roster_stamp"
# what an event shows or is ordered by, per table; a change of any other column leaves stored events good
SHOWN: dict[str, tuple[str, ...]] = {
    "cadre": ("name", "role", "unit_id"),
    "unit": ("name", "kind", "sort_order"),
}
_BUMP = f"UPDATE {TABLE} SET n = n + 1"


def _changed(dialect: str, columns: tuple[str, ...]) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


def _triggers(dialect: str) -> dict[str, Trigger]:
    out: dict[str, Trigger] = {}
    for table, columns in SHOWN.items():
        out[f"{table}_roster_stamp_insert"] = ("AFTER INSERT", table, [_BUMP], "")
        out[f"{table}_roster_stamp_delete"] = ("AFTER DELETE", table, [_BUMP], "")
        out[f"{table}_roster_stamp_update"] = ("AFTER UPDATE", table, [_BUMP], _changed(dialect, columns))
    return out


def create_triggers_sql(dialect: str) -> list[str]:
    return triggers.create_sql(dialect, _triggers(dialect))


def drop_triggers_sql(dialect: str) -> list[str]:
    return triggers.drop_sql(dialect, _triggers(dialect))


def bump(s: Any) -> None:
    """Move the stamp in the caller's transaction (`s`: a session or connection)."""
    import sqlalchemy as sa

    s.execute(sa.text(_BUMP))


def read(cursor: Any) -> tuple[str, int] | None:
    """(token, n) through a DB-API cursor; None when the row is missing (the stamp then cannot vouch)."""
    cursor.execute(f"SELECT token, n FROM {TABLE}")
    row = cursor.fetchone()
    return (str(row[0]), int(row[1])) if row else None
