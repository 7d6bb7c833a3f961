"""学时: rules, ranks with dates, training elsewhere and its recognition, the ledger, the 1/7 leave rule."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_ctx
from tests.services.helpers import lecture, secretaries, session_on
from zhijin_training.services import attendance, audit, hours, programmes, roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import NotFoundError, PermissionDenied, ValidationError
from zhijin_training.settings import AccessRole

YEAR = 2026  # FIXED_NOW is 2026-11-24


def _defaults() -> hours.Rules:
    return hours.Rules(dict(hours.DEFAULT_RULES), {k: "default" for k in hours.DEFAULT_RULES})


# ---------------------------------------------------------------- the rules themselves
def test_default_worth_by_kind_and_length() -> None:
    rules = _defaults()
    assert hours.session_worth(rules, "lecture", False, 120) == (2.0, 0.0)
    assert hours.session_worth(rules, "lecture", False, 100) == (1.5, 0.0)  # 1h40 rounds to the half hour
    assert hours.session_worth(rules, "meeting", False, 180) == (0.0, 0.0)
    assert hours.session_worth(rules, "course", False, 180) == (3.0, 0.5)  # half day
    assert hours.session_worth(rules, "course", False, 420) == (6.0, 1.0)  # full day
    assert hours.session_worth(rules, "study_trip", True, 5 * 1440) == (30.0, 5.0)
    assert hours.session_worth(rules, "study_trip", True, 10 * 1440) == (48.0, 10.0)  # capped
    assert hours.session_worth(rules, "secondment", True, 91 * 1440) == (90.0, 91.0)
    # overrides: the session's wins over the programme's, which wins over the rules
    assert hours.session_worth(rules, "lecture", False, 120, programme_hours=4) == (4.0, 0.0)
    assert hours.session_worth(rules, "lecture", False, 120, programme_hours=4, session_hours=1) == (1.0, 0.0)


def test_status_shares_and_leave_within() -> None:
    rules = _defaults().with_values(status__late=0.5)
    worth = (30.0, 5.0)
    assert hours.earned(rules, worth, "present", 0) == (30.0, 5.0)
    assert hours.earned(rules, worth, "late", 0) == (15.0, 2.5)
    assert hours.earned(rules, worth, "absent", 0) == (0.0, 0.0)
    assert hours.earned(rules, worth, "deputy", 0) == (0.0, 0.0)
    assert hours.earned(rules, worth, "present", 6) == (24.0, 4.0)


def test_bad_rule_values_are_coded() -> None:
    with pytest.raises(ValidationError) as exc:
        hours.check_rule("lecture.per_hour", "lots")
    assert exc.value.code == "hours.rule_number" and exc.value.params["key"] == "lecture.per_hour"
    with pytest.raises(ValidationError) as exc:
        hours.check_rule("status.late", 2)
    assert exc.value.code == "hours.rule_fraction"
    with pytest.raises(ValidationError) as exc:
        hours.check_rule("nonsense", 1)
    assert exc.value.code == "hours.rule_unknown"
    assert hours.check_rule("leave.max_share", "2/14") == "1/7"


@given(
    minutes=st.integers(min_value=1, max_value=20 * 1440),
    all_day=st.booleans(),
    kind=st.sampled_from(["lecture", "course", "study_trip", "secondment", "meeting"]),
    per_day=st.floats(min_value=0, max_value=12, allow_nan=False),
    status=st.sampled_from(["present", "late", "left_early", "on_leave", "absent", "deputy", None]),
)
def test_property_worth_is_bounded_and_status_never_earns_more(
    minutes: int, all_day: bool, kind: str, per_day: float, status: str | None
) -> None:
    rules = _defaults().with_values(**{f"{kind}__per_day": per_day})
    worth = hours.session_worth(rules, kind, all_day, minutes)
    assert worth[0] >= 0 and worth[1] >= 0
    got = hours.earned(rules, worth, status, 0)
    assert got[0] <= worth[0] and got[1] <= worth[1]
    if all_day:
        assert worth[0] <= max(1, round(minutes / 1440)) * per_day + 1e-9


# ---------------------------------------------------------------- a rule change recomputes (in the database)
def _lecture_year(ctx: Context, n: int = 3) -> tuple[list[int], list[int]]:
    people = secretaries(ctx, 2)
    prog = lecture(ctx)
    ids = []
    for i in range(n):
        ses = session_on(ctx, prog.id, date(YEAR, 3, 6) + timedelta(days=14 * i))
        attendance.mark_remaining_present(ctx, ses.id)
        ids.append(ses.id)
    return [p.id for p in people], ids


def test_rule_change_recomputes_and_is_audited(ctx: Context) -> None:
    cadres, _ = _lecture_year(ctx)
    before = {r.cadre_id: r.centralised_hours for r in hours.ledger(ctx, YEAR).rows}
    assert before[cadres[0]] == 6.0  # three 2-hour lectures
    hours.set_rule(ctx, "lecture.per_hour", 1.5)
    after = {r.cadre_id: r.centralised_hours for r in hours.ledger(ctx, YEAR).rows}
    assert after[cadres[0]] == 9.0
    entries = audit.list_entries(ctx, entity="hours_rule")
    assert entries and entries[0].after == {"key": "lecture.per_hour", "value": "1.5"}
    assert entries[0].before == {"key": "lecture.per_hour", "value": None}


def test_rule_change_needs_admin_and_config_locks(ctx: Context, db_path) -> None:  # type: ignore[no-untyped-def]
    viewer = make_ctx(db_path, user="li", role=AccessRole.EDITOR)
    with pytest.raises(PermissionDenied):
        hours.set_rule(viewer, "full_day", 8)
    locked = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, hours={"full_day": 8}))
    assert hours.load_rules(locked).values["full_day"] == 8.0
    assert hours.load_rules(locked).sources["full_day"] == "config"
    with pytest.raises(ValidationError) as exc:
        hours.set_rule(locked, "full_day", 7)
    assert exc.value.code == "hours.rule_locked"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(per_hour=st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]), late_share=st.sampled_from([0.0, 0.5, 1.0]))
def test_property_rule_change_recomputes_from_raw_rows(
    ctx: Context, per_hour: float, late_share: float
) -> None:
    if not hours.ledger(ctx, YEAR).rows:
        _lecture_year(ctx)
        # one late mark for the first cadre on the first lecture
        first = hours.hours_items(ctx, hours.ledger(ctx, YEAR).rows[0].cadre_id, year=YEAR)[0]
        attendance.mark(
            ctx,
            first.ref_id,
            hours.ledger(ctx, YEAR).rows[0].cadre_id,
            attendance.Mark("late", correction_reason="test"),
        )
    hours.set_rule(ctx, "lecture.per_hour", per_hour)
    hours.set_rule(ctx, "status.late", late_share)
    for row in hours.ledger(ctx, YEAR).rows:
        items = hours.hours_items(ctx, row.cadre_id, year=YEAR)
        expected = sum(2 * per_hour * (late_share if i.status == "late" else 1.0) for i in items)
        assert row.centralised_hours == pytest.approx(expected)
        assert sum(i.hours for i in items) == pytest.approx(expected)


def test_programme_and_session_override(ctx: Context) -> None:
    cadres, sessions = _lecture_year(ctx)
    prog_id = programmes.list_programmes(ctx)[0].id
    hours.set_programme_hours(ctx, prog_id, 3)
    assert hours.session_hours(ctx, sessions[0]) == (3.0, 0.0)
    hours.set_session_hours(ctx, sessions[0], 1)
    assert hours.session_hours(ctx, sessions[0]) == (1.0, 0.0)
    row = next(r for r in hours.ledger(ctx, YEAR).rows if r.cadre_id == cadres[0])
    assert row.centralised_hours == 1 + 3 + 3


# ---------------------------------------------------------------- ranks with dates
def test_rank_change_mid_year_splits_the_target(ctx: Context) -> None:
    cadre = secretaries(ctx, 1)[0]
    hours.set_rank(ctx, cadre.id, "乡科级", date(2020, 1, 1))
    hours.set_rank(ctx, cadre.id, "副处级", date(YEAR, 7, 1))
    spans = hours.rank_history(ctx, cadre.id)
    assert [(s.rank, s.start, s.end) for s in spans] == [
        ("township_section", date(2020, 1, 1), date(YEAR, 6, 30)),
        ("county_division", date(YEAR, 7, 1), None),
    ]
    row = hours.ledger(ctx, YEAR, cadre_id=cadre.id).rows[0]
    section_days, division_days = 181, 184
    assert row.target == round(90 * section_days / 365 + 110 * division_days / 365, 1)
    assert row.rank == "county_division"
    assert row.five_year_target == 550


@settings(max_examples=25, deadline=None)
@given(
    change=st.dates(min_value=date(YEAR, 1, 2), max_value=date(YEAR, 12, 31)),
    first=st.sampled_from(["township_section", "county_division", "other"]),
    second=st.sampled_from(["township_section", "county_division", "other"]),
)
def test_property_target_follows_the_rank_held_each_day(change: date, first: str, second: str) -> None:
    rules = _defaults()
    spans = [
        hours.RankSpan(first, date(2000, 1, 1), change - timedelta(days=1)),
        hours.RankSpan(second, change, None),
    ]
    per_day = {"township_section": Fraction(90, 365), "county_division": Fraction(110, 365), "other": 0}
    expected = sum(per_day[hours.rank_on(spans, date(YEAR, 1, 1) + timedelta(days=i))] for i in range(365))
    target, _days, _online = hours.year_targets(rules, spans, YEAR)
    assert target == pytest.approx(float(expected))


def test_rank_parse() -> None:
    assert hours.parse_rank("正科级") == "township_section"
    assert hours.parse_rank("副处级") == "county_division"
    assert hours.parse_rank("四级调研员") == "county_division"
    assert hours.parse_rank("") == "other"
    with pytest.raises(ValidationError) as exc:
        hours.parse_rank("将军")
    assert exc.value.code == "hours.rank_unknown"


# ---------------------------------------------------------------- training elsewhere
def _draft(cadre: int, **kw: object) -> hours.RecordDraft:
    base: dict[str, object] = dict(
        cadre=cadre,
        course="乡村振兴专题培训班",
        start_date=date(YEAR, 4, 6),
        end_date=date(YEAR, 4, 10),
        hours=30,
        organiser="省委组织部",
        institution="省委党校",
        evidence="证书 2026-018",
    )
    base.update(kw)
    return hours.RecordDraft(**base)  # type: ignore[arg-type]


def test_recognition_needs_admin_and_counts_only_then(ctx: Context, db_path) -> None:  # type: ignore[no-untyped-def]
    cadre = secretaries(ctx, 1)[0]
    record = hours.add_record(ctx, _draft(cadre.id))
    assert record.state == "submitted" and record.days == 5
    row = hours.ledger(ctx, YEAR, cadre_id=cadre.id).rows[0]
    assert (row.centralised_hours, row.pending) == (0, 1)
    editor = make_ctx(db_path, user="li", role=AccessRole.EDITOR)
    with pytest.raises(PermissionDenied):
        hours.recognise(editor, record.id)
    done = hours.recognise(ctx, record.id)
    assert (done.state, done.decided_by) == ("recognised", "tester")
    row = hours.ledger(ctx, YEAR, cadre_id=cadre.id).rows[0]
    assert (row.centralised_hours, row.centralised_days, row.pending) == (30, 5, 0)
    entry = audit.list_entries(ctx, entity="external_training")[0]
    assert entry.changes["state"] == ("submitted", "recognised")


def test_reject_needs_reason_and_online_counts_apart(ctx: Context) -> None:
    cadre = secretaries(ctx, 1)[0]
    online = hours.add_record(ctx, _draft(cadre.id, category="网络", hours=20, source="网络学院"))
    with pytest.raises(ValidationError) as exc:
        hours.reject(ctx, online.id, "")
    assert exc.value.code == "hours.reason_required"
    hours.recognise(ctx, online.id)
    row = hours.ledger(ctx, YEAR, cadre_id=cadre.id).rows[0]
    assert (row.centralised_hours, row.online_hours) == (0, 20)
    other = hours.add_record(ctx, _draft(cadre.id, course="另一班"))
    rejected = hours.reject(ctx, other.id, "无结业证书")
    assert (rejected.state, rejected.reject_reason) == ("rejected", "无结业证书")


def test_record_validation_is_coded(ctx: Context) -> None:
    cadre = secretaries(ctx, 1)[0]
    with pytest.raises(ValidationError) as exc:
        hours.add_record(ctx, _draft(cadre.id, end_date=date(YEAR, 4, 1)))
    assert exc.value.field == "to"
    with pytest.raises(ValidationError) as exc:
        hours.add_record(ctx, _draft(cadre.id, hours=-1))
    assert exc.value.code == "hours.bad_hours"
    with pytest.raises(ValidationError) as exc:
        hours.add_record(ctx, _draft(cadre.id, category="both"))
    assert exc.value.code == "hours.bad_choice" and exc.value.field == "category"
    with pytest.raises(NotFoundError):
        hours.recognise(ctx, 9999)


# ---------------------------------------------------------------- ledger: targets, pro rata, behind
def test_ledger_targets_shortfall_and_behind(ctx: Context) -> None:
    cadres, _ = _lecture_year(ctx)
    for c in cadres:
        hours.set_rank(ctx, c, "乡科级", date(2020, 1, 1))
    hours.recognise(ctx, hours.add_record(ctx, _draft(cadres[1], hours=90, end_date=date(YEAR, 4, 6))).id)
    book = hours.ledger(ctx, YEAR, as_of=date(YEAR, 7, 2))
    a, b = (next(r for r in book.rows if r.cadre_id == c) for c in cadres)
    assert a.target == 90 and a.centralised_hours == 6 and a.shortfall == 84
    assert a.due == round(90 * 183 / 365, 1) and a.behind_by == round(a.due - 6, 1)
    assert b.shortfall == 0 and b.behind_by == 0
    assert hours.behind_target(ctx, YEAR, as_of=date(YEAR, 7, 2))[0].cadre_id == cadres[0]


def test_first_cadres_of_the_ledger_start_the_whole_ledger(ctx: Context) -> None:
    cadres, _ = _lecture_year(ctx)
    for i, unit in enumerate(roster.list_units(ctx, kind="township")[2:12]):  # ten more, no 学时 yet
        roster.add_cadre(ctx, name=f"副书记{i}", unit=unit.id, post_title="党委副书记", role="deputy_party_building")
    hours.set_rank(ctx, cadres[0], "县处级", date(2020, 1, 1))  # the five-year figures too
    hours.recognise(ctx, hours.add_record(ctx, _draft(cadres[1], hours=30, end_date=date(YEAR, 4, 6))).id)
    for use_tallies in (True, False):
        whole = hours.ledger(ctx, YEAR, as_of=date(YEAR, 7, 2), use_tallies=use_tallies).rows
        assert len(whole) == 12
        for first in (1, 2, 7, 12):
            part = hours.ledger(ctx, YEAR, as_of=date(YEAR, 7, 2), use_tallies=use_tallies, first_cadres=first)
            assert part.rows == whole[:first], (use_tallies, first)  # every active cadre has a row
        assert hours.ledger(ctx, YEAR, as_of=date(YEAR, 7, 2), first_cadres=10**6).rows == whole


def test_days_target_met_means_no_shortfall(ctx: Context) -> None:
    cadre = secretaries(ctx, 1)[0]
    hours.set_rank(ctx, cadre.id, "乡科级", date(2020, 1, 1))
    hours.recognise(
        ctx,
        hours.add_record(
            ctx, _draft(cadre.id, hours=60, start_date=date(YEAR, 3, 1), end_date=date(YEAR, 3, 12))
        ).id,
    )
    row = hours.ledger(ctx, YEAR, cadre_id=cadre.id).rows[0]
    assert row.centralised_days == 12 and row.centralised_hours == 60 and row.shortfall == 0


# ---------------------------------------------------------------- the 1/7 leave rule
def _trip(ctx: Context, days: int = 5) -> tuple[int, list[int]]:
    people = secretaries(ctx, 3)
    prog = programmes.add_programme(ctx, kind="study_trip", title="赴青州参观学习", destinations=["青州"])
    first = date(YEAR, 5, 11)
    trip = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=prog.id,
            first_day=first,
            last_day=first + timedelta(days=days - 1),
            participants=tuple(p.id for p in people),
        ),
        force=True,
    )
    return trip.id, [p.id for p in people]


def test_leave_over_one_seventh_warns_before_saving(ctx: Context) -> None:
    trip, people = _trip(ctx)  # 5 days × 6 = 30 学时: 1/7 is 4.29
    ok = attendance.Mark("present", leave_hours=3, leave_reason="病假", approved_by="县委组织部")
    attendance.mark(ctx, trip, people[0], ok)
    over = attendance.Mark("present", leave_hours=6, leave_reason="病假", approved_by="县委组织部")
    with pytest.raises(hours.LeaveLimitWarning) as exc:
        attendance.mark(ctx, trip, people[1], over)
    assert exc.value.code == "hours.leave_over_limit"
    assert (exc.value.params["total"], exc.value.params["leave"]) == (30.0, 6.0)
    assert attendance.session_attendance(ctx, trip).participants[1].status is None  # nothing saved
    attendance.mark(ctx, trip, people[1], over, force=True)
    listed = hours.leave_over(ctx, YEAR)
    assert [(r.cadre_id, r.total_hours, r.leave_hours) for r in listed] == [(people[1], 30.0, 6.0)]
    row = hours.ledger(ctx, YEAR, cadre_id=people[1]).rows[0]
    assert row.centralised_hours == 24 and row.centralised_days == 4


def test_leave_needs_reason_and_approver(ctx: Context) -> None:
    trip, people = _trip(ctx)
    with pytest.raises(ValidationError) as exc:
        attendance.mark(ctx, trip, people[0], attendance.Mark("present", leave_hours=2))
    assert exc.value.code == "hours.leave_needs_approval"


def test_leave_within_a_session_keeps_its_details_and_other_statuses_drop_them(ctx: Context) -> None:
    """The merge of the status table (StatusSpec.needs) with leave within a session: a present cadre with
    two hours' leave keeps the reason and approver; marked absent later, the leave hours and details go."""
    trip, people = _trip(ctx)
    leave = attendance.Mark("present", leave_hours=2, leave_reason="病假", approved_by="县委组织部")
    view = attendance.mark(ctx, trip, people[0], leave)
    assert (view.status, view.leave_reason, view.approved_by) == ("present", "病假", "县委组织部")
    view = attendance.mark(ctx, trip, people[0], attendance.Mark("absent", leave_reason="病假"))
    assert (view.status, view.leave_reason, view.approved_by) == ("absent", "", "")
    assert hours.leave_over(ctx, YEAR) == []


