"""The audit trail: every create, change and delete of sessions, participants and attendance.

Entries are written in the same transaction as the change they describe, so there is never a change
without its entry. The table is insert-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from zhijin_training.models import AuditEntry
from zhijin_training.services.context import Context
from zhijin_training.timeutil import local_midnight

_SKIP = {"created_at", "updated_at"}
_ONE_DAY = timedelta(days=1)


def snapshot(row: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row's columns, for before/after."""
    if row is None:
        return None
    out: dict[str, Any] = {}
    for key, value in row.model_dump().items():
        if key in _SKIP:
            continue
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[key] = value
    return out


def record(
    ctx: Context,
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    session_id: int | None = None,
    cadre_id: int | None = None,
    reason: str = "",
) -> None:
    session.add(
        AuditEntry(
            at=ctx.now(),
            os_user=ctx.actor.user,
            action=action,
            entity=entity,
            entity_id=entity_id,
            session_id=session_id,
            cadre_id=cadre_id,
            before=before,
            after=after,
            reason=reason,
        )
    )


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    before = before or {}
    after = after or {}
    keys = [k for k in {**before, **after} if k != "version"]
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: int | None
    session_id: int | None
    cadre_id: int | None
    changes: dict[str, tuple[Any, Any]]
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def list_entries(
    ctx: Context,
    *,
    session_id: int | None = None,
    cadre_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    entity: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[AuditView]:
    """Newest first; filters combine. Paged so a ten-year log never loads at once."""
    stmt = select(AuditEntry)
    if session_id is not None:
        stmt = stmt.where(AuditEntry.session_id == session_id)
    if cadre_id is not None:
        stmt = stmt.where(AuditEntry.cadre_id == cadre_id)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= local_midnight(start))
    if end is not None:
        stmt = stmt.where(AuditEntry.at < local_midnight(end) + _ONE_DAY)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    stmt = stmt.order_by(sa.desc(AuditEntry.id)).offset(offset).limit(limit)
    with ctx.db.read() as s:
        rows = s.exec(stmt).all()
        return [
            AuditView(
                id=r.id or 0,
                at=r.at,
                user=r.os_user,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                session_id=r.session_id,
                cadre_id=r.cadre_id,
                changes=changed_fields(r.before, r.after),
                reason=r.reason,
                before=r.before,
                after=r.after,
            )
            for r in rows
        ]
