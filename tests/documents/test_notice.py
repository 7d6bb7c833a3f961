"""Notices: the GB/T 9704-2012 page, fonts and content read back with python-docx; a LibreOffice render."""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import stat
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm

from tests.services.helpers import at, secretaries
from zhijin_training.documents import notice as layout
from zhijin_training.services import notices, programmes, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError


def lecture_session(ctx: Context) -> int:
    secretaries(ctx, 3)
    p = programmes.add_programme(
        ctx, kind="lecture", title="织金大讲堂", audience=[("role", "township_secretary")]
    )
    s = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=p.id,
            starts_at=at(date(2026, 12, 11), 15),
            ends_at=at(date(2026, 12, 11), 17),
            topic="新型工业化",
            speaker="县工业和信息化局 李局长",
            location="县委党校报告厅",
            branch_venues=("各乡镇党委会议室",),
            broadcast_at=at(date(2026, 12, 12), 20),
        ),
        force=True,
    )
    return s.id


def trip_session(ctx: Context) -> int:
    secretaries(ctx, 2)
    p = programmes.add_programme(
        ctx, kind="study_trip", title="赴山东参观学习", audience=[("role", "township_secretary")]
    )
    s = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=p.id,
            first_day=date(2026, 12, 14),
            last_day=date(2026, 12, 16),
            location="青州、寿光",
            itinerary=(
                schedule.ItineraryStop(date(2026, 12, 14), "青州", "农业园区"),
                schedule.ItineraryStop(date(2026, 12, 15), "寿光", "蔬菜产业"),
                schedule.ItineraryStop(date(2026, 12, 16), "青岛", "座谈交流、返程"),
            ),
        ),
        force=True,
    )
    return s.id


def _east_asia(run: object) -> str:
    return run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))  # type: ignore[attr-defined]


def test_page_setup_is_gbt_9704(ctx: Context) -> None:
    data = notices.render(ctx, notices.session_notice(ctx, lecture_session(ctx)))
    doc = Document(io.BytesIO(data))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [
        37,
        35,
        28,
        26,
    ]
    # the text block is 156 × 225 mm
    assert round((sec.page_width - sec.left_margin - sec.right_margin) / Mm(1)) == 156
    assert round((sec.page_height - sec.top_margin - sec.bottom_margin) / Mm(1)) == 225
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt
    normal = doc.styles["Normal"].paragraph_format
    assert normal.line_spacing_rule == WD_LINE_SPACING.EXACTLY and normal.line_spacing.pt == pytest.approx(
        28.95
    )
    # 28 characters of 3号 in a line: 28 × (16 pt + spacing) fits 156 mm, 29 do not
    pitch = 16 + layout.condense_twips() / 20
    width_pt = 156 / 25.4 * 72
    assert 28 * pitch <= width_pt < 29 * pitch


def test_fonts_are_the_ones_the_standard_names(ctx: Context) -> None:
    text = notices.session_notice(ctx, lecture_session(ctx))
    doc = Document(io.BytesIO(notices.render(ctx, text)))
    paragraphs = doc.paragraphs
    title = paragraphs[0]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].font.size.pt == 22 and _east_asia(title.runs[0]) == "方正小标宋简体"
    body = {p.text: p for p in paragraphs if p.text}
    heading = body["一、讲座内容"]
    assert _east_asia(heading.runs[0]) == "黑体" and heading.runs[0].font.size.pt == 16
    sub = next(p for t, p in body.items() if t.startswith("（一）"))
    assert _east_asia(sub.runs[0]) == "楷体_GB2312"
    plain = next(p for t, p in body.items() if t.startswith("主讲人"))
    assert _east_asia(plain.runs[0]) == "仿宋_GB2312" and plain.runs[0].font.size.pt == 16
    addressees = body["各乡（镇、街道）党委，县直各单位："]
    assert (
        addressees.alignment == WD_ALIGN_PARAGRAPH.LEFT
        and addressees.paragraph_format.first_line_indent is None
    )
    # office and date at the right, the date in Arabic numerals
    office, issued = paragraphs[-2], paragraphs[-1]
    assert office.text == "中共织金县委组织部" and issued.text == "2026年11月24日"
    assert office.alignment == issued.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert issued.paragraph_format.right_indent.pt == 64  # 右空四字
    # page numbers: 4号 宋体 "— 1 —" with a PAGE field, odd pages right, even pages left
    footer = doc.sections[0].footer.paragraphs[0]
    assert footer.text == "— 1 —" and footer.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert all(r.font.size.pt == 14 and _east_asia(r) == "宋体" for r in footer.runs)
    assert "PAGE" in "".join(footer._p.itertext())
    assert doc.sections[0].even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    # the font table names a fallback for each Chinese font
    from docx.opc.constants import RELATIONSHIP_TYPE

    table = doc.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE).blob.decode()
    assert re.search(r'w:name="仿宋_GB2312">\s*<w:altName w:val="仿宋"', table)
    assert re.search(r'w:name="方正小标宋简体">\s*<w:altName w:val="小标宋"', table)