def test_the_one_seventh_warning_is_a_coded_schedule_warning(ctx: Context) -> None:
    """The TUI and CLI offer 'save anyway' for a ScheduleWarning; the text comes from the catalogue."""
    from zhijin_training.services.errors import describe
    from zhijin_training.services.schedule import ScheduleWarning

    trip, people = _trip(ctx)
    over = attendance.Mark("on_leave", leave_reason="病假", approved_by="县委组织部")
    with pytest.raises(ScheduleWarning) as exc:
        attendance.mark(ctx, trip, people[0], over)
    assert (exc.value.code, exc.value.field) == ("hours.leave_over_limit", "leave_hours")
    title, text = describe(exc.value, "zh")
    assert title == "请假超过 1/7" and "30" in text and "第十五条" in text


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.integers(min_value=2, max_value=9),
    leave=st.integers(min_value=1, max_value=12),
    per_day=st.sampled_from([6.0, 7.5, 8.0]),
)
def test_property_one_seventh_uses_the_course_own_hours(days: int, leave: int, per_day: float) -> None:
    rules = _defaults().with_values(study_trip__per_day=per_day)
    worth = hours.session_worth(rules, "study_trip", True, days * 1440)
    total = worth[0]  # capped at 48: the course's own 学时, not days × per_day
    assert total == min(days * per_day, 48)
    taken = hours.leave_taken(rules, worth, "present", float(leave))
    assert hours.over_limit(rules, total, taken) == (Fraction(str(taken)) * 7 > Fraction(str(total)))


