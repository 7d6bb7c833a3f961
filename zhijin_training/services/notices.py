"""The texts of the notices the office sends: a session's 通知 (lecture, trip, course) and a quarter's 通报.

Step one of two: these build a `NoticeText` a person may edit; `write_notice` lays it out as .docx
(zhijin_training.documents.notice) and writes the file (0600, never through a symlink, atomically).

Office name, contact and the default wording come from the config:

    [office]
    name = "中共织金县委组织部 干部教育培训办公室"   # already used by the ledgers
    contact = "王老师"; phone = "0857-7622000"    # (or under [notice])
    [notice]
    issuer = "中共织金县委组织部"                 # the issuing office (署名)
    contact = "王老师"
    phone = "0857-7622000"
    addressees = "各乡（镇、街道）党委，县直各单位："
    requirements = ["……", "……"]                  # the 有关要求 paragraphs
    assembly_time = "07:30"                      # trips: when and where the group gathers
    assembly_place = "县委组织部大楼前"
    reply_days = 2                               # reply slips are due this many days before
    title_font / body_font / heading1_font / heading2_font  # only where the office lacks the standard fonts
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from zhijin_training.documents.notice import Attachment, Fonts, NoticeText, Table, chinese_date, notice_docx
from zhijin_training.enums import ProgrammeKind
from zhijin_training.services import reports
from zhijin_training.services.attendance import session_attendance
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import local_date, quarter_bounds, to_local

_WEEKDAYS = "一二三四五六日"
_CN = "一二三四五六七八九十"
_ROLE_NAMES = {
    "township_secretary": "乡（镇、街道）党委书记",
    "deputy_party_building": "乡（镇、街道）党委副书记（抓党建）",
    "department_head": "县直部门负责人",
}


@dataclass(frozen=True)
class NoticeConfig:
    issuer: str = "中共织金县委组织部"
    contact: str = "干部教育培训办公室"
    phone: str = "0857-7622000"
    addressees: str = "各乡（镇、街道）党委，县直各单位："
    requirements: tuple[str, ...] = (
        "请参训人员提前15分钟到达会场签到，自觉遵守会场纪律，将手机调至静音状态。",
        "参训人员原则上不得请假。确因特殊情况不能参加的，须经单位主要负责人同意后向县委组织部书面请假；"
        "未经批准不参加的，按无故缺席处理，并纳入年度目标考核。",
        "请各单位高度重视，认真组织，确保参训人员按时参加。",
    )
    assembly_time: str = "07:30"
    assembly_place: str = "县委组织部大楼前"
    reply_days: int = 2
    fonts: Fonts = field(default_factory=Fonts)


def notice_config(ctx: Context) -> NoticeConfig:
    """[notice] of the config, over the defaults (the config file's own checks live in settings)."""
    section: dict[str, Any] = dict(ctx.settings.extra.get("notice", {}) or {})
    office: dict[str, Any] = dict(ctx.settings.extra.get("office", {}) or {})
    for key in ("contact", "phone"):  # the office's contact may live under [office] as well
        if key not in section and key in office:
            section[key] = office[key]
    base = NoticeConfig()
    fonts = Fonts(
        title=str(section.get("title_font", base.fonts.title)),
        body=str(section.get("body_font", base.fonts.body)),
        heading1=str(section.get("heading1_font", base.fonts.heading1)),
        heading2=str(section.get("heading2_font", base.fonts.heading2)),
    )
    requirements = section.get("requirements", base.requirements)
    if isinstance(requirements, str):
        requirements = [requirements]
    try:
        reply_days = int(section.get("reply_days", base.reply_days))
    except (TypeError, ValueError):
        reply_days = base.reply_days
    return NoticeConfig(
        issuer=str(section.get("issuer", base.issuer)),
        contact=str(section.get("contact", base.contact)),
        phone=str(section.get("phone", base.phone)),
        addressees=str(section.get("addressees", base.addressees)),
        requirements=tuple(str(r) for r in requirements),
        assembly_time=str(section.get("assembly_time", base.assembly_time)),
        assembly_place=str(section.get("assembly_place", base.assembly_place)),
        reply_days=max(0, reply_days),
        fonts=fonts,
    )


# ---------------------------------------------------------------- wording helpers
def _cn(n: int) -> str:
    return _CN[n - 1] if n <= 10 else str(n)


def _day(value: date) -> str:
    return f"{chinese_date(value)}（星期{_WEEKDAYS[value.weekday()]}）"


def _clock(value: datetime) -> str:
    return f"{to_local(value):%H:%M}"


def _when(view: SessionView) -> str:
    if view.all_day:
        first, last = view.first_day, view.last_day
        if first == last:
            return _day(first)
        days = (last - first).days + 1
        return f"{chinese_date(first)}至{chinese_date(last)}，共{days}天"
    start, end = to_local(view.starts_at), to_local(view.ends_at)
    return f"{_day(start.date())}{_clock(view.starts_at)}—{_clock(view.ends_at)}" + (
        "" if start.date() == end.date() else f"（至{chinese_date(end.date())}）"
    )


def _numbered(headings: list[tuple[str, list[str]]]) -> list[str]:
    lines: list[str] = []
    for n, (heading, paragraphs) in enumerate(headings, start=1):
        lines.append(f"{_cn(n)}、{heading}")
        lines.extend(paragraphs)
    return lines


def _audience(ctx: Context, session_id: int) -> tuple[str, list[tuple[str, int]]]:
    """Who is expected, in a notice's words, and the invited units with their number of participants."""
    sheet = session_attendance(ctx, session_id)
    roles: dict[str, int] = {}
    units: dict[str, int] = {}
    for p in sheet.participants:
        roles[p.role] = roles.get(p.role, 0) + 1
        units[p.unit_name or "其他"] = units.get(p.unit_name or "其他", 0) + 1
    named = [_ROLE_NAMES[r] for r in _ROLE_NAMES if r in roles]
    if roles.keys() - _ROLE_NAMES.keys():
        named.append("有关干部")
    total = len(sheet.participants)
    text = ("、".join(named) or "有关干部") + (f"，共{total}人。" if total else "。")
    return text, list(units.items())


def _reply_slip(view: SessionView, units: list[tuple[str, int]], config: NoticeConfig) -> Attachment:
    due = view.first_day - timedelta(days=config.reply_days)
    rows = tuple((str(n), unit, "", "", "", "") for n, (unit, _count) in enumerate(units, start=1))
    return Attachment(
        title=f"{view.title}参训人员回执",
        table=Table(
            ("序号", "单位", "姓名", "职务", "联系电话", "备注"),
            rows,
            (14, 42, 22, 30, 28, 20),
        ),
        lines=(
            f"请各单位于{chinese_date(due)}前将回执报送县委组织部干部教育培训办公室"
            f"（联系人：{config.contact}，电话：{config.phone}）。",
        ),
    )


# ---------------------------------------------------------------- a session's notice
def session_notice(ctx: Context, session_id: int, *, reply_slip: bool = False) -> NoticeText:
    """The 通知 for one session, by the kind of its programme."""
    from zhijin_training.services.schedule import get_session

    view = get_session(ctx, session_id)
    if view.status == "cancelled":
        raise ValidationError("notice.cancelled", field="session", session_id=session_id)
    config = notice_config(ctx)
    audience, units = _audience(ctx, session_id)
    kind = view.programme_kind
    contact = [f"联系人：{config.contact}；联系电话：{config.phone}。"]
    requirements = [f"（{_cn(n)}）{text}" for n, text in enumerate(config.requirements, start=1)]
    attachments: list[Attachment] = []
    if kind == ProgrammeKind.STUDY_TRIP.value or kind == ProgrammeKind.SECONDMENT.value:
        title = f"关于组织{view.title}的通知"
        places = "、".join(dict.fromkeys(i.place for i in view.itinerary)) or view.location
        lead = f"为学习借鉴先进地区经验，经县委同意，决定组织{view.title}。现将有关事项通知如下："
        sections = [
            ("时间安排", [f"{_when(view)}。"]),
            ("地点", [f"{places}。" if places else "详见行程安排。"]),
            ("参加人员", [audience]),
            (
                "集合时间及地点",
                [
                    f"{chinese_date(view.first_day)}{config.assembly_time}在{config.assembly_place}"
                    "集合，统一乘车出发，请勿迟到。"
                ],
            ),
            ("有关要求", requirements),
            ("联系方式", contact),
        ]
        if view.itinerary:
            sections[1] = ("地点及行程", [f"{places}，具体行程见附件。"])
            attachments.append(
                Attachment(
                    title=f"{view.title}行程安排表",
                    table=Table(
                        ("日期", "地点", "内容"),
                        tuple(
                            (f"{i.day.month}月{i.day.day}日", i.place, i.activity or "参观学习")
                            for i in view.itinerary
                        ),
                        (30, 46, 80),
                    ),
                )
            )
    elif kind == ProgrammeKind.LECTURE.value:
        topic = f"“{view.topic}”" if view.topic else ""
        title = f"关于举办{view.programme_title}{topic}专题讲座的通知"
        # "织金大讲堂 冬季专题" + 专题讲座 would say 专题 twice
        what = view.title.removesuffix("专题讲座").removesuffix("讲座").removesuffix("专题")
        lead = f"为进一步提升干部队伍能力素质，经研究，决定举办{what}专题讲座。现将有关事项通知如下："
        content = []
        if view.topic:
            content.append(f"讲座主题：{view.topic}。")
        if view.speaker:
            content.append(f"主讲人：{view.speaker}。")
        venue = [f"时间：{_when(view)}。"]
        if view.location:
            venue.append(f"主会场：{view.location}。")
        if view.branch_venues:
            venue.append(f"分会场：{'、'.join(view.branch_venues)}。")
        if view.broadcast_at:
            broadcast = to_local(view.broadcast_at)
            venue.append(
                f"织金电视台于{_day(broadcast.date())}{broadcast:%H:%M}播出，未到主会场的干部在分会场收看。"
            )
        sections = [
            ("讲座内容", content or ["另行通知。"]),
            ("时间地点", venue),
            ("参训人员", [audience]),
            ("有关要求", requirements),
            ("联系方式", contact),
        ]
    else:
        noun = "培训班" if kind == ProgrammeKind.COURSE.value else "会议"
        title = f"关于举办{view.title}{'' if view.title.endswith(('班', '会', '培训', '讲座')) else noun}的通知"
        lead = f"经研究，决定举办{view.title}。现将有关事项通知如下："
        sections = [
            ("时间", [f"{_when(view)}。"]),
            ("地点", [f"{view.location}。" if view.location else "另行通知。"]),
            ("参训人员", [audience]),
            (
                "报到及食宿",
                ["参训人员于开班当日提前30分钟报到，食宿统一安排。"]
                if view.all_day
                else ["参训人员提前15分钟到达签到。"],
            ),
            ("有关要求", requirements),
            ("联系方式", contact),
        ]
        if view.topic:
            sections.insert(0, ("培训内容", [f"{view.topic}。"]))
    if reply_slip:
        attachments.append(_reply_slip(view, units, config))
    body = [lead, *_numbered(sections)]
    return NoticeText(
        title=title,
        addressees=config.addressees,
        body=tuple(body),
        office=config.issuer,
        issued_on=local_date(ctx.now()),
        attachments=tuple(attachments),
    )


# ---------------------------------------------------------------- a quarter's 通报
def absence_notice(ctx: Context, quarter: str) -> NoticeText:
    """The 通报 of a quarter's unexcused absences, by unit, from the absence report."""
    start, end = quarter_bounds(quarter)
    groups = reports.absences(ctx, start, end)
    config = notice_config(ctx)
    label = reports.quarter_label(quarter)
    year, q = label.split("Q")
    text = reports.absence_notice_text(groups, start, end)
    lines = [line.strip() for line in text.splitlines()]
    body = [line for line in lines[1:] if line]
    return NoticeText(
        title=f"关于{year}年第{_cn(int(q))}季度干部教育培训无故缺席情况的通报",
        addressees=config.addressees,
        body=tuple(body),
        office=config.issuer,
        issued_on=local_date(ctx.now()),
    )


# ---------------------------------------------------------------- the file
MAX_NOTICE_BYTES = 20_000_000


def render(ctx: Context, notice: NoticeText) -> bytes:
    return notice_docx(notice, notice_config(ctx).fonts)


def write_notice(ctx: Context, notice: NoticeText, path: Path) -> Path:
    """Write the .docx: names personal data, so owner-only (0600); never through a symlink; atomic."""
    target = Path(path).expanduser()
    if target.suffix.lower() != ".docx":
        raise ValidationError("notice.not_docx", field="file", path=str(target))
    if target.is_symlink():
        raise ValidationError("notice.symlink", field="file", path=str(target))
    if target.exists() and not target.is_file():
        raise ValidationError("notice.not_a_file", field="file", path=str(target))
    data = render(ctx, notice)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".docx", dir=target.parent)
    except OSError as exc:
        raise ValidationError(
            "notice.cannot_write", field="file", path=str(target), reason=exc.strerror
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.is_symlink():  # appeared while we wrote
            raise ValidationError("notice.symlink", field="file", path=str(target))
        os.replace(tmp, target)
    except OSError as exc:
        raise ValidationError(
            "notice.cannot_write", field="file", path=str(target), reason=exc.strerror
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
