"""The maintained attendance tallies (migrations 0009, 0016) against the raw participant rows.

Property: after any sequence of marks, corrections, post moves, participant changes, sessions moved in time
and cancellations, every report read from the tallies equals the same report computed from the raw rows, and
`check` finds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.helpers import apply_roster_step, at, lecture, roster_steps, secretaries, session_on
from zhijin_training.db.engine import Database
from zhijin_training.enums import status_spec, status_values
from zhijin_training.services import (
    attendance,
    maintenance,
    participants,
    reports,
    roster,
    schedule,
    tallies,
    tally_all,
)
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError
from zhijin_training.services.rates import count_values

DAYS = (date(2026, 3, 30), date(2026, 4, 2), date(2026, 8, 10), date(2026, 12, 1))  # the last is after "now"
PERIODS = (
    (date(2025, 1, 1), date(2026, 12, 31)),  # whole years
    (date(2026, 1, 1), date(2026, 9, 30)),  # whole quarters
    (date(2026, 3, 15), date(2026, 8, 20)),  # edges read from the raw rows
    (date(2026, 3, 30), date(2026, 3, 30)),  # one day
)


def test_spans_cover_the_period_once() -> None:
    got = tallies.spans(date(2024, 11, 15), date(2026, 5, 3))
    assert got.years == (2025,)
    assert got.quarters == (20261,)
    assert got.edges == ((date(2024, 11, 15), date(2024, 12, 31)), (date(2026, 4, 1), date(2026, 5, 3)))
    assert tallies.spans(date(2026, 1, 1), date(2026, 12, 31)).years == (2026,)


@pytest.fixture
def office(ctx: Context) -> dict:
    cadres = secretaries(ctx, 3)
    programme = lecture(ctx)
    sessions = [session_on(ctx, programme.id, day) for day in DAYS]
    schedule_ids = [s.id for s in sessions]
    for sid in schedule_ids:
        participants.change_participants(ctx, sid, add=[c.id for c in cadres], force=True)
    units = [u.id for u in roster.list_units(ctx, kind="township")[:4]]
    return {"cadres": [c.id for c in cadres], "sessions": schedule_ids, "units": units}


def _mark(status: str) -> Mark:
    needs = status_spec(status).needs
    return Mark(
        status=status,
        leave_reason="病假" if "leave_reason" in needs else "",
        approved_by="王主任" if "approved_by" in needs else "",
        deputy_name="李四" if "deputy_name" in needs else "",
        correction_reason="更正",
    )


step = st.one_of(
    st.tuples(st.just("mark"), st.integers(0, 3), st.integers(0, 2), st.sampled_from(status_values())),
    # a session moved to another day (before or after the others: its cadres' first session changes)
    st.tuples(st.just("reschedule"), st.integers(0, 2), st.sampled_from((date(2026, 2, 2), *DAYS[:3]))),
    *roster_steps(DAYS[:3]),
)


def _apply(ctx: Context, office: dict, op: tuple) -> None:
    kind, *args = op
    if kind == "mark":
        attendance.mark(
            ctx, office["sessions"][args[0]], office["cadres"][args[1]], _mark(args[2]), force=True
        )
    elif kind == "reschedule":
        day = args[1]
        changes = schedule.SessionChanges(starts_at=at(day, 9), ends_at=at(day, 11))
        schedule.update_session(ctx, office["sessions"][args[0]], changes, expected_version=None, force=True)
    else:
        apply_roster_step(ctx, office, kind, args)


def _same_reports(ctx: Context, units: list[int]) -> None:
    now = ctx.now()
    with ctx.db.read() as s:
        for start, end in PERIODS:
            for unit_id in (None, *units):
                for unit_kind in (None, "township"):
                    fast = reports._cadre_rows(s, now, start, end, unit_id=unit_id, unit_kind=unit_kind)
                    slow = reports._cadre_rows(
                        s, now, start, end, unit_id=unit_id, unit_kind=unit_kind, use_tallies=False
                    )
                    assert fast == slow, (start, end, unit_id, unit_kind)
                    # a big office reads the whole roster instead of the cadres by id: the same rows
                    with pytest.MonkeyPatch.context() as big:
                        big.setattr(reports, "_FEW_ROWS", 0)
                        whole = reports._cadre_rows(s, now, start, end, unit_id=unit_id, unit_kind=unit_kind)
                    assert whole == fast, (start, end, unit_id, unit_kind)
                    # a period holding every session reads tally_all (0016); the years' tallies agree
                    with pytest.MonkeyPatch.context() as years:
                        years.setattr(tally_all, "covers", lambda *_: False)
                        by_year = reports._cadre_rows(s, now, start, end, unit_id=unit_id, unit_kind=unit_kind)
                    assert by_year == fast, (start, end, unit_id, unit_kind)
                    # plain ints on every engine (PostgreSQL would sum a BIGINT column to a Decimal)
                    assert all(type(v) is int for r in fast for v in count_values(r.counts))
                    if unit_id is None:  # a first screenful is the start of the whole list, exactly
                        _first_screenfuls_start_the_list(s, now, start, end, unit_kind, fast)
            for unit_kind in (None, "township"):  # the kind is asked for in SQL on the tallied path
                assert reports._unit_rows(s, now, start, end, unit_kind=unit_kind) == reports._unit_rows(
                    s, now, start, end, unit_kind=unit_kind, use_tallies=False
                ), (start, end, unit_kind)
            # the review's cadres below a threshold: SQL drops the rates surely not under it first; exact
            # thresholds (a half, two thirds) sit on rates these offices reach
            for limit in (0.0, 0.5, 2 / 3, 0.8, 1.0):
                for unit_kind in (None, "township"):
                    raw = reports._cadre_rows(s, now, start, end, unit_kind=unit_kind, use_tallies=False)
                    under = sorted(
                        (r for r in raw if r.rate is not None and r.rate < limit),
                        key=lambda r: (reports._rate_key(r.counts) or 0, r.cadre_id),
                    )
                    assert reports._below(s, now, start, end, limit, unit_kind) == under, (start, end, limit)
        assert tallies.differences(s) == []
        assert tally_all.covers(s, *PERIODS[0])  # the property tests the all-time path too


def _first_screenfuls_start_the_list(
    s: sa.orm.Session, now: object, start: date, end: date, unit_kind: str | None, whole: list
) -> None:
    shown = 0
    for first in (1, 2, 3, 10, 60, 100_000):  # the office's cadres sit among the first few dozen
        part = reports._cadre_rows(s, now, start, end, unit_kind=unit_kind, first_cadres=first)
        assert part == whole[: len(part)], (start, end, unit_kind, first)
        assert len(part) >= shown  # more cadres of the roster, never fewer rows
        shown = len(part)
    assert shown == len(whole)  # the whole roster: every row


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(step, min_size=1, max_size=12))
def test_reports_from_tallies_equal_reports_from_raw_rows(ctx: Context, office: dict, ops: list) -> None:
    # the database carries over from one example to the next: the property holds for any state it reaches
    for op in ops:
        # a refused step (marking a future session, removing a recorded mark) writes nothing
        with contextlib.suppress(DomainError):
            _apply(ctx, office, op)
    _same_reports(ctx, office["units"])


def test_steps_are_not_all_refused(ctx: Context, office: dict) -> None:
    """The property above would prove nothing if every step were refused: these must all go through."""
    steps = (("mark", 0, 0, "present"), ("mark", 0, 0, "absent"), ("move", 0, 1, DAYS[1]), ("cancel", 2))
    for op in (*steps, ("reschedule", 1, date(2026, 2, 2))):
        _apply(ctx, office, op)
    with ctx.db.read() as s:
        counted = reports._cadre_rows(s, ctx.now(), date(2026, 1, 1), date(2026, 12, 31))
        assert tallies.differences(s) == []
    first = next(r for r in counted if r.cadre_id == office["cadres"][0])
    assert first.counts.absent == 1 and first.counts.present == 0
    assert first.elsewhere  # the session of 30 March was held in the old unit
    _same_reports(ctx, office["units"])


def test_check_names_a_tally_that_disagrees(ctx: Context, office: dict) -> None:
    attendance.mark(ctx, office["sessions"][0], office["cadres"][0], _mark("present"))
    with ctx.db.write() as s:
        s.execute(sa.text("UPDATE tally_quarter SET present = present + 5 WHERE period = 20261"))
    report = maintenance.check(ctx.db)
    assert not report.ok
    assert report.tallies and report.tallies[0].table == "tally_quarter"
    assert report.tallies[0].column == "present" and report.tallies[0].period == 20261
    assert report.tallies[0].stored == report.tallies[0].actual + 5
    with ctx.db.write() as s:
        tallies.rebuild(s)
    assert maintenance.check(ctx.db).tallies == ()


def test_migration_backfills_existing_rows(ctx: Context, office: dict) -> None:
    """Downgrade to 0008 and up again: the backfill makes the same tallies the triggers kept."""
    attendance.mark(ctx, office["sessions"][0], office["cadres"][1], _mark("late"))
    schedule.cancel_session(ctx, office["sessions"][1], expected_version=None)
    with ctx.db.read() as s:
        before = {t: tallies.stored_rows(s, t) for t in tallies.TALLY_TABLES}
        all_time = tally_all.stored_rows(s)
        per_cadre = tally_all.cadre_rows(s, stored=True)
    from zhijin_training.db import migrate

    db: Database = ctx.db
    migrate.downgrade(db, "0008")
    migrate.upgrade(db)
    with ctx.db.read() as s:
        assert {t: tallies.stored_rows(s, t) for t in tallies.TALLY_TABLES} == before
        assert tally_all.stored_rows(s) == all_time
        assert tally_all.cadre_rows(s, stored=True) == per_cadre
        assert before["tally_quarter"] and all_time and per_cadre


def test_first_session_follows_moves_cancellations_and_removals(ctx: Context) -> None:
    """`first_at` is lowered by a new participation and recomputed when the first one goes away."""
    cadre = secretaries(ctx, 1)[0]
    programme = lecture(ctx)
    sids = [session_on(ctx, programme.id, day).id for day in (date(2026, 3, 2), date(2026, 5, 4))]
    for sid in sids:
        participants.change_participants(ctx, sid, add=[cadre.id], force=True)

    def first() -> object:
        with ctx.db.read() as s:
            assert tally_all.differences(s) == []
            return tally_all.stored_rows(s)[(cadre.id, cadre.unit_id)][1]

    def utc(day: date, hour: int) -> object:
        return at(day, hour).astimezone(UTC).replace(tzinfo=None)

    assert first() == utc(date(2026, 3, 2), 15)
    later = schedule.SessionChanges(starts_at=at(date(2026, 6, 1), 9), ends_at=at(date(2026, 6, 1), 11))
    schedule.update_session(ctx, sids[0], later, expected_version=None, force=True)
    assert first() == utc(date(2026, 5, 4), 15)  # the first session moved after the other one
    earlier = schedule.SessionChanges(starts_at=at(date(2026, 1, 5), 9), ends_at=at(date(2026, 1, 5), 11))
    schedule.update_session(ctx, sids[0], earlier, expected_version=None, force=True)
    assert first() == utc(date(2026, 1, 5), 9)
    schedule.cancel_session(ctx, sids[0], expected_version=None)
    assert first() == utc(date(2026, 5, 4), 15)
    participants.change_participants(ctx, sids[1], remove=[cadre.id], force=True)
    with ctx.db.read() as s:
        assert (cadre.id, cadre.unit_id) not in tally_all.stored_rows(s)  # nothing left: no first session
        assert tally_all.differences(s) == []


def test_check_names_a_wrong_first_session(ctx: Context, office: dict) -> None:
    with ctx.db.write() as s:
        s.execute(sa.text("UPDATE tally_all SET first_at = NULL"))
    report = maintenance.check(ctx.db)
    assert not report.ok
    assert {(d.table, d.column, d.stored) for d in report.tallies} == {("tally_all", "first_at", "-")}
    with ctx.db.write() as s:
        tallies.rebuild(s)
    assert maintenance.check(ctx.db).tallies == ()


def test_check_names_a_wrong_per_cadre_tally(ctx: Context, office: dict) -> None:
    attendance.mark(ctx, office["sessions"][0], office["cadres"][0], _mark("late"))
    with ctx.db.write() as s:
        s.execute(sa.text("UPDATE tally_cadre SET late = late + 2"))
    report = maintenance.check(ctx.db)
    assert not report.ok
    wrong = {(d.table, d.cadre_id, d.unit_key, d.column, d.stored - d.actual) for d in report.tallies}
    assert wrong == {("tally_cadre", c, -1, "late", 2) for c in office["cadres"]}
    with ctx.db.write() as s:
        tallies.rebuild(s)
    assert maintenance.check(ctx.db).tallies == ()


def test_per_cadre_tally_ignores_post_moves_and_follows_cancellations(ctx: Context, office: dict) -> None:
    """A post move changes the unit rows, not the cadre's sums; a cancelled session leaves both."""
    cadre = office["cadres"][0]
    attendance.mark(ctx, office["sessions"][0], cadre, _mark("present"))
    with ctx.db.read() as s:
        before = tally_all.cadre_rows(s, stored=True)[cadre]
    _apply(ctx, office, ("move", 0, 1, DAYS[1]))
    with ctx.db.read() as s:
        assert tally_all.cadre_rows(s, stored=True)[cadre] == before
    schedule.cancel_session(ctx, office["sessions"][0], expected_version=None)
    with ctx.db.read() as s:
        after = tally_all.cadre_rows(s, stored=True)[cadre]
        assert tally_all.differences(s) == []
    assert after[0] == before[0] - 1 and after[1] == before[1] - 1  # expected, present: the mark went away


