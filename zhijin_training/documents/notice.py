"""Official notices (通知, 通报) as .docx in the layout of GB/T 9704-2012 党政机关公文格式.

Two steps: the services build a `NoticeText` (title, addressees, body lines, attachments) that a person may edit
as text, then `notice_docx` lays it out:

- A4; top margin 37 mm, binding (left) margin 28 mm, text block 156 × 225 mm (so right 26 mm, bottom 35 mm);
- 22 lines × 28 characters: exact line spacing 28.95 pt (225 mm / 22 ≈ 28.99 pt; 28.95 pt is what offices set
  in Word), a line grid (`w:docGrid` linePitch 579 twips), and body text condensed by 0.25 pt so 28 characters
  of 3号 (15.75 pt each, 441 pt) fit the 156 mm (442.2 pt) line. A character grid (linesAndChars + charSpace)
  is what Word templates use, but LibreOffice lays it out at half the characters a line: condensing works in
  both;
- title 2号 (22 pt) 方正小标宋简体; body 3号 (16 pt) 仿宋_GB2312; headings 一、 in 黑体, （一） in 楷体_GB2312,
  1. and (1) in 仿宋_GB2312; addressee line flush left; issuing office and date (Arabic numerals) at the right,
  the date four characters in from the right edge and the office centred over it;
- page numbers 4号 (14 pt) 半角 宋体 "— 1 —" in the footer (a PAGE field), odd pages right and even pages left,
  one character in (the rule for documents printed on both sides).

Fonts: the Chinese fonts are named as the standard names them (w:eastAsia). Where a machine lacks one, Word and
LibreOffice substitute; the font table names the fallback each should use (w:altName): 方正小标宋简体 → 小标宋
→ 宋体, 仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体, 黑体 → SimHei. An office may name other fonts in the config.

No interface imports: the CLI and the TUI both call this.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, replace
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

# ---------------------------------------------------------------- the standard's figures
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26  # text block 156 × 225 mm
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
LINE_PITCH_PT = 28.95
TITLE_PT, BODY_PT, PAGE_NUMBER_PT, TABLE_PT = 22, 16, 14, 14  # 2号, 3号, 4号, 4号
FOOTER_DISTANCE_MM = 23  # puts the page number about 7 mm below the text block


@dataclass(frozen=True)
class Fonts:
    title: str = "方正小标宋简体"
    body: str = "仿宋_GB2312"
    heading1: str = "黑体"
    heading2: str = "楷体_GB2312"
    page_number: str = "宋体"
    latin: str = "Times New Roman"  # Arabic numerals and Latin letters in the body


# the fallback each font's entry in the font table names (w:altName)
FALLBACKS = {
    "方正小标宋简体": "小标宋",
    "小标宋": "宋体",
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "黑体": "SimHei",
    "宋体": "SimSun",
}


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths_mm: tuple[float, ...] = ()  # empty: equal columns


@dataclass(frozen=True)
class Attachment:
    title: str  # e.g. 回执
    table: Table | None = None
    lines: tuple[str, ...] = ()  # text after the table (e.g. "请于12月3日前报送")


@dataclass(frozen=True)
class NoticeText:
    """What a notice says, before layout. Body lines carry their heading level in their numbering."""

    title: str
    addressees: str  # 主送, e.g. 各乡（镇、街道）党委，县直各部门：
    body: tuple[str, ...]
    office: str  # issuing office (署名)
    issued_on: date
    attachments: tuple[Attachment, ...] = ()

    def edited(
        self, *, title: str, addressees: str, body_text: str, office: str, issued_on: date
    ) -> NoticeText:
        """The same notice with the texts a person changed (body: one paragraph a line, blank lines dropped)."""
        return replace(
            self,
            title=title.strip(),
            addressees=addressees.strip(),
            body=tuple(line.strip() for line in body_text.splitlines() if line.strip()),
            office=office.strip(),
            issued_on=issued_on,
        )

    @property
    def body_text(self) -> str:
        return "\n".join(self.body)


# ---------------------------------------------------------------- heading levels
_LEVELS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^（[一二三四五六七八九十]+）")),
    (3, re.compile(r"^\d+[.．]")),
    (4, re.compile(r"^[(（]\d+[)）]")),
)


def heading_level(line: str) -> int:
    """1 for 一、, 2 for （一）, 3 for 1., 4 for (1); 0 for a plain paragraph."""
    for level, pattern in _LEVELS:
        if pattern.match(line):
            return level
    return 0


def font_for_level(level: int, fonts: Fonts) -> str:
    return {1: fonts.heading1, 2: fonts.heading2}.get(level, fonts.body)


def split_heading(line: str, level: int) -> tuple[str, str]:
    """A 一、 or （一） heading followed by text in the same paragraph: only the heading (up to its first 。 or
    ：) takes the heading font, the text after it stays in the body font."""
    if level not in (1, 2):
        return line, ""
    for mark in ("。", "："):
        cut = line.find(mark)
        if 0 < cut < len(line) - 1:
            return line[: cut + 1], line[cut + 1 :]
    return line, ""


def chinese_date(day: date) -> str:
    """The issuing date as the standard writes it: Arabic numerals, no leading zeros (2026年12月1日)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _width_in_chars(text: str) -> float:
    """Width in body characters: CJK and full-width count 1, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


# ---------------------------------------------------------------- layout
def notice_docx(notice: NoticeText, fonts: Fonts | None = None) -> bytes:
    fonts = fonts or Fonts()
    doc = Document()
    _page_setup(doc)
    _default_style(doc, fonts)
    _name_fallbacks(doc, fonts)
    # the template's first empty paragraph becomes the title
    title = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    for n, line in enumerate(notice.title.splitlines() or [""]):
        p = title if n == 0 else doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _off_grid(p)
        _run(p, line, fonts.title, TITLE_PT, latin=fonts.title)
    doc.add_paragraph()  # one blank line between title and addressees
    if notice.addressees:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _run(p, notice.addressees, fonts.body, BODY_PT, latin=fonts.latin)
    for line in notice.body:
        level = heading_level(line)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
        head, rest = split_heading(line, level)
        _run(p, head, font_for_level(level, fonts), BODY_PT, latin=fonts.latin)
        if rest:
            _run(p, rest, fonts.body, BODY_PT, latin=fonts.latin)
    if notice.attachments:
        doc.add_paragraph()  # the attachment note follows the body after a blank line (空一行)
        for n, att in enumerate(notice.attachments, start=1):
            p = doc.add_paragraph()
            label = "附件：" if n == 1 else ""
            number = f"{n}．" if len(notice.attachments) > 1 else ""
            p.paragraph_format.left_indent = Pt(2 * BODY_PT + (0 if n == 1 else 3 * BODY_PT))
            _run(p, f"{label}{number}{att.title}", fonts.body, BODY_PT, latin=fonts.latin)
    _signature(doc, notice, fonts)
    for n, att in enumerate(notice.attachments, start=1):
        _attachment(doc, att, n if len(notice.attachments) > 1 else None, fonts)
    _page_numbers(doc, fonts)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.gutter = Mm(0)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    sect = section._sectPr
    for old in sect.findall(qn("w:docGrid")):
        sect.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))  # twips
    sect.append(grid)


def condense_twips() -> int:
    """Character spacing (w:spacing, 1/20 pt, negative = condensed) so 28 body characters fill one line."""
    text_width_pt = (PAGE_WIDTH_MM - LEFT_MM - RIGHT_MM) / 25.4 * 72
    pitch = text_width_pt / CHARS_PER_LINE  # 15.79 pt
    return math.floor((pitch - BODY_PT) * 20)  # -5: 15.75 pt, never wider than the line


def _default_style(doc: DocxDocument, fonts: Fonts) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element.get_or_add_rPr(), fonts.body, fonts.latin)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False  # keeps exactly 22 lines a page
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _set_fonts(rpr: object, east_asian: str, latin: str) -> None:
    fonts_el = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts_el is None:
        fonts_el = OxmlElement("w:rFonts")
        rpr.insert(0, fonts_el)  # type: ignore[attr-defined]
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts_el.attrib.pop(qn(attr), None)
    fonts_el.set(qn("w:ascii"), latin)
    fonts_el.set(qn("w:hAnsi"), latin)
    fonts_el.set(qn("w:eastAsia"), east_asian)
    fonts_el.set(qn("w:cs"), latin)
    fonts_el.set(qn("w:hint"), "eastAsia")


# characters XML 1.0 cannot carry (a pasted escape sequence): dropped rather than failing the whole document
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _run(p: Paragraph, text: str, east_asian: str, size: float, *, latin: str) -> None:
    run = p.add_run(_NOT_XML.sub("", text))
    run.font.size = Pt(size)
    rpr = run._element.get_or_add_rPr()
    _set_fonts(rpr, east_asian, latin)
    if size == BODY_PT:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(condense_twips()))
        # CT_RPr keeps its children in schema order: spacing goes after the size elements
        rpr.append(spacing)


def _off_grid(p: Paragraph) -> None:
    """A 2号 title line keeps the exact 28.95 pt pitch instead of snapping to two grid lines."""
    ppr = p._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert(0, snap)


def _signature(doc: DocxDocument, notice: NoticeText, fonts: Fonts) -> None:
    """Office over date at the right: the date 4 characters in, the office centred over the date."""
    doc.add_paragraph()
    doc.add_paragraph()
    issued = chinese_date(notice.issued_on)
    date_right = 4.0
    office_right = max(0.0, date_right + (_width_in_chars(issued) - _width_in_chars(notice.office)) / 2)
    for text, right in ((notice.office, office_right), (issued, date_right)):
        if not text:
            continue
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(right * BODY_PT)
        _run(p, text, fonts.body, BODY_PT, latin=fonts.latin)


def _attachment(doc: DocxDocument, att: Attachment, number: int | None, fonts: Fonts) -> None:
    p = doc.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)
    _run(p, f"附件{number or ''}", fonts.heading1, BODY_PT, latin=fonts.heading1)
    doc.add_paragraph()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _off_grid(title)
    _run(title, att.title, fonts.title, TITLE_PT, latin=fonts.title)
    doc.add_paragraph()
    if att.table is not None:
        _table(doc, att.table, fonts)
    for line in att.lines:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
        _run(p, line, fonts.body, BODY_PT, latin=fonts.latin)


def _table(doc: DocxDocument, table: Table, fonts: Fonts) -> None:
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = PAGE_WIDTH_MM - LEFT_MM - RIGHT_MM
    widths = table.widths_mm or tuple(total / len(table.headers) for _ in table.headers)
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=False):
        column.width = Mm(width)  # w:gridCol, which LibreOffice lays out by
    for r, values in enumerate((table.headers, *table.rows)):
        for c, value in enumerate(values):
            cell = grid.cell(r, c)
            cell.width = Mm(widths[c])
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = Pt(0)
            font = fonts.heading1 if r == 0 else fonts.body
            _run(p, value, font, TABLE_PT, latin=fonts.latin)


def _page_numbers(doc: DocxDocument, fonts: Fonts) -> None:
    """ "— 1 —" in 4号 半角 宋体: odd pages at the right, even pages at the left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = align
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = Pt(PAGE_NUMBER_PT)
        else:
            fmt.left_indent = Pt(PAGE_NUMBER_PT)
        _run(p, "— ", fonts.page_number, PAGE_NUMBER_PT, latin=fonts.page_number)
        _page_field(p, fonts)
        _run(p, " —", fonts.page_number, PAGE_NUMBER_PT, latin=fonts.page_number)


