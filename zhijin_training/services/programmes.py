"""Programmes (培训项目): lecture series, study trips, secondments, courses, meetings."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from zhijin_training.models import (
    AudienceRule,
    Cadre,
    Programme,
    ProgrammeAudience,
    ProgrammeKind,
    Role,
    Unit,
)
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import AmbiguousError, NotFoundError, ValidationError
from zhijin_training.services.roster import ROLE_ORDER, check_version, find_cadre, find_unit
from zhijin_training.services.validation import clean_text, parse_enum
from zhijin_training.services.views import ProgrammeView
from zhijin_training.settings import AccessRole


def _view(p: Programme, audience: Iterable[ProgrammeAudience] = ()) -> ProgrammeView:
    return ProgrammeView(
        id=p.id or 0,
        kind=p.kind,
        title=p.title,
        description=p.description,
        organiser=p.organiser,
        default_topic=p.default_topic,
        destinations=tuple(p.destinations or ()),
        host_place=p.host_place,
        alarm_minutes=p.alarm_minutes,
        active=p.active,
        version=p.version,
        audience=tuple((a.rule, a.value) for a in audience),
    )


def list_programmes(
    ctx: Context, *, kind: str | None = None, active_only: bool = False
) -> list[ProgrammeView]:
    stmt = select(Programme)
    if kind:
        stmt = stmt.where(Programme.kind == kind)
    if active_only:
        stmt = stmt.where(col(Programme.active).is_(True))
    with ctx.db.read() as s:
        programmes = s.exec(stmt.order_by(col(Programme.id))).all()
        rules = s.exec(select(ProgrammeAudience).order_by(col(ProgrammeAudience.id))).all()
        by_programme: dict[int, list[ProgrammeAudience]] = {}
        for rule in rules:
            by_programme.setdefault(rule.programme_id, []).append(rule)
        return [_view(p, by_programme.get(p.id or 0, [])) for p in programmes]


def find_programme(s: Session, ref: str | int) -> Programme:
    text = str(ref).strip()
    if text.lstrip("#").isdigit():
        programme = s.get(Programme, int(text.lstrip("#")))
        if programme:
            return programme
        raise NotFoundError(
            "record.not_found", field="programme", entity="programme", ref=f"#{text.lstrip('#')}"
        )
    matches = (
        s.exec(select(Programme).where(Programme.title == text)).all()
        or s.exec(select(Programme).where(col(Programme.title).contains(text))).all()
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError("reference.no_match", field="programme", entity="programme", ref=text)
    raise AmbiguousError("programme.ambiguous", field="programme", ref=text, count=len(matches))


def get_programme(ctx: Context, ref: str | int) -> ProgrammeView:
    with ctx.db.read() as s:
        p = find_programme(s, ref)
        rules = s.exec(select(ProgrammeAudience).where(ProgrammeAudience.programme_id == p.id)).all()
        return _view(p, rules)


def _clean_rules(s: Session, audience: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Normalise audience rules: units and cadres are stored by id, roles and kinds by value."""
    cleaned: list[tuple[str, str]] = []
    for rule_text, value in audience:
        rule = parse_enum(AudienceRule, rule_text, "audience")
        if rule is AudienceRule.ROLE:
            cleaned.append((rule.value, parse_enum(Role, value, "audience", "role").value))
        elif rule is AudienceRule.UNIT:
            cleaned.append((rule.value, str(find_unit(s, value).id)))
        elif rule is AudienceRule.CADRE:
            cleaned.append((rule.value, str(find_cadre(s, value).id)))
        else:
            from zhijin_training.models import UnitKind

            cleaned.append((rule.value, parse_enum(UnitKind, value, "audience", "unit_kind").value))
    return list(dict.fromkeys(cleaned))


