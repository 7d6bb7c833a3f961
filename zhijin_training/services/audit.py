"""The audit trail: every create, change and delete of sessions, participants and attendance.

Entries are written in the same transaction as the change they describe, so there is never a change
without its entry. The table is insert-only (database triggers refuse UPDATE and DELETE) and a hash chain
(db/chain.py): `verify_chain` finds the first entry that was removed, inserted or rewritten, `replay_check`
finds every row whose current content differs from what its last audit entry says, and `receipt` is the
short proof printed on every ledger, review and notice.

On SQLite everyone who can open the file can also write it: the roles guard against mistakes, the chain
makes a change outside the program visible afterwards. Only PostgreSQL can refuse it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from zhijin_training.db import chain
from zhijin_training.models import AuditEntry, Cadre, Participant, Programme, TrainingSession, Unit
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


def snapshot_values(model: type[SQLModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """`snapshot` of a row read or written without ORM objects (the bulk paths), from a mapping that has every
    column of `model`: the same keys and values, in field order (an ORM object's dump may list its keys in
    another order, which neither the JSON nor the chain's hash, over sorted keys, depends on)."""
    keys = list(model.model_fields)
    out: dict[str, Any] = {}
    for key in keys:
        if key in _SKIP:
            continue
        value = values[key]
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
    real = _os_user()  # never taken from the caller: a Context built by hand cannot hide who ran it
    append(
        session,
        AuditEntry(
            at=ctx.now(),
            os_user=ctx.actor.user,
            # who really runs the program: ZHIJIN_TRAINING_USER or a Context built by hand cannot hide it
            real_user=real if real != ctx.actor.user else "",
            action=action,
            entity=entity,
            entity_id=entity_id,
            session_id=session_id,
            cadre_id=cadre_id,
            before=before,
            after=after,
            reason=reason,
            operation=operation_of(session),
        ),
    )


@cache
def _os_user() -> str:
    from zhijin_training.settings import real_os_user

    return real_os_user()


_TAIL_KEY = "zt_audit_tail"
_PG_CHAIN_LOCK = 7_011_011  # pg_advisory_xact_lock key: one writer extends the chain at a time


def _chain_tail(session: Session, os_user: str) -> str:
    """The hash of the chain's last entry as this write transaction sees it (read once per transaction)."""
    transaction = session.get_transaction()
    tail = session.info.get(_TAIL_KEY)
    if tail is None or tail[0] is not transaction:
        bind = session.connection()
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_CHAIN_LOCK})")
            # with `db roles setup` done, the database vouches for each entry (db/pg_roles.py) and audits by
            # itself the rows this transaction changes without an entry of ours, naming who we act as
            bind.execute(sa.text("SELECT set_config('zhijin.acting_as', :user, true)"), {"user": os_user})
        last = bind.exec_driver_sql("SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1").scalar()
        tail = session.info[_TAIL_KEY] = (transaction, last or chain.GENESIS)
    return str(tail[1])


def append(session: Session, entry: AuditEntry) -> None:
    """Add `entry` linked to the chain's current end (in the caller's write transaction)."""
    entry.prev_hash = _chain_tail(session, entry.os_user)
    entry.entry_hash = chain.entry_hash(entry.model_dump(), entry.prev_hash)
    session.info[_TAIL_KEY] = (session.get_transaction(), entry.entry_hash)
    session.add(entry)


def record_many(ctx: Context, session: Session, entries: Sequence[Mapping[str, Any]]) -> None:
    """Many entries in this order, as `record` would write them one by one (the same columns, operation and
    chain), inserted with one executemany: a roster import writes thousands. Each entry names action, entity
    and entity_id, and optionally session_id, cadre_id, before, after and reason."""
    if not entries:
        return
    session.flush()  # entries `record` added before these take their ids, the chain's order, first
    user = ctx.actor.user
    real = _os_user()
    operation = operation_of(session)
    prev = _chain_tail(session, user)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row = {
            "at": ctx.now(),
            "os_user": user,
            "real_user": real if real != user else "",
            "action": entry["action"],
            "entity": entry["entity"],
            "entity_id": entry["entity_id"],
            "session_id": entry.get("session_id"),
            "cadre_id": entry.get("cadre_id"),
            "before": entry.get("before"),
            "after": entry.get("after"),
            "reason": entry.get("reason", ""),
            "operation": operation,
            "prev_hash": prev,
        }
        prev = row["entry_hash"] = chain.entry_hash(row, prev)
        rows.append(row)
    session.info[_TAIL_KEY] = (session.get_transaction(), prev)
    session.connection().execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]


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
    real_user: str = ""  # who really ran the program, when not `user`


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
        return [_view(r) for r in rows]


# ---------------------------------------------------------------- tamper evidence
_CHAIN_COLUMNS = (
    "id", "at", "os_user", "real_user", "action", "entity", "entity_id", "session_id", "cadre_id",
    "before", "after", "reason", "prev_hash", "entry_hash",
)
# added by a later revision (0008): read when the database has it, so a backup at any revision verifies
_CHAIN_OPTIONAL = ("operation",)


def chain_rows(connection: Any) -> Any:
    """Every entry in chain order as a mapping, from a SQLAlchemy or a DB-API (sqlite3) connection."""
    run = connection.exec_driver_sql if hasattr(connection, "exec_driver_sql") else connection.execute
    present = {str(name) for name in _column_names(run("SELECT * FROM audit_log WHERE 1 = 0"))}
    fields = _CHAIN_COLUMNS + tuple(c for c in _CHAIN_OPTIONAL if c in present)
    for row in run(f"SELECT {', '.join(fields)} FROM audit_log ORDER BY id"):
        yield dict(zip(fields, tuple(row), strict=True))


