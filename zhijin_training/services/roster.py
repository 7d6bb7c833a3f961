"""Units and cadres: the roster that changes every year, with post history kept.

A cadre's current unit and post live on the cadre row for quick listing; every post they held lives in
`post` with dates, so unit figures can use who held the post on the day of each session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zhijin_training.models import Cadre, Participant, Post, Role, Unit, UnitKind
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import (
    AmbiguousError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from zhijin_training.services.validation import clean_phone, clean_text, like_pattern, parse_enum
from zhijin_training.services.views import CadreView, PostView, UnitView
from zhijin_training.settings import AccessRole

T = TypeVar("T")

# a unit's people are listed secretary first, then the deputy for party building, then the rest
ROLE_RANK: dict[str, int] = {
    Role.TOWNSHIP_SECRETARY.value: 0,
    Role.DEPUTY_PARTY_BUILDING.value: 1,
    Role.DEPARTMENT_HEAD.value: 2,
}
ROLE_ORDER = sa.case(
    *((col(Cadre.role) == role, rank) for role, rank in ROLE_RANK.items()), else_=len(ROLE_RANK)
)


# ---------------------------------------------------------------- units
def _unit_view(u: Unit) -> UnitView:
    return UnitView(
        id=u.id or 0,
        name=u.name,
        kind=u.kind,
        subkind=u.subkind,
        code=u.code,
        sort_order=u.sort_order,
        active=u.active,
        version=u.version,
    )


def list_units(
    ctx: Context, *, kind: str | None = None, active_only: bool = False, search: str | None = None
) -> list[UnitView]:
    # plain columns, not Unit objects: a province has 9,000 units, and the roster's filter lists them all
    columns = [
        col(Unit.id),
        col(Unit.name),
        col(Unit.kind),
        col(Unit.subkind),
        col(Unit.code),
        col(Unit.sort_order),
        col(Unit.active),
        col(Unit.version),
    ]
    stmt = sa.select(*columns)
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if active_only:
        stmt = stmt.where(col(Unit.active).is_(True))
    if search:
        _check_search(search)
        stmt = stmt.where(col(Unit.name).contains(search.strip()))
    stmt = stmt.order_by(col(Unit.kind).desc(), col(Unit.sort_order), col(Unit.id))
    with ctx.db.read() as s:
        return [
            UnitView(
                id=r[0] or 0,
                name=r[1],
                kind=r[2],
                subkind=r[3],
                code=r[4],
                sort_order=r[5],
                active=bool(r[6]),
                version=r[7],
            )
            for r in s.connection().execute(stmt).all()
        ]


def find_unit(s: Session, ref: str | int) -> Unit:
    """A unit by id (`12` or `#12`), official code, exact name, or a unique part of its name."""
    text = str(ref).strip()
    if not text:
        raise NotFoundError("reference.empty", field="unit", entity="unit")
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) < 9:
        unit = s.get(Unit, int(digits))
        if unit:
            return unit
    by_code = s.exec(select(Unit).where(Unit.code == text)).first()
    if by_code:
        return by_code
    exact = s.exec(select(Unit).where(Unit.name == text)).all()
    if len(exact) == 1:
        return exact[0]
    matches = exact or s.exec(select(Unit).where(col(Unit.name).contains(text))).all()
    active = [u for u in matches if u.active]
    if len(active) == 1:
        return active[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError("reference.no_match", field="unit", entity="unit", ref=text)
    names = "、".join(u.name for u in matches[:6])
    raise AmbiguousError("unit.ambiguous", field="unit", ref=text, count=len(matches), names=names)


def resolve_unit(ctx: Context, ref: str | int) -> UnitView:
    with ctx.db.read() as s:
        return _unit_view(find_unit(s, ref))


def add_unit(
    ctx: Context,
    *,
    name: str,
    kind: str,
    subkind: str = "",
    code: str | None = None,
    sort_order: int | None = None,
) -> UnitView:
    ctx.actor.require(AccessRole.ADMIN, "add units")
    name = clean_text(name, "name", max_len=100, required=True)
    kind_value = parse_enum(UnitKind, kind, "kind", "unit_kind").value
    code = clean_text(code, "code", max_len=20) or None
    with ctx.db.write() as s:
        if code and s.exec(select(Unit).where(Unit.code == code)).first():
            raise ValidationError("unit.code_taken", field="code", code=code)
        if s.exec(select(Unit).where(Unit.name == name, col(Unit.active).is_(True))).first():
            raise ValidationError("unit.name_taken", field="name", name=name)
        if sort_order is None:
            sort_order = (s.exec(select(sa.func.max(Unit.sort_order))).one() or 0) + 1
        unit = Unit(
            name=name,
            kind=kind_value,
            subkind=clean_text(subkind, "subkind", max_len=10),
            code=code,
            sort_order=sort_order,
        )
        s.add(unit)
        s.flush()
        audit.record(ctx, s, action="create", entity="unit", entity_id=unit.id, after=audit.snapshot(unit))
        return _unit_view(unit)


def set_unit_active(
    ctx: Context, unit_id: int, active: bool, *, expected_version: int | None = None
) -> UnitView:
    """Units are never deleted while history refers to them: they are deactivated."""
    ctx.actor.require(AccessRole.ADMIN, "change units")
    with ctx.db.write() as s:
        unit = load_locked(s, Unit, unit_id, "unit", expected_version)
        before = audit.snapshot(unit)
        unit.active = active
        unit.version += 1
        unit.updated_at = ctx.now()
        s.add(unit)
        audit.record(
            ctx,
            s,
            action="update",
            entity="unit",
            entity_id=unit.id,
            before=before,
            after=audit.snapshot(unit),
        )
        return _unit_view(unit)


def delete_unit(ctx: Context, unit_id: int) -> None:
    ctx.actor.require(AccessRole.ADMIN, "delete units")
    with ctx.db.write() as s:
        unit = s.get(Unit, unit_id)
        if unit is None:
            raise NotFoundError("record.not_found", field="unit", entity="unit", ref=f"#{unit_id}")
        used = (
            s.exec(select(sa.func.count()).select_from(Cadre).where(Cadre.unit_id == unit_id)).one()
            + s.exec(select(sa.func.count()).select_from(Post).where(Post.unit_id == unit_id)).one()
            + s.exec(
                select(sa.func.count()).select_from(Participant).where(Participant.unit_id == unit_id)
            ).one()
        )
        if used:
            raise ValidationError("unit.in_use", field="unit", name=unit.name, count=used)
        audit.record(ctx, s, action="delete", entity="unit", entity_id=unit.id, before=audit.snapshot(unit))
        s.delete(unit)


def load_locked(s: Session, model: type[T], row_id: int, entity: str, expected_version: int | None) -> T:
    """The row to change, locked (FOR UPDATE on PostgreSQL), refused if missing or changed since it was read."""
    row = s.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFoundError("record.not_found", field=entity, entity=entity, ref=f"#{row_id}")
    check_version(row, expected_version, entity, "")
    return row


def check_version(row: Any, expected: int | None, entity: str, changed_by: str) -> None:
    if expected is not None and row.version != expected:
        raise ConflictError(
            entity, row.id, changed_by or getattr(row, "updated_by", ""), getattr(row, "updated_at", None)
        )


# ---------------------------------------------------------------- cadres
def _cadre_view(c: Cadre, unit_name: str | None) -> CadreView:
    return CadreView(
        id=c.id or 0,
        ref=c.ref,
        name=c.name,
        unit_id=c.unit_id,
        unit_name=unit_name or "",
        post_title=c.post_title,
        role=c.role,
        phone=c.phone,
        active=c.active,
        note=c.note,
        version=c.version,
    )


SEARCH_LIMIT = 200  # characters: longer is not a search (and SQLite refuses LIKE patterns past 50,000 bytes)


def _check_search(search: str) -> None:
    if len(search) > SEARCH_LIMIT:
        raise ValidationError("trust.search_too_long", field="search", length=len(search), limit=SEARCH_LIMIT)


def _cadre_query(search: str | None, unit_id: int | None, role: str | None, active_only: bool) -> Any:
    stmt = select(Cadre, Unit.name).join(Unit, col(Cadre.unit_id) == Unit.id, isouter=True)
    if active_only:
        stmt = stmt.where(col(Cadre.active).is_(True))
    if unit_id is not None:
        stmt = stmt.where(Cadre.unit_id == unit_id)
    if role:
        stmt = stmt.where(Cadre.role == role)
    _check_search(search or "")
    for word in (search or "").split():
        like = like_pattern(word)
        stmt = stmt.where(
            sa.or_(
                col(Cadre.name).like(like, escape="\\"),
                col(Unit.name).like(like, escape="\\"),
                col(Cadre.post_title).like(like, escape="\\"),
                col(Cadre.ref).like(like, escape="\\"),
                col(Cadre.phone).like(like, escape="\\"),
            )
        )
    return stmt


def list_cadres(
    ctx: Context,
    *,
    search: str | None = None,
    unit_id: int | None = None,
    role: str | None = None,
    active_only: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[CadreView]:
    """Search by name, unit, post, person number or phone (every word must match somewhere)."""
    stmt = _cadre_query(search, unit_id, role, active_only).order_by(
        sa.nulls_last(col(Unit.kind).desc()), col(Unit.sort_order), ROLE_ORDER, col(Cadre.id)
    )
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.db.read() as s:
        return [_cadre_view(c, unit_name) for c, unit_name in s.exec(stmt).all()]


def count_cadres(
    ctx: Context,
    *,
    search: str | None = None,
    unit_id: int | None = None,
    role: str | None = None,
    active_only: bool = True,
) -> int:
    inner = _cadre_query(search, unit_id, role, active_only).subquery()
    with ctx.db.read() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def find_cadre(s: Session, ref: str | int) -> Cadre:
    """A cadre by `#id`, person number, or name — a shared name must be told apart (e.g. 张伟@猫场)."""
    text = str(ref).strip()
    if not text:
        raise NotFoundError("reference.empty", field="cadre", entity="cadre")
    if text.startswith("#") and text[1:].isdigit():
        cadre = s.get(Cadre, int(text[1:]))
        if cadre:
            return cadre
        raise NotFoundError("record.not_found", field="cadre", entity="cadre", ref=text)
    # a bare number is first the office's person number (人员编号), and only failing that an id
    by_ref = s.exec(select(Cadre).where(Cadre.ref == text)).first()
    if by_ref:
        return by_ref
    if text.isdigit() and len(text) < 10:
        cadre = s.get(Cadre, int(text))
        if cadre:
            return cadre
        raise NotFoundError("cadre.no_number", field="cadre", ref=text)
    name, _, unit_part = text.partition("@")
    stmt = select(Cadre).where(Cadre.name == name.strip())
    candidates = list(s.exec(stmt).all())
    if unit_part:
        unit = find_unit(s, unit_part)
        candidates = [c for c in candidates if c.unit_id == unit.id]
    if len(candidates) > 1:
        active = [c for c in candidates if c.active]
        if len(active) == 1:
            return active[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise NotFoundError("cadre.no_name", field="cadre", ref=text)
    units = {
        u.id: u.name for u in s.exec(select(Unit).where(col(Unit.id).in_([c.unit_id for c in candidates])))
    }
    options = "; ".join(f"#{c.id} {c.name}@{units.get(c.unit_id, '?')}" for c in candidates[:6])
    raise AmbiguousError("cadre.ambiguous", field="cadre", ref=text, count=len(candidates), options=options)


def resolve_cadre(ctx: Context, ref: str | int) -> CadreView:
    with ctx.db.read() as s:
        cadre = find_cadre(s, ref)
        unit = s.get(Unit, cadre.unit_id) if cadre.unit_id else None
        return _cadre_view(cadre, unit.name if unit else "")


def get_cadre(ctx: Context, cadre_id: int) -> CadreView:
    return resolve_cadre(ctx, f"#{cadre_id}")


def unit_names(ctx: Context) -> dict[int, str]:
    """id → name of every unit, past ones included (names in stored snapshots), in one plain read."""
    with ctx.db.read() as s:
        return unit_names_in(s)


def unit_names_in(s: Session) -> dict[int, str]:
    """`unit_names` inside a read already open (a report reads them in its own snapshot)."""
    return {int(i): str(n) for i, n in s.connection().execute(sa.select(col(Unit.id), col(Unit.name)))}


def cadre_names(ctx: Context, cadre_ids: Sequence[int]) -> dict[int, str]:
    """id → name of the cadres among `cadre_ids` that exist, in one read (a page of audit entries)."""
    ids = sorted(set(cadre_ids))
    if not ids:
        return {}
    with ctx.db.read() as s:
        stmt = sa.select(col(Cadre.id), col(Cadre.name)).where(col(Cadre.id).in_(ids))
        return {int(i): str(n) for i, n in s.connection().execute(stmt)}


def add_cadre(
    ctx: Context,
    *,
    name: str,
    unit: str | int | None,
    post_title: str = "",
    role: str = Role.OTHER.value,
    phone: str = "",
    note: str = "",
    ref: str | None = None,
    since: date | None = None,
) -> CadreView:
    ctx.actor.require(AccessRole.ADMIN, "change the roster")
    name = clean_text(name, "name", max_len=100, required=True)
    post_title = clean_text(post_title, "post", max_len=200)
    role_value = parse_enum(Role, role, "role", "role").value
    phone = clean_phone(phone)
    note = clean_text(note, "note", max_len=2000)
    ref = clean_text(ref, "ref", max_len=40) or None
    with ctx.db.write() as s:
        unit_row = find_unit(s, unit) if unit not in (None, "") else None
        if ref and s.exec(select(Cadre).where(Cadre.ref == ref)).first():
            raise ValidationError("cadre.ref_taken", field="ref", ref=ref)
        cadre = Cadre(
            name=name,
            unit_id=unit_row.id if unit_row else None,
            post_title=post_title,
            role=role_value,
            phone=phone,
            note=note,
            ref=ref,
        )
        s.add(cadre)
        s.flush()
        assert cadre.id is not None
        s.add(
            Post(
                cadre_id=cadre.id,
                unit_id=cadre.unit_id,
                post_title=post_title,
                role=role_value,
                start_date=since or _today(ctx),
            )
        )
        audit.record(
            ctx,
            s,
            action="create",
            entity="cadre",
            entity_id=cadre.id,
            cadre_id=cadre.id,
            after=audit.snapshot(cadre),
        )
        return _cadre_view(cadre, unit_row.name if unit_row else "")


def update_cadre(
    ctx: Context,
    cadre_id: int,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    phone: str | None = None,
    note: str | None = None,
    ref: str | None = None,
) -> CadreView:
    """Change a cadre's personal details (not the post: use `move_cadre` so history is kept)."""
    ctx.actor.require(AccessRole.ADMIN, "change the roster")
    with ctx.db.write() as s:
        cadre = load_locked(s, Cadre, cadre_id, "cadre", expected_version)
        before = audit.snapshot(cadre)
        if name is not None:
            cadre.name = clean_text(name, "name", max_len=100, required=True)
        if phone is not None:
            cadre.phone = clean_phone(phone)
        if note is not None:
            cadre.note = clean_text(note, "note", max_len=2000)
        if ref is not None:
            new_ref = clean_text(ref, "ref", max_len=40) or None
            if new_ref and new_ref != cadre.ref and s.exec(select(Cadre).where(Cadre.ref == new_ref)).first():
                raise ValidationError("cadre.ref_taken", field="ref", ref=new_ref)
            cadre.ref = new_ref
        return save_cadre(ctx, s, cadre, before)