def test_lecture_notice_content(ctx: Context) -> None:
    text = notices.session_notice(ctx, lecture_session(ctx), reply_slip=True)
    assert text.title == "关于举办织金大讲堂“新型工业化”专题讲座的通知"
    body = "\n".join(text.body)
    assert "时间：2026年12月11日（星期五）15:00—17:00。" in body
    assert "主讲人：县工业和信息化局 李局长。" in body
    assert "主会场：县委党校报告厅。" in body and "分会场：各乡镇党委会议室。" in body
    assert "织金电视台于2026年12月12日（星期六）20:00播出" in body
    assert [layout.heading_level(x) for x in text.body if layout.heading_level(x)][:3] == [1, 1, 1]
    (slip,) = text.attachments
    assert slip.table is not None and slip.table.headers[:2] == ("序号", "单位")
    assert len(slip.table.rows) == 3  # three invited townships
    assert "2026年12月9日前" in slip.lines[0]
    doc = Document(io.BytesIO(notices.render(ctx, text)))
    assert doc.tables[0].rows[1].cells[1].text == slip.table.rows[0][1]


def test_trip_notice_has_itinerary_and_assembly(ctx: Context) -> None:
    text = notices.session_notice(ctx, trip_session(ctx))
    body = "\n".join(text.body)
    assert text.title == "关于组织赴山东参观学习的通知"
    assert "2026年12月14日至2026年12月16日，共3天。" in body
    assert "2026年12月14日07:30在县委组织部大楼前集合" in body
    (itinerary,) = text.attachments
    assert itinerary.table is not None
    assert itinerary.table.rows[1] == ("12月15日", "寿光", "蔬菜产业")


def test_edited_text_is_what_is_written(ctx: Context, tmp_path: Path) -> None:
    text = notices.session_notice(ctx, lecture_session(ctx))
    edited = text.edited(
        title="关于举办专题讲座的通知",
        addressees="各乡镇党委：",
        body_text="一、时间\n\n  明天下午。\n",
        office="县委组织部",
        issued_on=date(2026, 12, 1),
    )
    path = notices.write_notice(ctx, edited, tmp_path / "out" / "notice.docx")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    texts = [p.text for p in Document(str(path)).paragraphs if p.text]
    assert texts == [
        "关于举办专题讲座的通知",
        "各乡镇党委：",
        "一、时间",
        "明天下午。",
        "县委组织部",
        "2026年12月1日",
    ]


def test_write_refuses_symlinks_and_other_suffixes(ctx: Context, tmp_path: Path) -> None:
    text = notices.session_notice(ctx, lecture_session(ctx))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "link.docx"
    link.symlink_to(victim)
    with pytest.raises(ValidationError) as caught:
        notices.write_notice(ctx, text, link)
    assert caught.value.code == "notice.symlink"
    assert victim.read_text() == "keep"
    with pytest.raises(ValidationError) as caught:
        notices.write_notice(ctx, text, tmp_path / "notice.pdf")
    assert caught.value.code == "notice.not_docx"
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".docx", ".pdf") and p.name != "link.docx"]


