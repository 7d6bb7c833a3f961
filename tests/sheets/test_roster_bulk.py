"""The bulk roster import writes exactly what importing row by row wrote.

`_row_by_row` below is the import's write path as it was before it was made bulk (ORM objects, one flush per
row, `hours.record_rank`, `roster.record_move`, `roster.save_cadre`, `audit.record`). Two copies of the same
database import the same 500-row file, one each way; every table must come out the same, audit log included
(every entry, in the same order, with the same columns and before/after), and the bulk copy's chain verifies.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from tests.conftest import ENGINES, FIXED_NOW, make_ctx, make_ctx_url, pg_create, pg_drop
from tests.errors import raises_code
from zhijin_training.models import Cadre, Post, Role
from zhijin_training.services import audit, hours, programmes, roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, ValidationError
from zhijin_training.services.hours import record_rank
from zhijin_training.services.roster import find_unit, record_move, save_cadre
from zhijin_training.sheets import roster_io
from zhijin_training.sheets.roster_io import PERSON_FIELDS, ImportResult, RowPlan
from zhijin_training.timeutil import LOCAL_TZ, local_date

TODAY = local_date(FIXED_NOW)  # 2026-11-24
LONG_AGO = date(2025, 1, 1)
EXISTING = 200
NEW_ROWS = 300
# what the file does (see _roster_file): 4 people without a person number move unit and so are new people;
# 146 changed, of whom 76 take a new post (7 of those corrected in place: their post began today)
NEW, CHANGED, UNCHANGED, MOVED = NEW_ROWS + 4, 146, 50, 76
HEADER = ["人员编号", "姓名", "单位", "职务", "角色", "电话", "职级", "性别", "学历", "备注"]
_names = itertools.count()


# ---------------------------------------------------------------- the import as it was, row by row
def _row_by_row(ctx: Context, preview: roster_io.RosterPreview) -> ImportResult:
    parsed = roster_io.read_roster(preview.path)
    today = local_date(ctx.now())
    reason = f"roster import {preview.path.name}"
    added = changed = moved = 0
    with ctx.db.write() as s:
        plans, errors, _known = roster_io._plan(s, parsed)
        assert errors == []
        _old_add_all(ctx, s, [p for p in plans if p.action == "new"], today, reason)
        added = sum(1 for p in plans if p.action == "new")
        for plan in plans:
            if plan.action == "changed":
                moved += _old_update(ctx, s, plan, today, reason)
                changed += 1
    return ImportResult(added, changed, sum(1 for p in plans if p.action == "unchanged"), moved)


def _old_add_all(ctx: Context, s: Session, plans: list[RowPlan], today: date, reason: str) -> None:
    cadres = []
    for plan in plans:
        v = plan.values
        cadres.append(
            Cadre(
                name=v["name"],
                unit_id=v.get("unit_id"),
                post_title=v.get("post_title", ""),
                role=v.get("role", Role.OTHER.value),
                phone=v.get("phone", ""),
                note=v.get("note", ""),
                ref=v.get("ref"),
                **{k: v.get(k, "") for k in PERSON_FIELDS},
                created_at=ctx.now(),
                updated_at=ctx.now(),
            )
        )
    s.add_all(cadres)
    s.flush()
    for cadre, plan in zip(cadres, plans, strict=True):
        if plan.values.get("rank"):
            record_rank(ctx, s, cadre.id or 0, plan.values["rank"], today, note=reason)
        s.add(
            Post(
                cadre_id=cadre.id or 0,
                unit_id=cadre.unit_id,
                post_title=cadre.post_title,
                role=cadre.role,
                start_date=today,
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
            reason=reason,
        )


def _old_update(ctx: Context, s: Session, plan: RowPlan, today: date, reason: str) -> int:
    cadre = s.get(Cadre, plan.cadre_id)
    assert cadre is not None
    before = audit.snapshot(cadre)
    v = plan.values
    for key in ("name", "phone", "note", "ref", "post_title", "role", "unit_id", *PERSON_FIELDS):
        if key in v:
            setattr(cadre, key, v[key] if key in ("ref", "unit_id") else v[key] or "")
    if v.get("rank"):
        record_rank(ctx, s, cadre.id or 0, v["rank"], today, note=reason, first_from_post=True)
    moved = 0
    if any(before and before.get(k) != getattr(cadre, k) for k in ("unit_id", "post_title", "role")):
        moved = 1
        record_move(ctx, s, cadre, cadre.unit_id, cadre.post_title, cadre.role, today)
    save_cadre(ctx, s, cadre, before, reason=reason)
    return moved


# ---------------------------------------------------------------- two copies of one populated database
def _populate(ctx: Context) -> list[Any]:
    """200 cadres (some without a person number, some whose post began today), ranks of every kind, and a
    lecture series for the secretaries: sessions past, today, and to come."""
    units = roster.list_units(ctx, kind="township")
    cadres = []
    for i in range(EXISTING):
        cadres.append(
            roster.add_cadre(
                ctx,
                name=f"干部{i}",
                unit=units[i % 20].id,
                post_title="科员",
                role="township_secretary" if i % 4 == 0 else "other",
                phone=f"1380000{i:04d}",
                ref=None if i % 9 == 8 else f"R{i:04d}",  # identity by name + unit for these
                since=TODAY if i % 25 == 0 else LONG_AGO,  # a post begun today is corrected in place
            )
        )
        if i % 5 == 1:
            hours.set_rank(ctx, cadres[-1].id, "township_section", date(2025, 3, 1))
        elif i % 5 == 2:
            hours.set_rank(ctx, cadres[-1].id, "county_division", TODAY)  # corrected in place
    lecture = programmes.add_programme(
        ctx, kind="lecture", title="织金大讲堂", audience=[("role", "township_secretary")]
    )
    for day in (date(2026, 6, 2), TODAY, date(2026, 12, 10), date(2027, 1, 14)):
        starts = sa_datetime(day, 15)
        draft = schedule.SessionDraft(
            programme=lecture.id, starts_at=starts, ends_at=starts + timedelta(hours=2)
        )
        schedule.create_session(ctx, draft, force=True)
    return units


def sa_datetime(day: date, hour: int) -> Any:
    from datetime import datetime, time

    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def _roster_file(path: Path, units: list[Any]) -> Path:
    """500 rows: each existing cadre with one kind of change (or none), then 300 new people."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["2026年干部名册"])
    ws.merge_cells("A1:J1")
    ws.append(HEADER)
    for i in range(EXISTING):
        unit = units[i % 20]
        row = {
            "ref": "" if i % 9 == 8 else f"R{i:04d}",
            "name": f"干部{i}",
            "unit": unit.code if i % 3 == 0 and unit.code else unit.name,
            "post": "科员",
            "role": "乡镇党委书记" if i % 4 == 0 else "其他",
            "phone": f"1380000{i:04d}",
            "rank": "",
            "gender": "",
            "education": "",
            "note": "",
        }
        kind = i % 10
        if kind in (0, 5):
            row["unit"] = units[(i + 7) % 20].name  # a post move: participations from today follow
        if kind == 1:
            row["post"] = "副科长"
        if kind == 2:
            row["role"] = "部门负责人"
        if kind == 3:
            row["phone"] = f"1390000{i:04d}"
        if kind in (4, 5, 7):
            row["rank"] = "正科级" if i % 20 < 10 else "副处级"  # first rank, a change, or a correction
        if kind == 6:
            row["gender"], row["education"], row["note"] = "女", "大学本科", "调入"
        ws.append(list(row.values()))
    for j in range(NEW_ROWS):
        unit = units[j % 20]
        ws.append(
            [
                f"N{j:04d}",
                f"新干部{j}",
                unit.name,
                "科员",
                "其他",
                f"1370000{j:04d}",
                "乡科级" if j % 3 == 0 else "",
                "男" if j % 2 else "",
                "",
                f"备注{j}" if j % 7 == 0 else "",
            ]
        )
    wb.save(path)
    return path