def save_cadre(
    ctx: Context, s: Session, cadre: Cadre, before: dict[str, Any] | None, *, reason: str = ""
) -> CadreView:
    """Version, timestamp and audit entry for a changed cadre (nothing when nothing changed)."""
    after = audit.snapshot(cadre)
    if audit.changed_fields(before, after):
        cadre.version += 1
        cadre.updated_at = ctx.now()
        s.add(cadre)
        audit.record(
            ctx,
            s,
            action="update",
            entity="cadre",
            entity_id=cadre.id,
            cadre_id=cadre.id,
            before=before,
            after=audit.snapshot(cadre),
            reason=reason,
        )
    unit = s.get(Unit, cadre.unit_id) if cadre.unit_id else None
    return _cadre_view(cadre, unit.name if unit else "")


def move_cadre(
    ctx: Context,
    cadre_id: int,
    *,
    unit: str | int | None,
    post_title: str,
    role: str,
    effective: date,
    expected_version: int | None = None,
) -> CadreView:
    """Promotion or transfer: the current post ends the day before `effective`, a new one begins."""
    ctx.actor.require(AccessRole.ADMIN, "change the roster")
    post_title = clean_text(post_title, "post", max_len=200)
    role_value = parse_enum(Role, role, "role", "role").value
    with ctx.db.write() as s:
        cadre = load_locked(s, Cadre, cadre_id, "cadre", expected_version)
        unit_row = find_unit(s, unit) if unit not in (None, "") else None
        current = _open_post(s, cadre_id)
        if current and effective <= current.start_date:
            raise ValidationError(
                "post.effective_too_early", field="effective", effective=effective, start=current.start_date
            )
        before = audit.snapshot(cadre)
        record_move(ctx, s, cadre, unit_row.id if unit_row else None, post_title, role_value, effective)
        return save_cadre(ctx, s, cadre, before)