def add_programme(
    ctx: Context,
    *,
    kind: str,
    title: str,
    description: str = "",
    organiser: str = "",
    default_topic: str = "",
    destinations: Iterable[str] = (),
    host_place: str = "",
    alarm_minutes: int | None = None,
    audience: Iterable[tuple[str, str]] = (),
) -> ProgrammeView:
    ctx.actor.require(AccessRole.EDITOR, "add programmes")
    kind_value = parse_enum(ProgrammeKind, kind, "kind", "programme_kind").value
    title = clean_text(title, "title", max_len=200, required=True)
    if alarm_minutes is not None and not 0 <= alarm_minutes <= 7 * 24 * 60:
        raise ValidationError(
            "programme.alarm_range", field="alarm", minutes=alarm_minutes, limit=7 * 24 * 60
        )
    with ctx.db.write() as s:
        programme = Programme(
            kind=kind_value,
            title=title,
            description=clean_text(description, "description", max_len=5000),
            organiser=clean_text(organiser, "organiser", max_len=200),
            default_topic=clean_text(default_topic, "topic", max_len=100),
            destinations=[clean_text(d, "destination", max_len=100, required=True) for d in destinations],
            host_place=clean_text(host_place, "host_place", max_len=200),
            alarm_minutes=alarm_minutes,
        )
        s.add(programme)
        s.flush()
        rules = [
            ProgrammeAudience(programme_id=programme.id or 0, rule=r, value=v)
            for r, v in _clean_rules(s, audience)
        ]
        s.add_all(rules)
        audit.record(
            ctx,
            s,
            action="create",
            entity="programme",
            entity_id=programme.id,
            after=audit.snapshot(programme) | {"audience": [[r.rule, r.value] for r in rules]},
        )
        return _view(programme, rules)


def set_audience(
    ctx: Context,
    programme_id: int,
    audience: Iterable[tuple[str, str]],
    *,
    expected_version: int | None = None,
) -> ProgrammeView:
    ctx.actor.require(AccessRole.EDITOR, "change programmes")
    with ctx.db.write() as s:
        programme = s.get(Programme, programme_id, with_for_update=True)
        if programme is None:
            raise NotFoundError(
                "record.not_found", field="programme", entity="programme", ref=f"#{programme_id}"
            )
        check_version(programme, expected_version, "programme", "")
        old = s.exec(select(ProgrammeAudience).where(ProgrammeAudience.programme_id == programme_id)).all()
        before = [[r.rule, r.value] for r in old]
        for r in old:
            s.delete(r)
        s.flush()
        rules = [
            ProgrammeAudience(programme_id=programme_id, rule=r, value=v)
            for r, v in _clean_rules(s, audience)
        ]
        s.add_all(rules)
        programme.version += 1
        programme.updated_at = ctx.now()
        s.add(programme)
        audit.record(
            ctx,
            s,
            action="update",
            entity="programme",
            entity_id=programme_id,
            before={"audience": before},
            after={"audience": [[r.rule, r.value] for r in rules]},
        )
        return _view(programme, rules)


def audience_cadre_ids(s: Session, programme_id: int) -> list[int]:
    """Resolve a programme's default participants to today's active cadres, in roster order."""
    rules = s.exec(select(ProgrammeAudience).where(ProgrammeAudience.programme_id == programme_id)).all()
    if not rules:
        return []
    conditions = []
    for r in rules:
        if r.rule == AudienceRule.ROLE:
            conditions.append(Cadre.role == r.value)
        elif r.rule == AudienceRule.UNIT:
            conditions.append(Cadre.unit_id == int(r.value))
        elif r.rule == AudienceRule.CADRE:
            conditions.append(Cadre.id == int(r.value))
        elif r.rule == AudienceRule.UNIT_KIND:
            conditions.append(Unit.kind == r.value)
    import sqlalchemy as sa

    stmt = (
        select(Cadre.id)
        .join(Unit, col(Cadre.unit_id) == Unit.id, isouter=True)
        .where(col(Cadre.active).is_(True), sa.or_(*conditions))
        .order_by(sa.nulls_last(col(Unit.kind).desc()), col(Unit.sort_order), ROLE_ORDER, col(Cadre.id))
    )
    return [int(i) for i in s.exec(stmt).all() if i is not None]