def test_absence_notice_of_a_quarter(ctx: Context) -> None:
    from zhijin_training.services import attendance

    sid = lecture_session(ctx)
    sheet = attendance.session_attendance(ctx, sid)
    later = Context(
        db=ctx.db,
        actor=ctx.actor,
        settings=ctx.settings,
        clock=lambda: datetime(2026, 12, 20, 2, tzinfo=ctx.now().tzinfo),
    )
    first = sheet.participants[0]
    attendance.mark(later, sid, first.cadre_id, attendance.Mark("absent"))
    text = notices.absence_notice(later, "2026Q4")
    assert text.title == "关于2026年第四季度干部教育培训无故缺席情况的通报"
    body = "\n".join(text.body)
    assert f"{first.cadre_name}未参加12月11日“织金大讲堂”" in body
    assert text.body[1].startswith(f"一、{first.unit_name}（1人次）")


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    _soffice() is None, reason="LibreOffice (soffice) is not installed: scripts/install-office.sh"
)
@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed: scripts/install-office.sh"
)
def test_libreoffice_renders_an_a4_page_with_the_margins(ctx: Context, tmp_path: Path) -> None:
    path = notices.write_notice(
        ctx, notices.session_notice(ctx, lecture_session(ctx), reply_slip=True), tmp_path / "notice.docx"
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run(
        [
            _soffice() or "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env=env,
    )
    pdf = tmp_path / "notice.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    bbox = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [
        tuple(float(v) for v in m.groups())
        for m in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', bbox)
    ]
    mm = 72 / 25.4
    body = [line for line in lines if line[1] < (297 - 35) * mm]  # above the footer
    assert min(x0 for x0, *_ in body) == pytest.approx(28 * mm, abs=1.5)  # binding margin 28 mm
    assert min(y0 for _, y0, *_ in body) == pytest.approx(37 * mm, abs=4)  # top margin 37 mm (glyph top)
    # justified full lines reach the right edge (184 mm); a closing mark may hang one character past it (标点悬挂)
    ends = sorted(line[2] for line in body if line[2] - line[0] > 140 * mm)
    assert ends and ends[len(ends) // 2] == pytest.approx((210 - 26) * mm, abs=1.5)
    assert ends[-1] <= (210 - 26) * mm + 16.5
    # 22 lines on a full page (the blank line under the title has no text but takes its row)
    assert round((body[-1][1] - body[0][1]) / 28.95) + 1 == 22
    pitches = [b[1] - a[1] for a, b in itertools.pairwise(body[2:])]
    assert all(p == pytest.approx(28.95, abs=0.3) for p in pitches)
    footer = [line for line in lines if line[1] > (297 - 35) * mm]
    assert (
        footer and footer[0][1] - (297 - 35) * mm < 12 * mm
    )  # the page number sits just under the text block
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert re.search(r"—\s*1\s*—", text) and "关于举办织金大讲堂" in text
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
            check=True,
        )
        assert (tmp_path / "page-1.png").stat().st_size > 5000
    # the fonts the file names (LibreOffice substitutes where the machine lacks them)
    assert layout.fonts_used(path.read_bytes())["22.0"] == {"方正小标宋简体"}
    assert {"仿宋_GB2312", "黑体", "楷体_GB2312"} <= layout.fonts_used(path.read_bytes())["16.0"]


def test_demo_carries_a_notice_ready_lecture_and_trip(demo_ctx: Context) -> None:
    upcoming = schedule.upcoming(demo_ctx, days=60)
    lecture = next(s for s in upcoming if s.programme_kind == "lecture")
    text = "\n".join(notices.session_notice(demo_ctx, lecture.id, reply_slip=True).body)
    day = f"{lecture.first_day.month}月{lecture.first_day.day}日"
    assert "主讲人：" in text and "主会场：县委党校报告厅。" in text and "分会场：" in text
    assert f"织金电视台于{lecture.first_day.year}年{day}" in text  # the evening of the lecture itself
    trip = next(s for s in upcoming if s.programme_kind == "study_trip")
    notice = notices.session_notice(demo_ctx, trip.id, reply_slip=True)
    itinerary, slip = notice.attachments
    assert itinerary.table is not None and len(itinerary.table.rows) == len(trip.itinerary) == 3
    assert slip.table is not None and len(slip.table.rows) >= 1


def test_heading_font_covers_only_the_heading() -> None:
    assert layout.split_heading("一、牛场镇（1人次）：镇党委书记某某未参加", 1) == (
        "一、牛场镇（1人次）：",
        "镇党委书记某某未参加",
    )
    assert layout.split_heading("一、讲座内容", 1) == ("一、讲座内容", "")
    assert layout.split_heading("1.按时签到。不得代签", 3) == ("1.按时签到。不得代签", "")
    data = layout.notice_docx(
        layout.NoticeText("通报", "各单位：", ("（一）要求。请按时参加。",), "县委组织部", date(2026, 12, 1))
    )
    doc = Document(io.BytesIO(data))
    runs = next(p for p in doc.paragraphs if p.text.startswith("（一）")).runs
    assert [(r.text, _east_asia(r)) for r in runs] == [
        ("（一）要求。", "楷体_GB2312"),
        ("请按时参加。", "仿宋_GB2312"),
    ]


def test_office_wording_comes_from_the_config(ctx: Context) -> None:
    from dataclasses import replace

    settings = replace(
        ctx.settings,
        extra={
            "office": {"contact": "王老师", "phone": "0857-7620001"},
            "notice": {"issuer": "中共织金县委组织部办公室", "requirements": ["请着正装参加。"]},
        },
    )
    configured = Context(db=ctx.db, actor=ctx.actor, settings=settings, clock=ctx.clock)
    text = notices.session_notice(configured, lecture_session(ctx))
    assert text.office == "中共织金县委组织部办公室"
    assert "（一）请着正装参加。" in text.body and "联系人：王老师；联系电话：0857-7620001。" in text.body


def test_control_characters_typed_into_the_text_are_dropped() -> None:
    data = layout.notice_docx(
        layout.NoticeText("通知\x1b[31m", "各单位：", ("正文\x00内容。",), "县委组织部", date(2026, 12, 1))
    )
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs if p.text]
    assert texts[:3] == ["通知[31m", "各单位：", "正文内容。"]