def record_move(
    ctx: Context, s: Session, cadre: Cadre, unit_id: int | None, post_title: str, role: str, effective: date
) -> None:
    """Write a post change: the open post ends the day before `effective` (or is corrected in place when it
    began that day or later), a new post begins, and every participation from `effective` on is attributed
    to the new unit — unit figures follow the post held on each session's day, including moves entered late.
    """
    current = _open_post(s, cadre.id or 0)
    if current is not None and current.start_date >= effective:
        current.unit_id, current.post_title, current.role = unit_id, post_title, role
        s.add(current)
    else:
        if current is not None:
            current.end_date = effective - timedelta(days=1)
            s.add(current)
        s.add(
            Post(
                cadre_id=cadre.id or 0,
                unit_id=unit_id,
                post_title=post_title,
                role=role,
                start_date=effective,
            )
        )
    cadre.unit_id, cadre.post_title, cadre.role = unit_id, post_title, role
    s.add(cadre)
    s.flush()
    reattribute_units(ctx, s, cadre.id or 0, since=effective)


def reattribute_units(ctx: Context, s: Session, cadre_id: int, *, since: date) -> int:
    """Recompute the unit of a cadre's participations on or after `since` from post history; audited."""
    from zhijin_training.models import TrainingSession
    from zhijin_training.timeutil import local_date, local_midnight

    posts = s.exec(select(Post).where(Post.cadre_id == cadre_id).order_by(col(Post.start_date))).all()
    fallback = s.get(Cadre, cadre_id)
    rows = s.exec(
        select(Participant, TrainingSession.starts_at)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .where(Participant.cadre_id == cadre_id, TrainingSession.starts_at >= local_midnight(since))
    ).all()
    changed = 0
    spans = [(p.start_date, p.end_date, p.unit_id) for p in posts]
    for participant, starts_at in rows:
        unit_id = unit_held(spans, local_date(starts_at), fallback.unit_id if fallback else None)
        if participant.unit_id != unit_id:
            before = audit.snapshot(participant)
            participant.unit_id = unit_id
            s.add(participant)
            audit.record(
                ctx,
                s,
                action="update",
                entity="participant",
                entity_id=participant.id,
                session_id=participant.session_id,
                cadre_id=cadre_id,
                before=before,
                after=audit.snapshot(participant),
                reason="post change",
            )
            changed += 1
    if changed:  # the sessions' events list these people under another unit now (ical/roster_stamp.py)
        from zhijin_training.ical import roster_stamp

        s.flush()
        roster_stamp.bump(s)
    return changed


