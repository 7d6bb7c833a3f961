"""Every report's arithmetic on the hand-made world of conftest.py (figures worked out by hand)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import select

from zhijin_training.models import AppSetting
from zhijin_training.services import reports
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.rates import Counts

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def approx(x: Fraction | int) -> object:
    return pytest.approx(float(x))


def test_by_cadre_counts_and_order(world) -> None:
    rows = reports.attendance_by_cadre(world.ctx, *Q3)
    by_id = {r.cadre_id: r for r in rows}
    assert [r.cadre_id for r in rows] == [world.a, world.b, world.c, world.d, world.f, world.e]
    assert by_id[world.a].counts == Counts(expected=5, present=3, left_early=1, on_leave=1)
    assert by_id[world.a].rate == 1.0
    assert by_id[world.b].counts == Counts(expected=3, present=1, late=1, absent=1)
    assert by_id[world.b].rate == approx(Fraction(2, 3))
    assert by_id[world.c].counts == Counts(expected=3, present=2, on_leave=1)
    # D: absent (牛场镇), deputy (牛场镇), present (桂果镇): the person keeps all three
    assert by_id[world.d].counts == Counts(expected=3, present=1, absent=1, deputy=1)
    assert by_id[world.d].rate == approx(Fraction(1, 3))
    assert by_id[world.d].unit_name == "桂果镇"  # the current unit
    # E: one not taken (S2) counts nowhere; the trip absence counts
    assert by_id[world.e].counts == Counts(expected=3, present=1, absent=2, not_taken=1)
    assert by_id[world.f].counts == Counts(expected=1, present=1)


def test_by_cadre_unit_filter_uses_post_at_the_time(world) -> None:
    rows = reports.attendance_by_cadre(world.ctx, *Q3, unit_id=world.u3)
    assert [(r.cadre_id, r.unit_name) for r in rows] == [(world.d, "牛场镇")]
    assert rows[0].counts == Counts(expected=2, absent=1, deputy=1)
    assert rows[0].rate == 0.0
    u2 = reports.attendance_by_cadre(world.ctx, *Q3, unit_id=world.u2)
    assert {r.cadre_id: r.counts.expected for r in u2} == {world.c: 3, world.d: 1}


def test_by_cadre_filters_kind_and_search(world) -> None:
    trips = reports.attendance_by_cadre(world.ctx, *Q3, kind="study_trip")
    assert {r.cadre_id: r.counts for r in trips} == {
        world.a: Counts(expected=1, present=1),
        world.e: Counts(expected=1, absent=1),
    }
    assert [r.cadre_id for r in reports.attendance_by_cadre(world.ctx, *Q3, search="丁四")] == [world.d]
    assert [r.cadre_id for r in reports.attendance_by_cadre(world.ctx, *Q3, search="T00 城关")] == [
        world.a,
        world.b,
    ]
    assert reports.attendance_by_cadre(world.ctx, *Q3, search="100%_") == []


def test_by_unit_follows_post_history_and_cancelled_sessions_do_not_count(world) -> None:
    rows = {r.unit_id: r for r in reports.attendance_by_unit(world.ctx, *Q3)}
    assert rows[world.u1].counts == Counts(expected=8, present=4, late=1, left_early=1, on_leave=1, absent=1)
    assert rows[world.u1].rate == approx(Fraction(6, 7))
    assert rows[world.u2].counts == Counts(expected=4, present=3, on_leave=1)
    assert rows[world.u3].counts == Counts(expected=2, absent=1, deputy=1)
    assert rows[world.u4].counts == Counts(expected=1, present=1)
    assert rows[world.dept].counts == Counts(expected=3, present=1, absent=2, not_taken=1)
    assert rows[world.u_none].counts == Counts() and rows[world.u_none].rate is None
    # cadre rows of a unit add up to the unit row
    for unit_id in (world.u1, world.u2, world.u3):
        parts = reports.attendance_by_cadre(world.ctx, *Q3, unit_id=unit_id)
        assert sum((p.counts for p in parts), Counts()) == rows[unit_id].counts


def test_by_unit_kind_filter_and_order(world) -> None:
    townships = reports.attendance_by_unit(world.ctx, *Q3, unit_kind="township")
    assert all(r.unit_kind == "township" for r in townships)
    assert [r.unit_name for r in townships[:4]] == ["城关镇", "桂果镇", "牛场镇", "猫场镇"]
    assert len(townships) == 32


def test_period_boundaries_are_local_days_inclusive(world) -> None:
    # S5 starts 2026-09-30 23:30 in Zhijin (15:30 UTC): in Q3; S6 at 10-01 00:30 (09-30 16:30 UTC): in Q4
    last_day = reports.attendance_by_cadre(world.ctx, date(2026, 9, 30), date(2026, 9, 30))
    assert [(r.cadre_id, r.counts) for r in last_day] == [(world.a, Counts(expected=1, present=1))]
    first_q4 = reports.attendance_by_cadre(world.ctx, date(2026, 10, 1), date(2026, 10, 1))
    assert [(r.cadre_id, r.counts) for r in first_q4] == [(world.a, Counts(expected=1, absent=1))]
    with pytest.raises(ValidationError):
        reports.attendance_by_unit(world.ctx, date(2026, 9, 30), date(2026, 9, 1))


def test_quarterly_review_ranking_ties_and_change(world) -> None:
    review = reports.quarterly_review(world.ctx, "2026q3", threshold=0.8)
    assert (review.quarter, review.start, review.end, review.previous_quarter) == (
        "2026Q3",
        date(2026, 7, 1),
        date(2026, 9, 30),
        "2026Q2",
    )
    ranked = {r.unit_id: r for r in review.rows}
    # 桂果镇 and 猫场镇 both 100%: shared rank 1, then 城关镇 is 3rd (competition ranking 1, 1, 3)
    assert [(r.unit_name, r.rank) for r in review.rows[:4]] == [
        ("桂果镇", 1),
        ("猫场镇", 1),
        ("城关镇", 3),
        ("牛场镇", 4),
    ]
    assert all(r.rank == 5 and r.rate is None for r in review.rows[4:])
    assert len(review.rows) == 32
    assert ranked[world.u2].previous_rate == 0.0 and ranked[world.u2].change == 1.0
    assert ranked[world.u1].previous_rate == 1.0
    assert ranked[world.u1].change == approx(Fraction(6, 7) - 1)
    assert ranked[world.u3].change == -1.0
    assert ranked[world.u4].previous_rate is None and ranked[world.u4].change is None
    # below 80%: township cadres only, lowest first
    assert [(c.cadre_id, round(c.rate or 0, 4)) for c in review.below] == [
        (world.d, round(1 / 3, 4)),
        (world.b, round(2 / 3, 4)),
    ]


def test_quarterly_review_all_units_and_department_cadres(world) -> None:
    review = reports.quarterly_review(world.ctx, "2026Q3", threshold=0.8, unit_kind=None)
    assert [c.cadre_id for c in review.below] == [world.d, world.e, world.b]  # D and E tie at 1/3: by id
    dept = next(r for r in review.rows if r.unit_id == world.dept)
    assert (
        dept.rate == approx(Fraction(1, 3)) and dept.rank == 4
    )  # 1.0, 1.0, 6/7, then 1/3; 牛场镇 (0%) is 5th


def test_review_threshold_comes_from_the_office_setting(world) -> None:
    assert reports.quarterly_review(world.ctx, "2026Q3").threshold == 0.8  # seeded default
    with world.ctx.db.write() as s:
        row = s.exec(select(AppSetting).where(AppSetting.key == "review_threshold")).one()
        row.value = "50%"
        s.add(row)
    review = reports.quarterly_review(world.ctx, "2026Q3")
    assert review.threshold == 0.5
    assert [c.cadre_id for c in review.below] == [world.d]
    with pytest.raises(ValidationError):
        reports.quarterly_review(world.ctx, "2026Q3", threshold=80)


def test_rank_units_ties_are_exact() -> None:
    rows = [
        reports.UnitRow(1, "a", "township", 1, Counts(expected=3, present=2)),
        reports.UnitRow(2, "b", "township", 2, Counts(expected=6, present=4)),
        reports.UnitRow(3, "c", "township", 3, Counts(expected=1, present=1)),
        reports.UnitRow(4, "d", "township", 4, Counts(expected=2, on_leave=2)),
        reports.UnitRow(5, "e", "township", 5, Counts(expected=4, present=1)),
    ]
    ranked = reports.rank_units(rows, {})
    assert [(r.unit_id, r.rank) for r in ranked] == [(3, 1), (1, 2), (2, 2), (5, 4), (4, 5)]


def test_absences_grouped_by_unit_at_the_time_with_post_then(world) -> None:
    groups = reports.absences(world.ctx, *Q3)
    flat = [(g.unit_name, [(i.cadre_name, i.post_title, i.session_title) for i in g.items]) for g in groups]
    assert flat == [
        ("城关镇", [("乙二", "镇党委副书记（抓党建）", "织金大讲堂")]),
        ("牛场镇", [("丁四", "牛场镇党委书记", "织金大讲堂")]),  # the post held then, not the new one
        ("县委组织部", [("戊五", "部长", "织金大讲堂"), ("戊五", "部长", "赴青州参观学习")]),
    ]
    text = reports.absence_notice_text(groups, *Q3)
    assert text.splitlines()[0] == "关于2026年7月1日至2026年9月30日干部教育培训无故缺席情况的通报"
    assert "共有3个单位3名干部无故缺席4人次" in text
    assert "二、牛场镇（1人次）：牛场镇党委书记丁四未参加7月10日“织金大讲堂”。" in text
    assert "三、县委组织部（2人次）" in text
    empty = reports.absence_notice_text([], date(2026, 1, 1), date(2026, 1, 1))
    assert "无无故缺席" in empty and "2026年1月1日" in empty


def test_programme_summary_lecture_per_session_and_topic(world) -> None:
    summary = reports.programme_summary(world.ctx, world.lecture, *Q3)
    sessions = {t.session_id: t for t in summary.sessions}
    s = world.sessions
    assert list(sessions) == [s["S1"], s["S2"], s["S3"], s["S4"], s["S5"]]
    assert sessions[s["S1"]].counts == Counts(expected=5, present=2, late=1, on_leave=1, absent=1)
    assert sessions[s["S2"]].counts == Counts(
        expected=4, present=1, left_early=1, absent=1, deputy=1, not_taken=1
    )
    assert sessions[s["S3"]].counts == Counts(expected=6, present=4, on_leave=1, absent=1)
    assert sessions[s["S4"]].status == "cancelled" and sessions[s["S4"]].counts == Counts()
    assert sessions[s["S4"]].participants == 5
    assert summary.total == Counts(
        expected=16, present=8, late=1, left_early=1, on_leave=2, absent=3, deputy=1, not_taken=1
    )
    assert summary.rate == approx(Fraction(10, 14))
    topics = [(t.topic, t.sessions, t.counts) for t in summary.topics]
    assert topics == [
        ("政策理论", 2, Counts(expected=11, present=6, late=1, on_leave=2, absent=2)),
        ("新型工业化", 2, Counts(expected=5, present=2, left_early=1, absent=1, deputy=1, not_taken=1)),
    ]
    assert summary.attendees == []
    whole = reports.programme_summary(world.ctx, world.lecture)
    assert len(whole.sessions) == 7


def test_programme_summary_trip_lists_who_went(world) -> None:
    summary = reports.programme_summary(world.ctx, world.trip)
    assert [(a.cadre_name, a.unit_name, a.status, a.went) for a in summary.attendees] == [
        ("甲一", "城关镇", "present", True),
        ("戊五", "县委组织部", "absent", False),
    ]
    assert summary.total == Counts(expected=2, present=1, absent=1)


def test_sessions_behind_a_unit_and_a_cadre(world) -> None:
    rows = reports.sessions_behind(world.ctx, unit_id=world.u2, start=Q3[0], end=Q3[1])
    assert [(r.cadre_name, r.status) for r in rows] == [
        ("丙三", "on_leave"),
        ("丙三", "present"),
        ("丙三", "present"),
        ("丁四", "present"),
    ]
    mine = reports.sessions_behind(world.ctx, cadre_id=world.e, start=Q3[0], end=Q3[1])
    assert [r.status for r in mine] == ["present", None, "absent", "absent"]
    assert {r.session_id for r in mine}.isdisjoint({world.sessions["S4"]})


def test_rate_trend(world) -> None:
    quarters = reports.quarters_before("2026Q4", 4)
    assert quarters == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    unit = reports.rate_trend(world.ctx, quarters, unit_id=world.u1)
    assert [q for q, _ in unit] == quarters
    assert [None if r is None else round(r, 6) for _, r in unit] == [None, 1.0, round(6 / 7, 6), 0.0]
    cadre = reports.rate_trend(world.ctx, quarters, cadre_id=world.d)
    assert [None if r is None else round(r, 6) for _, r in cadre] == [None, 1.0, round(1 / 3, 6), None]