def test_all_time_rows_only_when_the_period_holds_every_session(ctx: Context, office: dict) -> None:
    with ctx.db.read() as s:
        assert tally_all.covers(s, date(2026, 1, 1), date(2026, 12, 31))
        assert tally_all.covers(s, date(2020, 6, 1), date(2030, 1, 1))
        assert not tally_all.covers(s, date(2026, 1, 2), date(2026, 12, 31))  # 2 January could hold one
        assert not tally_all.covers(s, date(2025, 1, 1), date(2026, 12, 30))


def test_check_and_rebuild_agree_with_the_triggers_within_one_quarter(ctx: Context) -> None:
    """January and February are one quarter: the check's own sums must land on one row (integer quarters)."""
    cadre = secretaries(ctx, 1)[0]
    programme = lecture(ctx)
    for day in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)):
        sid = session_on(ctx, programme.id, day).id
        participants.change_participants(ctx, sid, add=[cadre.id], force=True)
        attendance.mark(ctx, sid, cadre.id, _mark("present"), force=True)
    with ctx.db.read() as s:
        kept = {t: tallies.stored_rows(s, t) for t in tallies.TALLY_TABLES}
        assert tallies.differences(s) == []
    assert kept["tally_quarter"][(20261, cadre.id, cadre.unit_id)][1] == 3  # present, all three in 2026Q1
    with ctx.db.write() as s:
        tallies.rebuild(s)
    with ctx.db.read() as s:
        assert {t: tallies.stored_rows(s, t) for t in tallies.TALLY_TABLES} == kept