def test_lecture_is_not_a_full_time_course(ctx: Context) -> None:
    cadres, sessions = _lecture_year(ctx, 1)
    # a leave at a lecture is ordinary leave: no 1/7 question
    attendance.mark(
        ctx,
        sessions[0],
        cadres[0],
        attendance.Mark("on_leave", leave_reason="病假", approved_by="县委组织部", correction_reason="改正"),
    )
    assert hours.leave_over(ctx, YEAR) == []


# ---------------------------------------------------------------- dossier
def test_dossier_collects_everything(ctx: Context) -> None:
    cadres, _ = _lecture_year(ctx, 2)
    hours.recognise(ctx, hours.add_record(ctx, _draft(cadres[0])).id)
    hours.add_record(
        ctx,
        _draft(
            cadres[0],
            course="待认定班",
            start_date=date(YEAR - 1, 4, 6),
            end_date=date(YEAR - 1, 4, 6),
            hours=6,
        ),
    )
    d = hours.dossier(ctx, cadres[0])
    assert [i.source for i in d.items] == ["external", "session", "session", "external"]
    this_year = next(y for y in d.years if y.year == YEAR)
    assert this_year.centralised_hours == 4 + 30
    assert d.five_year_hours == 34  # the pending one counts nothing
    assert d.posts and d.posts[0].post_title == "乡党委书记"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    trip_days=st.integers(min_value=1, max_value=12),
    secondment_days=st.integers(min_value=20, max_value=95),
    course_hours=st.sampled_from([2, 4, 5, 7]),
    rounding=st.sampled_from(list(hours.ROUNDING)),
)
def test_property_sql_ledger_agrees_with_the_rules_in_python(
    ctx: Context, trip_days: int, secondment_days: int, course_hours: int, rounding: str
) -> None:
    """The ledger's SQL aggregate and `session_worth` (used for drill-down and dossiers) give the same 学时."""
    people = (
        [p.id for p in secretaries(ctx, 1)]
        if not hours.ledger(ctx, YEAR).rows
        else [hours.ledger(ctx, YEAR).rows[0].cadre_id]
    )
    hours.set_rule(ctx, "rounding", rounding)
    start = date(YEAR, 1, 5) + timedelta(days=len(hours.hours_items(ctx, people[0], year=YEAR)) * 100 % 200)
    for kind, days in (("study_trip", trip_days), ("secondment", secondment_days)):
        prog = programmes.add_programme(ctx, kind=kind, title=f"{kind}{start}")
        ses = schedule.create_session(
            ctx,
            schedule.SessionDraft(
                programme=prog.id,
                first_day=start,
                last_day=start + timedelta(days=days - 1),
                participants=tuple(people),
            ),
            force=True,
        )
        attendance.mark_remaining_present(ctx, ses.id)
    course = programmes.add_programme(ctx, kind="course", title=f"课{start}")
    lec = lecture(ctx)
    for prog_id, length in ((course.id, course_hours), (lec.id, 1)):
        ses = session_on(ctx, prog_id, start + timedelta(days=1), 9, 9 + length, participants=tuple(people))
        attendance.mark_remaining_present(ctx, ses.id)
    row = hours.ledger(ctx, YEAR, cadre_id=people[0]).rows[0]
    items = hours.hours_items(ctx, people[0], year=YEAR)
    assert row.centralised_hours == pytest.approx(sum(i.hours for i in items))
    assert row.centralised_days == pytest.approx(sum(i.days for i in items))