def _checkpointed(ctx: Context) -> None:
    if ctx.db.is_sqlite:
        with ctx.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.db.dispose()


@pytest.fixture(params=ENGINES)
def twins(
    request: pytest.FixtureRequest, tmp_path: Path, seeded_template: Path
) -> Iterator[tuple[Context, Context, list[Any]]]:
    """Two identical populated databases on the engine under test."""
    if request.param == "sqlite":
        first = make_ctx(Path(shutil.copyfile(seeded_template, tmp_path / "bulk.db")))
        units = _populate(first)
        _checkpointed(first)
        shutil.copyfile(tmp_path / "bulk.db", tmp_path / "rows.db")
        a, b = make_ctx(tmp_path / "bulk.db"), make_ctx(tmp_path / "rows.db")
        yield a, b, units
        a.db.dispose()
        b.db.dispose()
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    template: str = request.getfixturevalue("pg_seeded_template")
    names = [f"{template}_bulk{next(_names)}", f"{template}_rows{next(_names)}"]
    first = make_ctx_url(pg_create(admin, names[0], template))
    units = _populate(first)
    _checkpointed(first)
    a = make_ctx_url(
        pg_create(admin, names[0] + "x", names[0])
    )  # twins made the same way: copies of names[0]
    b = make_ctx_url(pg_create(admin, names[1], names[0]))
    yield a, b, units
    a.db.dispose()
    b.db.dispose()
    for name in (*names, names[0] + "x"):
        pg_drop(admin, name)