def _column_names(result: Any) -> list[str]:
    if hasattr(result, "keys"):  # SQLAlchemy CursorResult
        return list(result.keys())
    return [d[0] for d in result.description]  # sqlite3 cursor


def verify_chain(ctx: Context, *, stop_at: int | None = None) -> chain.ChainReport:
    with ctx.db.engine.connect() as conn:
        if not ctx.db.is_sqlite and conn.exec_driver_sql(
            "SELECT to_regprocedure('public.zt_chain_verify(bigint)') IS NOT NULL"
        ).scalar():
            # the database's own walk (the same hash, in plpgsql): a viewer, who may not read the snapshots
            # with phone numbers, can verify the chain too
            count, last, broken, problem = conn.execute(
                sa.text("SELECT * FROM public.zt_chain_verify(:stop)"), {"stop": stop_at}
            ).one()
            return chain.ChainReport(int(count), last, int(broken) if broken is not None else None, problem)
        return chain.verify(chain_rows(conn), stop_at=stop_at)


def receipt(ctx: Context) -> str:
    """The chain's receipt for a printed document: "entries:short-hash" (e.g. "4817:3fa2c1d09be4").

    Whoever later rewrites the log (even recomputing every hash) cannot make entry N hash the same again;
    `check --receipt N:HASH` proves it.
    """
    with ctx.db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT COUNT(*), (SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_log"
        ).one()
    return f"{row[0]}:{(row[1] or chain.GENESIS)[: chain.RECEIPT_DIGITS]}"


@dataclass(frozen=True)
class ReceiptCheck:
    count: int
    digest: str
    matches: bool  # the first `count` entries still hash to `digest`
    entries_now: int


def check_receipt(ctx: Context, count: int, digest: str) -> ReceiptCheck:
    report = verify_chain(ctx, stop_at=count) if count else chain.ChainReport(0, chain.GENESIS)
    total = int(_scalar(ctx, "SELECT COUNT(*) FROM audit_log") or 0)
    matches = report.ok and report.count == count and report.last_hash.startswith(digest)
    return ReceiptCheck(count, digest, matches, total)


def _scalar(ctx: Context, sql: str) -> Any:
    with ctx.db.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


@dataclass(frozen=True)
class OutsideChange:
    table: str
    row_id: int
    kind: str  # "changed" (differs from its last audited state), "unaudited" (no entry), "deleted", "revived"
    fields: tuple[str, ...] = ()


# which audit entities describe the rows of which table
_REPLAYED: tuple[tuple[str, type[SQLModel], frozenset[str]], ...] = (
    ("unit", Unit, frozenset({"unit"})),
    ("cadre", Cadre, frozenset({"cadre"})),
    ("programme", Programme, frozenset({"programme"})),
    ("training_session", TrainingSession, frozenset({"session"})),
    ("participant", Participant, frozenset({"participant", "attendance"})),
)


def replay_check(ctx: Context, *, limit: int = 1000) -> list[OutsideChange]:
    """Every row of units, cadres, programmes, sessions and participants whose content is not what the audit
    log says happened to it last (changed, inserted or deleted outside the program)."""
    import json

    owner = {entity: table for table, _model, entities in _REPLAYED for entity in entities}
    last: dict[tuple[str, int], tuple[str, dict[str, Any] | None]] = {}
    start: dict[str, int] = {}
    with ctx.db.engine.connect() as conn:
        present = {str(name) for name in _column_names(conn.exec_driver_sql("SELECT * FROM audit_log WHERE 1 = 0"))}
        operation = "operation" if "operation" in present else "NULL"
        for entity, entity_id, action, after, op in conn.exec_driver_sql(
            f"SELECT entity, entity_id, action, after, {operation} FROM audit_log "
            "WHERE entity_id IS NOT NULL ORDER BY id"
        ):
            table = owner.get(entity)
            if table is None:
                continue
            if isinstance(after, str):
                after = json.loads(after)
            if after and str(op or "").startswith("db:"):
                # written by the database (pg_roles): its instants are PostgreSQL's text, not ours
                after = {k: v for k, v in after.items() if not k.endswith("_at")}
            last[(table, int(entity_id))] = (action, after)
        raw = conn.exec_driver_sql("SELECT value FROM app_setting WHERE key = 'audit.chain_start'").scalar()
        if raw:
            start = {k: int(v) for k, v in json.loads(raw).items()}
    found: list[OutsideChange] = []
    with ctx.db.read() as s:
        for table, model, _entities in _REPLAYED:
            seen: set[int] = set()
            for row in s.exec(select(model).order_by(model.id)):  # type: ignore[attr-defined]
                row_id = int(row.id)  # type: ignore[attr-defined]
                seen.add(row_id)
                state = last.get((table, row_id))
                if state is None:
                    if row_id > start.get(table, 0):
                        found.append(OutsideChange(table, row_id, "unaudited"))
                elif state[0] == "delete":
                    found.append(OutsideChange(table, row_id, "revived"))
                elif state[1] is not None:
                    now = snapshot(row) or {}
                    differing = tuple(k for k in now if k in state[1] and now[k] != state[1][k])
                    if differing:
                        found.append(OutsideChange(table, row_id, "changed", differing))
                if len(found) >= limit:
                    return found
            for (kind, row_id), (action, _after) in last.items():
                if kind == table and action != "delete" and row_id not in seen:
                    found.append(OutsideChange(table, row_id, "deleted"))
    return found


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
        real_user=r.real_user,
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
