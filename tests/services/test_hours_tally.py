"""The maintained 学时 tallies (migration 0012) against the raw participant rows.

Property: after any sequence of marks, corrections, leave hours, session time and 学时 changes, programme
changes, rule changes, cancellations and post moves, the ledger read from the tallies equals the ledger
computed from the raw rows, and `check` finds nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.helpers import apply_roster_step, at, lecture, roster_steps, secretaries, session_on
from zhijin_training.db.engine import Database
from zhijin_training.services import (
    attendance,
    hours,
    hours_tally,
    maintenance,
    participants,
    programmes,
    roster,
    schedule,
)
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import DomainError, PermissionDenied
from zhijin_training.settings import AccessRole

# local days; the first starts before 08:00 local, so it is still 2025 in UTC but counts in 2026
DAYS = (date(2026, 1, 1), date(2025, 12, 30), date(2026, 3, 30), date(2026, 8, 10))
LEAVE = (None, 0.0, 0.5, 1.0, 3.0)  # multiples of 0.5: sums are exact, so "equal" can mean equal
RULE_CHANGES = (
    ("lecture.per_hour", 0.5),
    ("lecture.per_hour", 1.0),
    ("status.late", 0.5),
    ("status.late", 1.0),
    ("rounding", "whole"),
    ("rounding", "half"),
    ("study_trip.cap", 12.0),
    ("study_trip.cap", 48.0),
    ("full_day", 8.0),
    ("full_day", 6.0),
)


def test_timed_by_day_kinds_are_the_rules_own() -> None:
    assert set(hours_tally.TIMED_BY_DAY) == hours._TIMED_BY_DAY


@pytest.fixture
def office(ctx: Context) -> dict:
    cadres = secretaries(ctx, 3)
    ids = [c.id for c in cadres]
    talk = lecture(ctx)
    course = programmes.add_programme(
        ctx, kind="course", title="党校主体班", audience=[("role", "township_secretary")]
    )
    trip = programmes.add_programme(ctx, kind="study_trip", title="赴青州参观学习", destinations=["青州"])
    sessions = [session_on(ctx, talk.id, DAYS[0], start=7, end=9), session_on(ctx, talk.id, DAYS[1])]
    sessions.append(session_on(ctx, course.id, DAYS[2], start=9, end=12))
    sessions.append(
        schedule.create_trip(
            ctx,
            schedule.SessionDraft(programme=trip.id, first_day=DAYS[3], last_day=DAYS[3] + timedelta(days=4)),
            force=True,
        )
    )
    for sid in [s.id for s in sessions]:
        participants.change_participants(ctx, sid, add=ids, force=True)
    units = [u.id for u in roster.list_units(ctx, kind="township")[:4]]
    return {
        "cadres": ids,
        "sessions": [s.id for s in sessions],
        "programmes": [talk.id, course.id, trip.id],
        "units": units,
    }


def _mark(status: str, leave: float | None) -> Mark:
    return Mark(
        status=status,
        leave_reason="病假",
        approved_by="王主任",
        deputy_name="李四",
        correction_reason="更正",
        leave_hours=leave,
    )


STATUSES = ("present", "late", "left_early", "on_leave", "absent", "deputy")
step = st.one_of(
    st.tuples(
        st.just("mark"),
        st.integers(0, 3),
        st.integers(0, 2),
        st.sampled_from(STATUSES),
        st.sampled_from(LEAVE),
    ),
    st.tuples(
        st.just("time"),
        st.integers(0, 2),
        st.sampled_from(DAYS[:3]),
        st.sampled_from((60, 100, 200, 300, 420)),
    ),
    st.tuples(st.just("session_hours"), st.integers(0, 3), st.sampled_from((None, 0.0, 2.5, 4.0))),
    st.tuples(st.just("programme_hours"), st.integers(0, 2), st.sampled_from((None, 1.5, 10.0))),
    st.tuples(st.just("kind"), st.sampled_from(("lecture", "meeting", "course"))),
    st.tuples(st.just("rule"), st.sampled_from(RULE_CHANGES)),
    *roster_steps(DAYS[:3]),
)


def _apply(ctx: Context, office: dict, op: tuple) -> None:
    kind, *args = op
    sessions, cadres = office["sessions"], office["cadres"]
    if kind == "mark":
        attendance.mark(ctx, sessions[args[0]], cadres[args[1]], _mark(args[2], args[3]), force=True)
    elif kind == "time":  # a timed session moved to another day and made longer or shorter
        start = at(args[1], 9)
        changes = schedule.SessionChanges(starts_at=start, ends_at=start + timedelta(minutes=args[2]))
        schedule.update_session(ctx, sessions[args[0]], changes, expected_version=None, force=True)
    elif kind == "session_hours":
        hours.set_session_hours(ctx, sessions[args[0]], args[1], reason="调整")
    elif kind == "programme_hours":
        hours.set_programme_hours(ctx, office["programmes"][args[0]], args[1], reason="调整")
    elif kind == "kind":  # no service changes a programme's kind: a statement made around the program
        with ctx.db.write() as s:
            s.execute(
                sa.text("UPDATE programme SET kind = :k WHERE id = :i"),
                {"k": args[0], "i": office["programmes"][0]},
            )
    elif kind == "rule":
        hours.set_rule(ctx, *args[0])
    else:
        apply_roster_step(ctx, office, kind, args)


def _same_ledgers(ctx: Context, office: dict) -> None:
    for year in (2025, 2026):
        assert hours.ledger(ctx, year) == hours.ledger(ctx, year, use_tallies=False), year
        for unit in office["units"][:2]:
            assert hours.ledger(ctx, year, unit_id=unit) == hours.ledger(
                ctx, year, unit_id=unit, use_tallies=False
            )
        cadre = office["cadres"][0]
        assert hours.ledger(ctx, year, cadre_id=cadre) == hours.ledger(
            ctx, year, cadre_id=cadre, use_tallies=False
        )
    with ctx.db.read() as s:
        rules = hours.load_rules(ctx, s)
        assert hours_tally.matches(s, rules)
        assert hours_tally.differences(s) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(step, min_size=1, max_size=12))
def test_ledger_from_tallies_equals_ledger_from_raw_rows(ctx: Context, office: dict, ops: list) -> None:
    # the database carries over from one example to the next: the property holds for any state it reaches
    for op in ops:
        with contextlib.suppress(DomainError):  # a refused step writes nothing
            _apply(ctx, office, op)
    _same_ledgers(ctx, office)


def _earned(ctx: Context, cadre: int, year: int = 2026) -> tuple[float, float]:
    with ctx.db.read() as s:
        return hours_tally.earned_by_cadre(s, year, year, [cadre]).get(cadre, (0.0, 0.0))


def test_steps_are_not_all_refused(ctx: Context, office: dict) -> None:
    """The property would prove nothing if the steps were refused or the tallies never moved."""
    first = office["cadres"][0]
    _apply(ctx, office, ("mark", 0, 0, "present", None))  # 2 学时 on 1 January (2025 in UTC)
    assert _earned(ctx, first) == (2.0, 0.0)
    _apply(ctx, office, ("mark", 3, 0, "present", 3.0))  # the trip: 5 days × 6 = 30, less 3 of leave
    assert _earned(ctx, first) == (29.0, 4.5)
    _apply(ctx, office, ("rule", ("study_trip.cap", 12.0)))
    assert _earned(ctx, first) == (11.0, 4.5)
    _apply(ctx, office, ("session_hours", 0, 4.0))
    _apply(ctx, office, ("time", 0, DAYS[1], 420))  # moved into 2025: its 学时 go with it
    assert _earned(ctx, first) == (9.0, 4.5) and _earned(ctx, first, 2025) == (4.0, 0.0)
    _apply(ctx, office, ("kind", "meeting"))
    _apply(ctx, office, ("mark", 0, 0, "late", None))  # a correction
    _apply(ctx, office, ("move", 0, 1, DAYS[2]))
    _apply(ctx, office, ("cancel", 3))
    assert _earned(ctx, first) == (0.0, 0.0) and _earned(ctx, first, 2025) == (4.0, 0.0)
    _same_ledgers(ctx, office)


def test_check_names_a_tally_that_disagrees(ctx: Context, office: dict) -> None:
    _apply(ctx, office, ("mark", 2, 1, "present", None))
    with ctx.db.write() as s:
        s.execute(sa.text("UPDATE hours_tally_year SET hours = hours + 5 WHERE year = 2026"))
    report = maintenance.check(ctx.db)
    assert not report.ok
    found = [d for d in report.tallies if d.table == "hours_tally_year"]
    assert found and found[0].column == "hours" and found[0].period == 2026
    assert found[0].cadre_id == office["cadres"][1] and found[0].stored == found[0].actual + 5
    with ctx.db.write() as s:
        hours_tally.rebuild(s)
    assert maintenance.check(ctx.db).tallies == ()


def test_migration_backfills_existing_rows_with_the_office_rules(ctx: Context, office: dict) -> None:
    """Downgrade to 0011 and up again: the backfill makes the same tallies the triggers kept."""
    _apply(ctx, office, ("rule", ("lecture.per_hour", 0.5)))
    _apply(ctx, office, ("mark", 1, 1, "late", None))
    _apply(ctx, office, ("mark", 3, 2, "present", 1.0))
    with ctx.db.read() as s:
        before = hours_tally.stored_rows(s)
    assert len(before) == 2
    from zhijin_training.db import migrate

    db: Database = ctx.db
    migrate.downgrade(db, "0011")
    migrate.upgrade(db)
    with ctx.db.read() as s:
        assert hours_tally.stored_rows(s) == before
        assert hours_tally.matches(s, hours.load_rules(ctx, s))


def test_other_rules_read_the_raw_rows(ctx: Context, office: dict) -> None:
    """A preview with other rules, or config rules the database was not told about, must not read tallies
    computed with different rules; an administrator's ledger brings the tallies in step."""
    _apply(ctx, office, ("mark", 2, 0, "present", None))  # the course's half day: 3 学时, 0.5 days
    cadre = office["cadres"][0]
    preview = hours.load_rules(ctx).with_values(half_day=2.5)
    assert hours.ledger(ctx, 2026, cadre_id=cadre, rules=preview).rows[0].centralised_hours == 2.5
    config = dataclasses.replace(ctx.settings, hours={"half_day": 4})
    viewer = dataclasses.replace(ctx, settings=config, actor=Actor("viewer", AccessRole.VIEWER))
    assert hours.ledger(viewer, 2026, cadre_id=cadre).rows[0].centralised_hours == 4.0
    with ctx.db.read() as s:
        assert not hours_tally.matches(s, hours.load_rules(viewer, s))  # a viewer does not write
    admin = dataclasses.replace(ctx, settings=config)
    assert hours.ledger(admin, 2026, cadre_id=cadre).rows[0].centralised_hours == 4.0
    with ctx.db.read() as s:
        assert hours_tally.matches(s, hours.load_rules(admin, s))
        assert _earned(ctx, cadre) == (4.0, 0.5)