def test_course_notice(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = programmes.add_programme(
        ctx, kind="course", title="乡科级干部进修班", audience=[("role", "township_secretary")]
    )
    s = schedule.create_trip(  # a course over several days is an all-day span like a trip
        ctx,
        schedule.SessionDraft(
            programme=p.id, first_day=date(2026, 12, 14), last_day=date(2026, 12, 18), location="县委党校"
        ),
        force=True,
    )
    text = notices.session_notice(ctx, s.id)
    assert text.title == "关于举办乡科级干部进修班的通知"
    body = "\n".join(text.body)
    assert "一、时间" in body and "2026年12月14日至2026年12月18日，共5天。" in body
    assert "县委党校。" in body and "报到及食宿" in body


def test_a_title_ending_in_zhuanti_is_not_said_twice(ctx: Context) -> None:
    """Walk finding: 「织金大讲堂 冬季专题」 became 「决定举办织金大讲堂 冬季专题专题讲座」."""
    secretaries(ctx, 2)
    p = programmes.add_programme(ctx, kind="lecture", title="织金大讲堂", audience=[("role", "township_secretary")])
    s = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=p.id,
            starts_at=at(date(2026, 12, 4), 15),
            ends_at=at(date(2026, 12, 4), 17),
            title="织金大讲堂 冬季专题",
        ),
        force=True,
    )
    lead = notices.session_notice(ctx, s.id).body[0]
    assert "冬季专题讲座" in lead and "专题专题" not in lead
