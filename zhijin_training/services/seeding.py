"""`init`: create or upgrade the database and load the seed data, idempotently; `--demo` adds a living year.

Seed files ship inside the package (`zhijin_training.seeds`, the top-level `seeds/` folder of the source).
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources

from sqlmodel import Session, col, select

from zhijin_training.models import AppSetting, Cadre, Programme, Role, Unit, UnitKind
from zhijin_training.services import attendance, programmes, roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError
from zhijin_training.timeutil import LOCAL_TZ, local_date, to_utc

UNIT_SETS = ("2012", "current")
DEMO_NOTE = "示例数据（虚构人物）"


def read_seed(name: str) -> list[dict[str, str]]:
    text = resources.files("zhijin_training.seeds").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def standard_topics(lang: str = "zh") -> list[str]:
    return [row[lang] for row in read_seed("topics.csv")]


@dataclass
class InitReport:
    revision_before: str | None
    revision_after: str
    units_added: int = 0
    units_updated: int = 0
    units_deactivated: int = 0
    departments_added: int = 0
    demo: bool = False
    cadres: int = 0
    sessions: int = 0


def init_database(
    ctx: Context, *, units: str = "2012", demo: bool = False, progress: Callable[[str], None] | None = None
) -> InitReport:
    if units not in UNIT_SETS:
        raise ValidationError("value.unknown", field="--units", value=units, allowed=["2012", "current"])
    from zhijin_training.db import migrate  # Alembic is heavy: only `init` needs it

    say = progress or (lambda _msg: None)
    before = migrate.current_revision(ctx.db)
    say("migrating")
    migrate.upgrade(ctx.db)
    report = InitReport(before, migrate.head_revision(ctx.db))
    with ctx.db.write() as s:
        say("units")
        _load_units(s, units, report)
        _load_departments(s, report)
        _load_settings(s)
    if demo:
        say("demo data")
        with ctx.db.read() as s:
            has_people = s.exec(select(Cadre.id).limit(1)).first() is not None
        if not has_people:
            counts = seed_demo(ctx)
            report.demo, report.cadres, report.sessions = True, counts[0], counts[1]
    return report


def _load_units(s: Session, which: str, report: InitReport) -> None:
    rows = read_seed(f"units_{which}.csv")
    existing = list(s.exec(select(Unit).where(Unit.kind == UnitKind.TOWNSHIP.value)).all())
    by_code = {u.code: u for u in existing if u.code}
    by_name = {u.name: u for u in existing}
    wanted = set()
    for order, row in enumerate(rows, start=1):
        unit = by_code.get(row["code"]) or by_name.get(row["name"])
        if unit is None:
            unit = Unit(
                name=row["name"],
                kind=UnitKind.TOWNSHIP.value,
                subkind=row["subkind"],
                code=row["code"],
                sort_order=order,
                note="统计代码为推断" if row["code_inferred"] == "yes" else "",
            )
            s.add(unit)
            report.units_added += 1
        elif (unit.code, unit.subkind, unit.active) != (row["code"], row["subkind"], True):
            unit.code, unit.subkind, unit.active, unit.sort_order = row["code"], row["subkind"], True, order
            unit.version += 1
            s.add(unit)
            report.units_updated += 1
        s.flush()
        wanted.add(unit.id)
    if which == "current":
        # administrative divisions change: old units stay for history but stop being offered
        for unit in existing:
            if unit.id not in wanted and unit.active:
                unit.active = False
                unit.valid_to = unit.valid_to or date(2015, 12, 31)
                unit.version += 1
                s.add(unit)
                report.units_deactivated += 1


def _load_departments(s: Session, report: InitReport) -> None:
    existing = {u.name for u in s.exec(select(Unit).where(Unit.kind == UnitKind.DEPARTMENT.value)).all()}
    for order, row in enumerate(read_seed("departments.csv"), start=1):
        if row["name"] not in existing:
            s.add(
                Unit(
                    name=row["name"],
                    kind=UnitKind.DEPARTMENT.value,
                    sort_order=1000 + order,
                    note=row["group"],
                )
            )
            report.departments_added += 1


def _load_settings(s: Session) -> None:
    defaults = {
        "topics": json.dumps(standard_topics("zh"), ensure_ascii=False),
        "places": json.dumps([r["name"] for r in read_seed("places.csv")], ensure_ascii=False),
        "review_threshold": "0.8",
        # calendar alarm lead time (minutes) per programme kind; empty: no alarm
        "alarm.lecture": "60",
        "alarm.course": "60",
        "alarm.meeting": "30",
        "alarm.study_trip": "",
        "alarm.secondment": "",
    }
    present = {k for k in s.exec(select(AppSetting.key)).all()}
    for key, value in defaults.items():
        if key not in present:
            s.add(AppSetting(key=key, value=value))


# ---------------------------------------------------------------- demo
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢龙"
)
_GIVEN = "明华建国志强永军海涛文斌伟刚平勇敏静丽艳红霞云飞鹏辉林杰超波宇兴祥德顺福安康宁秀英玉兰"
_SPEAKERS = [
    "县委党校 王教授（示例）",
    "省委党校 李研究员（示例）",
    "县发展和改革局 张局长（示例）",
    "县农业局 陈高级农艺师（示例）",
    "县投资促进局 刘局长（示例）",
    "县旅游局 黄局长（示例）",
    "县住房和城乡建设局 赵局长（示例）",
]
_LEAVE_REASONS = ["参加市里会议", "病假", "防汛值班", "上级检查接待", "事假（家中有事）"]


def _fictional_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in used or rng.random() < 0.03:  # a few shared names, as in real life
            used.add(name)
            return name


def seed_demo(ctx: Context, *, today: date | None = None, seed: int = 2012) -> tuple[int, int]:
    """A clearly fictional roster and a plausible year of lectures, trips and a secondment."""
    rng = random.Random(seed)
    today = today or local_date(ctx.now())
    year = today.year
    used: set[str] = set()
    townships = roster.list_units(ctx, kind=UnitKind.TOWNSHIP.value, active_only=True)
    departments = roster.list_units(ctx, kind=UnitKind.DEPARTMENT.value, active_only=True)
    since = date(year - 1, 1, 1)
    cadre_count = 0
    for i, unit in enumerate(townships):
        kind = "镇" if unit.subkind == "镇" else "乡" if unit.subkind == "乡" else "街道"
        for role, post in (
            (Role.TOWNSHIP_SECRETARY, f"{kind}党委书记"),
            (Role.DEPUTY_PARTY_BUILDING, f"{kind}党委副书记（抓党建）"),
        ):
            roster.add_cadre(
                ctx,
                name=_fictional_name(rng, used),
                unit=unit.id,
                post_title=post,
                role=role.value,
                phone=f"1380857{i:02d}{cadre_count % 100:02d}",
                note=DEMO_NOTE,
                since=since,
                ref=f"DEMO{cadre_count + 1:04d}",
            )
            cadre_count += 1
    for unit in departments[:24]:
        title = "部长" if unit.name.endswith("部") else "局长" if unit.name.endswith("局") else "主任"
        roster.add_cadre(
            ctx,
            name=_fictional_name(rng, used),
            unit=unit.id,
            post_title=title,
            role=Role.DEPARTMENT_HEAD.value,
            note=DEMO_NOTE,
            since=since,
            ref=f"DEMO{cadre_count + 1:04d}",
        )
        cadre_count += 1
    # a promotion in the middle of the year: history is kept, unit figures follow the post
    secretaries = roster.list_cadres(ctx, role=Role.TOWNSHIP_SECRETARY.value)
    deputies = roster.list_cadres(ctx, role=Role.DEPUTY_PARTY_BUILDING.value)
    promoted = deputies[3]
    roster.move_cadre(
        ctx,
        promoted.id,
        unit=townships[10].id,
        post_title="乡党委书记（交流任职）",
        role=Role.TOWNSHIP_SECRETARY.value,
        effective=date(year, 7, 1),
    )

    topics = standard_topics("zh")
    lecture = programmes.add_programme(
        ctx,
        kind="lecture",
        title="织金大讲堂",
        organiser="县委组织部、县委宣传部",
        description="面向全县干部的系列讲座，在织金电视台录制播出；各乡镇（街道）设分会场收看。",
        audience=[
            ("role", Role.TOWNSHIP_SECRETARY.value),
            ("role", Role.DEPUTY_PARTY_BUILDING.value),
            ("role", Role.DEPARTMENT_HEAD.value),
        ],
    )
    first = _local(date(year, 3, 6), time(15, 0))
    while first.weekday() != 4:
        first += timedelta(days=1)
    series = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=lecture.id,
            starts_at=first,
            ends_at=first + timedelta(hours=2),
            location="县委党校报告厅",
            branch_venues=("各乡镇（街道）党委会议室",),
            broadcast_at=first + timedelta(hours=5),  # 20:00 the same evening on Zhijin TV
        ),
        schedule.SeriesRule(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(year, 12, 31)),
        force=True,
    )
    for i, session in enumerate(series.sessions):
        schedule.update_session(
            ctx,
            session.id,
            schedule.SessionChanges(
                topic=topics[i % len(topics)],
                speaker=_SPEAKERS[i % len(_SPEAKERS)],
                title=f"织金大讲堂 第{i + 1}讲：{topics[i % len(topics)]}",
            ),
            expected_version=session.version,
            scope="this",
            force=True,
        )
    shandong = programmes.add_programme(
        ctx,
        kind="study_trip",
        title="赴山东青岛、青州、寿光参观学习",
        destinations=["青岛", "青州", "寿光"],
        organiser="县委组织部",
        description="学习青州、寿光现代农业和青岛城市建设与招商引资经验。",
    )
    trip_start = date(year, 5, 11)
    schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=shandong.id,
            first_day=trip_start,
            last_day=trip_start + timedelta(days=4),
            location="山东",
            participants=tuple(c.id for c in secretaries[:16]),
            itinerary=(
                schedule.ItineraryStop(trip_start, "青岛", "城市建设与管理、招商引资座谈"),
                schedule.ItineraryStop(trip_start + timedelta(days=1), "青岛", "西海岸新区项目建设现场"),
                schedule.ItineraryStop(trip_start + timedelta(days=2), "青州", "农业园区、乡村治理"),
                schedule.ItineraryStop(trip_start + timedelta(days=3), "寿光", "蔬菜产业化、设施农业"),
                schedule.ItineraryStop(trip_start + timedelta(days=4), "寿光", "交流总结、返程"),
            ),
        ),
        force=True,
    )
    bijie = programmes.add_programme(
        ctx,
        kind="study_trip",
        title="百里杜鹃、黔西参观学习",
        destinations=["百里杜鹃", "黔西"],
        organiser="县委组织部",
    )
    near = today + timedelta(days=(7 - today.weekday()) % 7 + 14)
    schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=bijie.id,
            first_day=near,
            last_day=near + timedelta(days=2),
            location="百里杜鹃、黔西",
            participants=tuple(c.id for c in secretaries[16:32]),
            itinerary=(
                schedule.ItineraryStop(near, "百里杜鹃", "旅游文化与景区管理"),
                schedule.ItineraryStop(near + timedelta(days=1), "黔西", "新型工业化园区"),
                schedule.ItineraryStop(near + timedelta(days=2), "黔西", "座谈交流、返程"),
            ),
        ),
        force=True,
    )
    secondment = programmes.add_programme(
        ctx,
        kind="secondment",
        title="赴青州、寿光挂职学习",
        host_place="山东省青州市、寿光市",
        organiser="县委组织部",
        description="8名干部赴青州、寿光挂职学习三个月。",
    )
    sec_start = date(year, 9, 1)
    schedule.create_secondment(
        ctx,
        schedule.SessionDraft(
            programme=secondment.id,
            first_day=sec_start,
            last_day=date(year, 11, 30),
            participants=tuple(c.id for c in deputies[:8]),
        ),
        force=True,
    )
    meeting = programmes.add_programme(
        ctx,
        kind="meeting",
        title="季度工作讲评会",
        organiser="县委组织部",
        audience=[("role", Role.TOWNSHIP_SECRETARY.value)],
    )
    for month in (1, 4, 7, 10):
        day = date(year, month, 20)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = _local(day, time(9, 0))
        schedule.create_session(
            ctx,
            schedule.SessionDraft(
                programme=meeting.id,
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                location="县委常委会议室",
            ),
            force=True,
        )
    _take_demo_attendance(ctx, rng, today)
    sessions = schedule.list_sessions(ctx)
    return cadre_count, len(sessions)


def _local(day: date, at: time) -> datetime:
    return to_utc(datetime.combine(day, at, tzinfo=LOCAL_TZ))


def _take_demo_attendance(ctx: Context, rng: random.Random, today: date) -> None:
    past = [
        s
        for s in schedule.list_sessions(ctx, end=today - timedelta(days=1), include_cancelled=False)
        if s.programme_kind != "secondment" and s.last_day < today
    ]
    # leave the most recent lecture untaken, so a newcomer has something to do
    lectures = [s for s in past if s.programme_kind == "lecture"]
    skip = {lectures[-1].id} if lectures else set()
    for session in past:
        if session.id in skip:
            continue
        sheet = attendance.session_attendance(ctx, session.id)
        marks: dict[int, attendance.Mark] = {}
        for p in sheet.participants:
            roll = rng.random()
            if roll < 0.82:
                marks[p.cadre_id] = attendance.Mark(
                    "present", venue="分会场" if rng.random() < 0.4 else "主会场"
                )
            elif roll < 0.88:
                marks[p.cadre_id] = attendance.Mark("late", note="迟到约10分钟")
            elif roll < 0.91:
                marks[p.cadre_id] = attendance.Mark("left_early")
            elif roll < 0.96:
                marks[p.cadre_id] = attendance.Mark(
                    "on_leave", leave_reason=rng.choice(_LEAVE_REASONS), approved_by="县委组织部"
                )
            elif roll < 0.98:
                marks[p.cadre_id] = attendance.Mark("deputy", deputy_name="本单位副职（示例）")
            else:
                marks[p.cadre_id] = attendance.Mark("absent")
        attendance.mark_many(ctx, session.id, marks)


def demo_programme_ids(s: Session) -> list[int]:
    return [p for p in s.exec(select(Programme.id).order_by(col(Programme.id))).all() if p]