def test_db_copy_brings_the_tallies_and_the_rules(ctx: Context, office: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`db copy` recomputes the tallies from the copied rows (the triggers fire as participants arrive:
    copying the tally rows too counted everything twice) and copies the rules they follow."""
    from zhijin_training.services import tallies
    from zhijin_training.services.dbcopy import copy_database

    _apply(ctx, office, ("rule", ("lecture.per_hour", 0.5)))
    _apply(ctx, office, ("mark", 1, 0, "present", None))
    _apply(ctx, office, ("mark", 3, 1, "present", 1.0))
    with ctx.db.read() as s:
        before, rules = hours_tally.stored_rows(s), hours_tally.stored_numbers(s)
    target = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        copy_database(ctx.db, target)
        with target.read() as s:
            assert hours_tally.stored_rows(s) == before and len(before) == 2
            assert hours_tally.stored_numbers(s) == rules and rules["lecture.per_hour"] == 0.5
            assert hours_tally.differences(s) == []
            assert tallies.differences(s) == []  # the attendance tallies (0009) were doubled before
    finally:
        target.dispose()


def test_triggers_keep_the_tallies_under_the_server_roles(ctx: Context, office: dict) -> None:
    """PostgreSQL with db/pg_roles.py: an editor's mark and 学时 override and an admin's rule change keep the
    tallies right (the trigger functions run as their owner), while no staff login may write a tally."""
    if ctx.db.is_sqlite:
        pytest.skip("the server roles are PostgreSQL's")
    import psycopg

    from tests.conftest import make_ctx_url
    from zhijin_training.db import pg_roles

    url = ctx.db.engine.url
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        pg_roles.setup(conn)
        pg_roles.grant(conn, "hours-editor", "editor")
        pg_roles.grant(conn, "hours-admin", "admin")

    def login(user: str, role: str) -> Context:
        return make_ctx_url(
            url.set(username=user).render_as_string(hide_password=False), user=user, role=role
        )

    editor, admin = login("hours-editor", AccessRole.EDITOR), login("hours-admin", AccessRole.ADMIN)
    try:
        first = office["cadres"][0]
        _apply(editor, office, ("mark", 3, 0, "present", 3.0))
        assert _earned(ctx, first) == (27.0, 4.5)
        _apply(editor, office, ("session_hours", 3, 12.0))
        _apply(admin, office, ("rule", ("full_day", 8.0)))
        assert _earned(ctx, first) == (9.0, 40 / 8 - 3 / 8)
        for who in (editor, admin):
            with pytest.raises(PermissionDenied), who.db.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE hours_tally_year SET hours = hours + 1")
        with pytest.raises(PermissionDenied), editor.db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE hours_rule SET num = 1 WHERE key = 'full_day'")
        assert hours.ledger(editor, 2026) == hours.ledger(editor, 2026, use_tallies=False)
        with ctx.db.read() as s:
            assert hours_tally.differences(s) == []
    finally:
        editor.db.dispose()
        admin.db.dispose()


def test_inactive_cadres_are_listed_only_with_figures(ctx: Context, office: dict) -> None:
    """The tallied ledger leaves past cadres out in SQL: one with 学时 this year (or a record of training
    elsewhere) stays listed, one with none does not — as the raw ledger does."""
    earned, idle, recorded = office["cadres"]
    _apply(ctx, office, ("mark", 2, 0, "present", None))
    hours.add_record(
        ctx,
        hours.RecordDraft(
            cadre=recorded,
            course="省委党校",
            start_date=date(2026, 6, 1),
            end_date=date(2026, 6, 3),
            hours=18,
        ),
    )
    for cid in office["cadres"]:
        roster.set_cadre_active(ctx, cid, False)
    listed = [r.cadre_id for r in hours.ledger(ctx, 2026).rows]
    assert earned in listed and recorded in listed and idle not in listed
    assert hours.ledger(ctx, 2026) == hours.ledger(ctx, 2026, use_tallies=False)
