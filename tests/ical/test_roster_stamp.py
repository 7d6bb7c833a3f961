"""The roster stamp (0015): its triggers move it for every roster change an event can show, on each engine,
and for nothing else — so a phone number no longer makes every stored event stale."""

from __future__ import annotations

import sqlalchemy as sa

from zhijin_training.ical import cache, export
from zhijin_training.services.context import Context


def _stamp(ctx: Context) -> tuple[str, int]:
    with ctx.db.engine.connect() as conn:
        token, n = conn.execute(sa.text("SELECT token, n FROM roster_stamp")).one()
    return str(token), int(n)


def _run(ctx: Context, sql: str, **params: object) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _ids(ctx: Context) -> tuple[int, int, int, int]:
    """A cadre, a unit other than his, a participation of his, and another unit for it."""
    with ctx.db.engine.connect() as conn:
        cadre, unit = conn.execute(
            sa.text("SELECT id, unit_id FROM cadre WHERE unit_id IS NOT NULL LIMIT 1")
        ).one()
        other = conn.execute(sa.text("SELECT min(id) FROM unit WHERE id != :u"), {"u": unit}).scalar_one()
        part = conn.execute(
            sa.text("SELECT min(id) FROM participant WHERE cadre_id = :c"), {"c": cadre}
        ).scalar()
    return int(cadre), int(other), int(part or 0), int(unit)


def test_shown_changes_move_the_stamp_and_others_do_not(engine_ctx: Context) -> None:
    from tests.reports.conftest import build_world

    ctx = engine_ctx
    build_world(ctx)  # cadres in units, sessions with participants
    cadre, other, participation, unit = _ids(ctx)
    token, n = _stamp(ctx)
    assert len(token) == 32
    moved = [
        ("UPDATE cadre SET name = name || '甲' WHERE id = :i", {"i": cadre}),
        (
            "UPDATE cadre SET role = 'department_head' WHERE id = :i AND role != 'department_head'",
            {"i": cadre},
        ),
        ("UPDATE cadre SET unit_id = :u WHERE id = :i", {"i": cadre, "u": other}),
        ("UPDATE unit SET name = name || '乙' WHERE id = :i", {"i": unit}),
        ("UPDATE unit SET sort_order = sort_order + 100 WHERE id = :i", {"i": unit}),
        ("UPDATE unit SET kind = 'department' WHERE id = :i AND kind != 'department'", {"i": unit}),
    ]
    for sql, params in moved:
        before = _stamp(ctx)[1]
        _run(ctx, sql, **params)
        assert _stamp(ctx)[1] > before, sql
    still = [
        ("UPDATE cadre SET phone = '13900000000', version = version + 1 WHERE id = :i", {"i": cadre}),
        ("UPDATE cadre SET name = name WHERE id = :i", {"i": cadre}),  # written, not changed
        ("UPDATE unit SET version = version + 1 WHERE id = :i", {"i": unit}),
    ]
    assert participation
    still.append(("UPDATE participant SET note = '备注' WHERE id = :i", {"i": participation}))
    for sql, params in still:
        before = _stamp(ctx)[1]
        _run(ctx, sql, **params)
        assert _stamp(ctx)[1] == before, sql
    assert _stamp(ctx)[0] == token and _stamp(ctx)[1] > n


def test_re_attributed_participations_move_the_stamp(engine_ctx: Context) -> None:
    """The one write path that changes a participation's unit outside a session change (post moves and
    corrected post histories) moves the stamp itself, once; finding nothing to change moves nothing."""
    from datetime import date

    from tests.reports.conftest import build_world
    from zhijin_training.services import roster

    ctx = engine_ctx
    build_world(ctx)
    cadre, other, participation, _unit = _ids(ctx)
    _run(ctx, "UPDATE participant SET unit_id = :u WHERE id = :i", u=other, i=participation)  # by hand
    before = _stamp(ctx)[1]
    with ctx.db.write() as s:
        assert roster.reattribute_units(ctx, s, cadre, since=date(2000, 1, 1)) >= 1
    assert _stamp(ctx)[1] == before + 1
    with ctx.db.write() as s:
        assert roster.reattribute_units(ctx, s, cadre, since=date(2000, 1, 1)) == 0
    assert _stamp(ctx)[1] == before + 1


def test_adding_and_removing_roster_rows_moves_the_stamp(engine_ctx: Context) -> None:
    ctx = engine_ctx
    from zhijin_training.services import roster

    before = _stamp(ctx)[1]
    unit = roster.add_unit(ctx, name="测试新单位", kind="department")
    after_unit = _stamp(ctx)[1]
    assert after_unit > before
    roster.delete_unit(ctx, unit.id)
    assert _stamp(ctx)[1] > after_unit


def test_without_its_row_the_key_falls_back_to_the_whole_roster(demo_ctx: Context) -> None:
    """A stamp row deleted by hand cannot vouch for the roster: the key then hashes the roster itself."""
    with demo_ctx.db.read() as s:
        kw = {"alarms": export.alarm_settings(s), "organizer": export._org(demo_ctx), "prefix": "x"}
        with_stamp = cache.world_stamp(s, **kw)  # type: ignore[arg-type]
    _run(demo_ctx, "DELETE FROM roster_stamp")
    with demo_ctx.db.read() as s:
        without = cache.world_stamp(s, **kw)  # type: ignore[arg-type]
    _run(demo_ctx, "UPDATE cadre SET name = name || '丙' WHERE id = (SELECT min(id) FROM cadre)")
    with demo_ctx.db.read() as s:
        renamed = cache.world_stamp(s, **kw)  # type: ignore[arg-type]
    assert len({with_stamp, without, renamed}) == 3