def _page_field(p: Paragraph, fonts: Fonts) -> None:
    def part(kind: str | None, text: str | None = None) -> None:
        run = p.add_run()
        run.font.size = Pt(PAGE_NUMBER_PT)
        _set_fonts(run._element.get_or_add_rPr(), fonts.page_number, fonts.page_number)
        if kind is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)
        if text is not None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)

    part("begin")
    part(None, " PAGE ")
    part("separate")
    p.add_run("1").font.size = Pt(PAGE_NUMBER_PT)
    _set_fonts(p.runs[-1]._element.get_or_add_rPr(), fonts.page_number, fonts.page_number)
    part("end")


def _name_fallbacks(doc: DocxDocument, fonts: Fonts) -> None:
    """Font-table entries for the Chinese fonts, each naming its fallback (w:altName) and the GB2312 charset."""
    from lxml import etree

    part = doc.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE)
    root = etree.fromstring(part.blob)
    present = {el.get(qn("w:name")) for el in root.findall(qn("w:font"))}
    names = [fonts.title, fonts.body, fonts.heading1, fonts.heading2, fonts.page_number]
    for name in dict.fromkeys(names):
        if name in present:
            continue
        el = etree.SubElement(root, qn("w:font"))
        el.set(qn("w:name"), name)
        if name in FALLBACKS:
            alt = etree.SubElement(el, qn("w:altName"))
            alt.set(qn("w:val"), FALLBACKS[name])
        charset = etree.SubElement(el, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        family = etree.SubElement(el, qn("w:family"))
        family.set(qn("w:val"), "modern" if name in (fonts.body, fonts.heading2) else "auto")
        pitch = etree.SubElement(el, qn("w:pitch"))
        pitch.set(qn("w:val"), "fixed" if name in (fonts.body, fonts.heading2) else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def fonts_used(data: bytes) -> dict[str, set[str]]:
    """For checks: the east-asian fonts of the runs, keyed by size in points ("22.0", "16.0", ...)."""
    from docx import Document as Open

    doc = Open(io.BytesIO(data))
    out: dict[str, set[str]] = {}
    paragraphs = list(doc.paragraphs) + [p for s in doc.sections for p in s.footer.paragraphs]
    for p in paragraphs:
        for run in p.runs:
            rpr = run._element.rPr
            rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
            if rfonts is None or not run.text.strip():
                continue
            size = f"{run.font.size.pt if run.font.size else BODY_PT:.1f}"
            out.setdefault(size, set()).add(rfonts.get(qn("w:eastAsia")) or "")
    return out