@pytest.mark.parametrize("few", [20, 0])  # 0: the tie-break reads the quarter's sessions, not the cadre's
def test_units_elsewhere_first_seen_in_one_quarter_keep_the_order_of_their_first_session(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    monkeypatch.setattr(reports, "_FEW_CADRES", few)
    cadre = secretaries(ctx, 1)[0]
    programme = lecture(ctx)
    units = [u.id for u in roster.list_units(ctx, kind="township") if u.id != cadre.unit_id][:3]
    days = (date(2026, 4, 2), date(2026, 4, 20), date(2026, 6, 10))  # one quarter: the tallies tie
    for day in days:
        sid = session_on(ctx, programme.id, day).id
        participants.change_participants(ctx, sid, add=[cadre.id], force=True)
        attendance.mark(ctx, sid, cadre.id, _mark("present"), force=True)
    # the later unit first, in id order too, so neither the unit ids nor the tallies give the order
    for unit, day in zip((units[1], units[0], units[2]), days, strict=True):
        roster.move_cadre(
            ctx, cadre.id, unit=unit, post_title="乡党委书记", role="township_secretary", effective=day
        )
    names = {u.id: u.name for u in roster.list_units(ctx, kind="township")}
    now = ctx.now()
    with ctx.db.read() as s:
        for start, end in ((date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 4, 1), date(2026, 6, 30))):
            fast = reports._cadre_rows(s, now, start, end)
            assert fast == reports._cadre_rows(s, now, start, end, use_tallies=False)
            (row,) = [r for r in fast if r.cadre_id == cadre.id]
            assert row.unit_id == units[2]
            assert row.elsewhere == ((names[units[1]], 1), (names[units[0]], 1))


# What migrations 0016 and 0017 ran on every database that has them. tally_all.py builds this SQL from shared
# pieces; a change that alters it needs a new migration recreating the triggers, and only then new digests.
MIGRATED_TRIGGER_SQL = {
    ("sqlite", "0016"): "53fd42dd3873b9d7",
    ("sqlite", "0017"): "4f5e582efacc20c5",
    ("postgresql", "0016"): "2379b0804f6ec124",
    ("postgresql", "0017"): "601757e5b3381b4b",
}


@pytest.mark.parametrize(("dialect", "revision"), sorted(MIGRATED_TRIGGER_SQL))
def test_trigger_sql_is_what_the_migrations_ran(dialect: str, revision: str) -> None:
    if revision == "0016":
        parts = [*tally_all.create_triggers_sql(dialect), *tally_all.drop_triggers_sql(dialect)]
        parts.append(tally_all.backfill_sql())
    else:
        parts = [*tally_all.create_cadre_triggers_sql(dialect), *tally_all.drop_cadre_triggers_sql(dialect)]
        parts.append(tally_all.cadre_backfill_sql())
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    assert digest == MIGRATED_TRIGGER_SQL[(dialect, revision)]
