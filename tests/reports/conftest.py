"""A small hand-made world whose every figure is worked out by hand in the tests.

Q2 2026: S0 (06-05).  Q3 2026: S1 (07-10), S2 (08-07), S3 (09-04), S4 (09-18, cancelled after marking),
S5 (09-30 23:30, last minute of the quarter), trip T (09-07..09).  Q4: S6 (10-01 00:30).
D moves from 牛场镇 to 桂果镇 on 08-15: S1 and S2 count for 牛场镇, S3 for 桂果镇.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from zhijin_training.services import attendance, programmes, roster, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Context
from zhijin_training.timeutil import to_utc


@dataclass(frozen=True)
class World:
    ctx: Context
    u1: int  # 城关镇
    u2: int  # 桂果镇
    u3: int  # 牛场镇
    u4: int  # 猫场镇
    u_none: int  # 化起镇: no data
    dept: int
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int
    lecture: int
    trip: int
    sessions: dict[str, int]


def _m(status: str) -> Mark:
    if status == "on_leave":
        return Mark(status, leave_reason="病假", approved_by="组织部")
    if status == "deputy":
        return Mark(status, deputy_name="副职代会")
    return Mark(status)


def _session(ctx: Context, programme: int, when: datetime, topic: str, people: tuple[int, ...]) -> int:
    start = to_utc(when)
    view = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=programme,
            starts_at=start,
            ends_at=start + timedelta(hours=2) if when.hour < 22 else start + timedelta(minutes=20),
            topic=topic,
            location="县委党校报告厅",
            participants=people,
        ),
        force=True,
    )
    return view.id


def build_world(ctx: Context) -> World:
    unit = {n: roster.resolve_unit(ctx, n).id for n in ("城关镇", "桂果镇", "牛场镇", "猫场镇", "化起镇")}
    dept = roster.resolve_unit(ctx, "县委组织部").id
    since = date(2026, 1, 1)

    def add(name: str, u: int, post: str, role: str, ref: str) -> int:
        return roster.add_cadre(ctx, name=name, unit=u, post_title=post, role=role, since=since, ref=ref).id

    a = add("甲一", unit["城关镇"], "镇党委书记", "township_secretary", "T001")
    b = add("乙二", unit["城关镇"], "镇党委副书记（抓党建）", "deputy_party_building", "T002")
    c = add("丙三", unit["桂果镇"], "镇党委书记", "township_secretary", "T003")
    d = add("丁四", unit["牛场镇"], "牛场镇党委书记", "township_secretary", "T004")
    e = add("戊五", dept, "部长", "department_head", "T005")
    f = add("己六", unit["猫场镇"], "镇党委书记", "township_secretary", "T006")
    roster.move_cadre(
        ctx,
        d,
        unit=unit["桂果镇"],
        post_title="桂果镇党委副书记",
        role="deputy_party_building",
        effective=date(2026, 8, 15),
    )
    lecture = programmes.add_programme(ctx, kind="lecture", title="织金大讲堂").id
    trip = programmes.add_programme(ctx, kind="study_trip", title="赴青州参观学习", destinations=["青州"]).id
    everyone = (a, b, c, d, e)
    s: dict[str, int] = {}
    s["S0"] = _session(ctx, lecture, datetime(2026, 6, 5, 15), "政策理论", (a, b, c, d))
    s["S1"] = _session(ctx, lecture, datetime(2026, 7, 10, 15), "政策理论", everyone)
    s["S2"] = _session(ctx, lecture, datetime(2026, 8, 7, 15), "新型工业化", everyone)
    s["S3"] = _session(ctx, lecture, datetime(2026, 9, 4, 15), "政策理论", (*everyone, f))
    s["S4"] = _session(ctx, lecture, datetime(2026, 9, 18, 15), "乡村振兴", everyone)
    s["S5"] = _session(ctx, lecture, datetime(2026, 9, 30, 23, 30), "新型工业化", (a,))
    s["S6"] = _session(ctx, lecture, datetime(2026, 10, 1, 0, 30), "新型工业化", (a,))
    trip_view = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=trip,
            first_day=date(2026, 9, 7),
            last_day=date(2026, 9, 9),
            location="青州",
            participants=(a, e),
        ),
        force=True,
    )
    s["T"] = trip_view.id
    marks = {
        "S0": {a: "present", b: "present", c: "absent", d: "present"},
        "S1": {a: "present", b: "late", c: "on_leave", d: "absent", e: "present"},
        "S2": {a: "left_early", b: "absent", c: "present", d: "deputy"},  # e: not taken
        "S3": {a: "on_leave", b: "present", c: "present", d: "present", e: "absent", f: "present"},
        "S4": {a: "absent", b: "absent", c: "absent", d: "absent", e: "absent"},
        "S5": {a: "present"},
        "S6": {a: "absent"},
        "T": {a: "present", e: "absent"},
    }
    for key, entries in marks.items():
        attendance.mark_many(ctx, s[key], {cid: _m(st) for cid, st in entries.items()})
    s4 = schedule.get_session(ctx, s["S4"])
    schedule.cancel_session(ctx, s["S4"], expected_version=s4.version, reason="上级会议冲突")
    return World(
        ctx,
        unit["城关镇"],
        unit["桂果镇"],
        unit["牛场镇"],
        unit["猫场镇"],
        unit["化起镇"],
        dept,
        a,
        b,
        c,
        d,
        e,
        f,
        lecture,
        trip,
        s,
    )


@pytest.fixture
def world(ctx: Context) -> World:
    return build_world(ctx)
