"""The audit trail: every create, change and delete of sessions, participants and attendance.

Entries are written in the same transaction as the change they describe, so there is never a change
without its entry. The table is insert-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

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
            operation=operation_of(session),
        )
    )


def operation_of(session: Session) -> str:
    """The operation key of a write transaction: every entry it records shares it (one Session per transaction,
    see db.engine.Database.write)."""
    key = session.info.get(_OPERATION)
    if key is None:
        key = session.info[_OPERATION] = uuid.uuid4().hex
    return str(key)


_OPERATION = "zhijin_audit_operation"


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


# ---------------------------------------------------------------- operations
@dataclass(frozen=True)
class AuditGroup:
    """One operation: the entries one service call wrote together (a new session with its 88 participants, a
    whole lecture series, "everyone else present"). `head` names it; the rest is counted and can be opened."""

    key: str
    head: AuditView
    entry_ids: tuple[int, ...]  # newest first
    kinds: tuple[tuple[str, str, int], ...]  # (action, entity, entries), most entries first
    session_ids: tuple[int, ...]  # the sessions it touched, newest first

    @property
    def size(self) -> int:
        return len(self.entry_ids)

    def count(self, action: str, entity: str) -> int:
        return next((n for a, e, n in self.kinds if (a, e) == (action, entity)), 0)


@dataclass(frozen=True)
class GroupPage:
    groups: list[AuditGroup]
    next_before: int | None  # pass as `before_id` for the next (older) page; None: nothing older


def group_key(operation: str | None, user: str, session_id: int | None, action: str, at: datetime) -> str:
    """Entries of one operation share a key. Older entries (no operation recorded) fall back to who, which
    session, which action and the second they were written."""
    if operation:
        return operation
    return f"legacy|{user}|{session_id or ''}|{action}|{at:%Y-%m-%d %H:%M:%S}"


_SCAN_CHUNK = 2000


def list_groups(
    ctx: Context,
    *,
    session_id: int | None = None,
    cadre_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    entity: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> GroupPage:
    """Operations, newest first, with the same filters as `list_entries`; paged by `before_id`.

    The scan reads only the small columns, so an operation of thousands of entries (a year's lecture series)
    costs one pass over ids, and loads full entries only for the heads.
    """
    cols = (
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.os_user,
        AuditEntry.action,
        AuditEntry.entity,
        AuditEntry.session_id,
        AuditEntry.operation,
    )
    base = select(*cols)
    if session_id is not None:
        base = base.where(AuditEntry.session_id == session_id)
    if cadre_id is not None:
        base = base.where(AuditEntry.cadre_id == cadre_id)
    if start is not None:
        base = base.where(AuditEntry.at >= local_midnight(start))
    if end is not None:
        base = base.where(AuditEntry.at < local_midnight(end) + _ONE_DAY)
    if entity:
        base = base.where(AuditEntry.entity == entity)
    groups: dict[str, _Building] = {}
    cursor = before_id
    next_before: int | None = None
    with ctx.db.read() as s:
        while True:
            stmt = base
            if cursor is not None:
                stmt = stmt.where(col(AuditEntry.id) < cursor)
            rows = s.exec(stmt.order_by(sa.desc(AuditEntry.id)).limit(_SCAN_CHUNK)).all()
            for entry_id, at, user, action, entity_name, sid, operation in rows:
                key = group_key(operation, user, sid, action, at)
                building = groups.get(key)
                if building is None:
                    if len(groups) >= limit:
                        next_before = entry_id + 1
                        break
                    building = groups[key] = _Building()
                building.add(entry_id, action, entity_name, sid)
            else:
                if len(rows) == _SCAN_CHUNK:
                    cursor = rows[-1][0]
                    continue
            break
        heads = _views(s, [b.head_id for b in groups.values()])
    return GroupPage(
        [b.build(key, heads[b.head_id]) for key, b in groups.items() if b.head_id in heads], next_before
    )


class _Building:
    """An operation while its entries are read, newest first."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.kinds: dict[tuple[str, str], int] = {}
        self.sessions: dict[int, None] = {}
        self.head_id = 0
        self.head_rank = 9

    def add(self, entry_id: int, action: str, entity: str, session_id: int | None) -> None:
        self.ids.append(entry_id)
        self.kinds[(action, entity)] = self.kinds.get((action, entity), 0) + 1
        if session_id is not None:
            self.sessions.setdefault(session_id)
        # the entry that names the operation: a session created, else a session changed, else the newest
        rank = 0 if (entity, action) == ("session", "create") else 1 if entity == "session" else 2
        if rank < self.head_rank:
            self.head_id, self.head_rank = entry_id, rank

    def build(self, key: str, head: AuditView) -> AuditGroup:
        kinds = sorted(self.kinds.items(), key=lambda kv: -kv[1])
        return AuditGroup(
            key, head, tuple(self.ids), tuple((a, e, n) for (a, e), n in kinds), tuple(self.sessions)
        )


def _view(r: AuditEntry) -> AuditView:
    return AuditView(
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


def _views(s: Session, ids: Sequence[int]) -> dict[int, AuditView]:
    out: dict[int, AuditView] = {}
    for i in range(0, len(ids), 500):
        for r in s.exec(select(AuditEntry).where(col(AuditEntry.id).in_(list(ids[i : i + 500])))).all():
            out[r.id or 0] = _view(r)
    return out


def group_entries(ctx: Context, entry_ids: Sequence[int], *, limit: int = 1000) -> list[AuditView]:
    """The entries of one operation (newest first), to open it up."""
    with ctx.db.read() as s:
        views = _views(s, list(entry_ids)[:limit])
    return [views[i] for i in entry_ids[:limit] if i in views]