def unit_held(
    posts: Sequence[tuple[date, date | None, int | None]], day: date, fallback: int | None
) -> int | None:
    """The unit of the post held on `day`: posts as (start, end, unit) in start order, the last one that covers
    the day wins; `fallback` (the cadre's current unit) when none does. The roster import uses it too."""
    held = [unit for start, end, unit in posts if start <= day and (end is None or end >= day)]
    return held[-1] if held else fallback


def set_cadre_active(
    ctx: Context, cadre_id: int, active: bool, *, expected_version: int | None = None, on: date | None = None
) -> CadreView:
    """Deactivating (retired, left the county) closes the open post; history stays."""
    ctx.actor.require(AccessRole.ADMIN, "change the roster")
    with ctx.db.write() as s:
        cadre = load_locked(s, Cadre, cadre_id, "cadre", expected_version)
        before = audit.snapshot(cadre)
        cadre.active = active
        current = _open_post(s, cadre_id)
        if not active and current:
            current.end_date = max(on or _today(ctx), current.start_date)
            s.add(current)
        return save_cadre(ctx, s, cadre, before)


def _open_post(s: Session, cadre_id: int) -> Post | None:
    return s.exec(
        select(Post)
        .where(Post.cadre_id == cadre_id, col(Post.end_date).is_(None))
        .order_by(col(Post.start_date).desc())
    ).first()