def _state(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows; the audit log without what differs by design: the operation key (a random id per
    transaction) and the hashes that cover it (the chain is verified on its own); not the roster stamp."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    meta = sa.MetaData()
    with ctx.db.engine.connect() as conn:
        meta.reflect(conn)
        for table in meta.sorted_tables:
            if table.name == "roster_stamp":
                continue  # a counter: each path moves it its own number of times (the key only needs a move)
            skip = {"operation", "prev_hash", "entry_hash"} if table.name == "audit_log" else set()
            cols = [
                sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else c
                for c in table.columns
                if c.name not in skip
            ]
            order = list(table.primary_key.columns) or cols
            # JSON compared as values: the keys of an ORM object's dump come in its loader's order
            json_at = [
                i for i, c in enumerate(table.columns) if isinstance(c.type, sa.JSON) and c.name not in skip
            ]
            out[table.name] = [
                tuple(json.loads(v) if i in json_at and v is not None else v for i, v in enumerate(r))
                for r in conn.execute(sa.select(*cols).order_by(*order))
            ]
    return out


# ---------------------------------------------------------------- the tests
def test_bulk_import_writes_what_row_by_row_wrote(
    twins: tuple[Context, Context, list[Any]], tmp_path: Path
) -> None:
    bulk, rows, units = twins
    path = _roster_file(tmp_path / "名册.xlsx", units)
    before = _state(bulk)
    preview = roster_io.preview_import(bulk, path)
    assert preview.errors == []
    assert (len(preview.new), len(preview.changed), len(preview.unchanged)) == (NEW, CHANGED, UNCHANGED)

    result = roster_io.apply_import(bulk, preview)
    expected = _row_by_row(rows, roster_io.preview_import(rows, path))
    assert result == expected == ImportResult(NEW, CHANGED, UNCHANGED, MOVED)

    got, want = _state(bulk), _state(rows)
    assert got.keys() == want.keys()
    for table in want:
        first = next(
            (i for i, (g, w) in enumerate(zip(got[table], want[table], strict=False)) if g != w), None
        )
        assert first is None, f"{table}: {got[table][first]!r} != {want[table][first]!r}"
        assert len(got[table]) == len(want[table]), table
    # the import did all of it: new people and posts, moves, ranks, re-attributed participations, entries
    grown = {t: len(got[t]) - len(before[t]) for t in ("cadre", "post", "cadre_rank", "audit_log")}
    # posts: one per new person, one per move but the 7 corrected in place; ranks: 102 new people with one,
    # 38 cadres with a first rank (10 more corrected in place); entries: 304 + 140 + 10 ranks, 116 cadres
    # whose details changed (30 changed only their rank), 27 participations from today of 9 secretaries moved
    assert grown == {"cadre": NEW, "post": NEW + MOVED - 7, "cadre_rank": 102 + 38, "audit_log": 597}
    entries = audit.list_entries(bulk, limit=2000)[:597]
    kinds = sorted({(e.entity, e.action, e.reason) for e in entries})
    assert kinds == [
        ("cadre", "create", "roster import 名册.xlsx"),
        ("cadre", "update", "roster import 名册.xlsx"),
        ("cadre_rank", "create", ""),
        ("cadre_rank", "update", ""),
        ("participant", "update", "post change"),
    ]
    assert len({audit.list_groups(bulk, limit=1).groups[0].key}) == 1  # one operation
    assert audit.list_groups(bulk, limit=1).groups[0].size == 597
    assert audit.verify_chain(bulk).ok
    assert audit.replay_check(bulk) == []


def test_bulk_counts_of_the_500_row_file(twins: tuple[Context, Context, list[Any]], tmp_path: Path) -> None:
    """Counts that do not lean on the row-by-row copy: posts, history, participations and a receipt."""
    ctx, _, units = twins
    path = _roster_file(tmp_path / "r.xlsx", units)
    result = roster_io.apply_import(ctx, roster_io.preview_import(ctx, path))
    assert result == ImportResult(NEW, CHANGED, UNCHANGED, MOVED)
    with ctx.db.read() as s:
        moved = roster.find_cadre(s, "R0020")  # kind 0: a secretary moves unit, post held since 2025
        corrected = roster.find_cadre(s, "R0050")  # kind 0, post begun today: corrected in place
        new = roster.find_cadre(s, "N0003")
    history = roster.post_history(ctx, moved.id)
    assert [(p.start_date, p.end_date) for p in history] == [
        (LONG_AGO, TODAY - timedelta(days=1)),
        (TODAY, None),
    ]
    assert history[-1].unit_id == units[7].id
    assert [(p.start_date, p.end_date, p.unit_id) for p in roster.post_history(ctx, corrected.id)] == [
        (TODAY, None, units[(50 + 7) % 20].id)
    ]
    assert [(p.start_date, p.end_date) for p in roster.post_history(ctx, new.id)] == [(TODAY, None)]
    assert [(r.rank, r.start) for r in hours.rank_history(ctx, new.id)] == [("township_section", TODAY)]
    with ctx.db.engine.connect() as conn:
        units_of = conn.execute(
            sa.text(
                "SELECT s.starts_at >= :today, p.unit_id FROM participant p JOIN training_session s"
                " ON s.id = p.session_id WHERE p.cadre_id = :c ORDER BY s.starts_at"
            ),
            {"today": sa_datetime(TODAY, 0), "c": moved.id},
        ).all()
    # the sessions from today on count for the new unit, the past one stays with the old
    old, new_unit = units[0].id, units[7].id
    assert [tuple(r) for r in units_of] == [
        (False, old),
        (True, new_unit),
        (True, new_unit),
        (True, new_unit),
    ]
    assert audit.verify_chain(ctx).ok


def test_the_file_is_read_once_and_what_was_previewed_is_written(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("人员编号,姓名,单位\nR01,张伟,城关镇\n", encoding="utf-8")
    preview = roster_io.preview_import(ctx, path)
    path.write_text("人员编号,姓名,单位\nR02,李娜,城关镇\n", encoding="utf-8")  # changed after the preview
    assert roster_io.apply_import(ctx, preview).added == 1
    assert [c.name for c in roster.list_cadres(ctx)] == ["张伟"]
    path.unlink()  # not read again at all
    assert roster_io.apply_import(ctx, roster_io.preview_import(ctx, _again(path))).unchanged == 1


def _again(path: Path) -> Path:
    path.write_text("人员编号,姓名,单位\nR01,张伟,城关镇\n", encoding="utf-8")
    return path


def test_a_rank_with_a_later_period_refuses_the_whole_import(ctx: Context, tmp_path: Path) -> None:
    cadre = roster.add_cadre(ctx, name="张伟", unit="城关镇", ref="R01", since=LONG_AGO)
    hours.set_rank(ctx, cadre.id, "township_section", date(2027, 1, 1))
    path = tmp_path / "r.csv"
    path.write_text(
        "人员编号,姓名,单位,职级,电话\nR01,张伟,猫场镇,副处级,13800000000\nR02,李娜,城关镇,,\n", "utf-8"
    )
    preview = roster_io.preview_import(ctx, path)
    assert preview.errors == []
    entries = len(audit.list_entries(ctx, limit=5000))
    with raises_code(ValidationError, "hours.rank_later_exists", since=TODAY, later=date(2027, 1, 1)):
        roster_io.apply_import(ctx, preview)
    assert [c.name for c in roster.list_cadres(ctx)] == ["张伟"]
    assert roster.get_cadre(ctx, cadre.id).unit_name == "城关镇"
    assert len(audit.list_entries(ctx, limit=5000)) == entries


def test_unit_lookups_in_memory_answer_as_find_unit(ctx: Context) -> None:
    """Every unit by id, #id, code and name, parts of names (unique, shared), and no match at all."""
    from zhijin_training.models import Unit

    # two units of one name, one of them no longer active
    roster.set_unit_active(ctx, roster.resolve_unit(ctx, "城关镇").id, False)
    roster.add_unit(ctx, name="城关镇", kind="township", code="X1")
    with ctx.db.read() as s:
        index = roster_io._UnitIndex(s)
        units = list(s.exec(sa.select(Unit)).scalars())  # type: ignore[call-overload]
        refs = [str(u.id) for u in units] + [f"#{u.id}" for u in units] + [u.name for u in units]
        refs += [u.code for u in units if u.code] + [
            "茶店",
            "苗族",
            "镇",
            "不存在",
            "99999",
            "#0",
            " 猫场镇 ",
        ]
        for ref in refs:
            try:
                want: Any = find_unit(s, ref).id
            except DomainError as exc:
                want = (exc.code, exc.params)
            got = index.find(ref)
            assert (got.id if not isinstance(got, DomainError) else (got.code, got.params)) == want, ref


def _old_xlsx_grid(path: Path) -> list[tuple[int, list[str]]]:
    """The full-mode reader the import used before (a styled Cell for every cell)."""
    wb = load_workbook(path, data_only=True)
    ws = wb.worksheets[0]
    grid: dict[tuple[int, int], Any] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                grid[(cell.row, cell.column)] = cell.value
    for merged in ws.merged_cells.ranges:
        top_left = grid.get((merged.min_row, merged.min_col))
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[(r, c)] = top_left
    max_row = max((r for r, _ in grid), default=0)
    max_col = max((c for _, c in grid), default=0)
    cell_text = roster_io._cell_text
    return [(r, [cell_text(grid.get((r, c))) for c in range(1, max_col + 1)]) for r in range(1, max_row + 1)]


def test_streamed_xlsx_reads_as_the_full_reader(tmp_path: Path) -> None:
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "单位", "姓名", "电话", "出生年月", "备注"])
    ws.append([1, "茶店乡", "王芳", 13800000002, datetime(1975, 3, 1), "=1+1"])
    ws.append([2, None, "赵强", "'=SUM(A1)", date(1980, 5, 4), True])
    ws.append([3, None, "  李　娜 ", 1.5, None, None])
    ws.merge_cells("B3:B5")
    ws.merge_cells("E7:F8")  # a merged block below the data, empty top-left
    ws.cell(row=9, column=8, value="远处")
    second = wb.create_sheet("其他")
    second.append(["不读"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert roster_io._xlsx_grid(path) == _old_xlsx_grid(path)
    assert roster_io._xlsx_grid(path)[3] == (
        4,
        ["2", "茶店乡", "赵强", "=SUM(A1)", "1980-05-04T00:00:00", "True", "", ""],
    )


@pytest.mark.skipif("postgresql" not in ENGINES, reason="needs ZT_TEST_PG_URL (scripts/pg-test-server.sh)")
def test_on_postgresql_with_the_audit_triggers(
    pg_admin: sa.Engine, pg_seeded_template: str, tmp_path: Path
) -> None:
    """With `db roles setup` done the database vouches for every entry (its own clock and chain) and audits by
    itself, at commit, every row changed without an entry of ours: the bulk import leaves it nothing to add."""
    from zhijin_training.db import pg_roles

    name = f"{pg_seeded_template}_roles{next(_names)}"
    ctx = make_ctx_url(pg_create(pg_admin, name, pg_seeded_template))
    try:
        units = _populate(ctx)
        raw = ctx.db.engine.raw_connection()
        try:
            pg_roles.setup(raw.driver_connection)
        finally:
            raw.close()
        path = _roster_file(tmp_path / "r.xlsx", units)
        count = len(audit.list_entries(ctx, limit=5000))
        assert roster_io.apply_import(ctx, roster_io.preview_import(ctx, path)) == ImportResult(
            NEW, CHANGED, UNCHANGED, MOVED
        )
        with ctx.db.engine.connect() as conn:
            mine = {"after": count}
            by_db = conn.execute(
                sa.text("SELECT COUNT(*) FROM audit_log WHERE operation LIKE 'db:%' AND id > :after"), mine
            ).scalar()
            vouched = conn.execute(
                sa.text("SELECT DISTINCT real_user = session_user FROM audit_log WHERE id > :after"), mine
            ).all()
        assert by_db == 0  # every row the import changed has its own entry
        assert vouched == [(True,)]  # each entry vouched by the trigger: the login that really wrote it
        assert len(audit.list_entries(ctx, limit=5000)) == count + 597
        assert audit.verify_chain(ctx).ok  # the database's own walk (zt_chain_verify)
        assert audit.replay_check(ctx) == []
    finally:
        ctx.db.dispose()
        pg_drop(pg_admin, name)


def test_the_import_reads_only_the_cadres_its_rows_can_match(demo_path: Path) -> None:
    """A province roster has 88,000 cadres and a file a few thousand rows: the planning reads the cadres with a
    person number or a name of the file (every namesake, so "same name" is still found), not the whole table."""
    ctx = make_ctx(demo_path)
    with ctx.db.write() as s:  # the demo has no person numbers: give one
        s.execute(sa.text("UPDATE cadre SET ref = 'T-0001' WHERE id = (SELECT min(id) FROM cadre)"))
    with ctx.db.read() as s:
        everyone = list(s.exec(sa.select(Cadre)).scalars())  # type: ignore[call-overload]
        with_ref = next(c for c in everyone if c.ref)
        named = next(c for c in everyone if c.id != with_ref.id)
        index = roster_io._CadreIndex(s, {with_ref.ref, "NO-SUCH-REF"}, {named.name, "无此人"})
        namesakes = {c.id for c in everyone if c.name == named.name}
        assert set(index.by_id) == {with_ref.id} | namesakes
        assert len(index.by_id) < len(everyone)
        assert index.match({"ref": with_ref.ref}).id == with_ref.id
        assert index.match({"ref": "NO-SUCH-REF"}) is None
        assert index.match({"name": "无此人"}) is None
    ctx.db.dispose()