def post_history(ctx: Context, cadre_id: int) -> list[PostView]:
    with ctx.db.read() as s:
        rows = s.exec(
            select(Post, Unit.name)
            .join(Unit, col(Post.unit_id) == Unit.id, isouter=True)
            .where(Post.cadre_id == cadre_id)
            .order_by(col(Post.start_date))
        ).all()
        return [
            PostView(
                id=p.id or 0,
                cadre_id=p.cadre_id,
                unit_id=p.unit_id,
                unit_name=unit_name or "",
                post_title=p.post_title,
                role=p.role,
                start_date=p.start_date,
                end_date=p.end_date,
            )
            for p, unit_name in rows
        ]


def units_on(s: Session, cadre_ids: list[int], day: date) -> dict[int, int | None]:
    """The unit each cadre's post belonged to on `day` (falling back to the current unit)."""
    if not cadre_ids:
        return {}
    result: dict[int, int | None] = {}
    for chunk_start in range(0, len(cadre_ids), 500):
        chunk = cadre_ids[chunk_start : chunk_start + 500]
        posts = s.exec(
            select(Post.cadre_id, Post.unit_id)
            .where(
                col(Post.cadre_id).in_(chunk),
                Post.start_date <= day,
                sa.or_(col(Post.end_date).is_(None), col(Post.end_date) >= day),
            )
            .order_by(col(Post.start_date))
        ).all()
        for cadre_id, unit_id in posts:
            result[cadre_id] = unit_id
        missing = [c for c in chunk if c not in result]
        if missing:
            for cadre_id, unit_id in s.exec(
                select(Cadre.id, Cadre.unit_id).where(col(Cadre.id).in_(missing))
            ):
                result[cadre_id or 0] = unit_id
    return result


def _today(ctx: Context) -> date:
    from zhijin_training.timeutil import local_date

    return local_date(ctx.now())
