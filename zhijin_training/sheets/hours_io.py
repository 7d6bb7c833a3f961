"""Bulk import of training taken elsewhere (e.g. the online academy's spreadsheet), CSV or XLSX.

Two steps like the roster: `preview_import` reads the file and says row by row what would be added (or is
already on record); `apply_import` writes all of it in one transaction, or nothing. A problem with the file
itself (missing, too big, unreadable, no header) refuses it whole; a bad row is listed with its row number
and column, and nothing is written until the file is fixed. Imported records are `submitted`: they count
once an administrator recognises them (学时认定).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from zhijin_training.models import Cadre, Unit
from zhijin_training.models.hours import ExternalTraining
from zhijin_training.services import hours
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, ValidationError, describe
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import DateParseError, parse_date

MAX_BYTES = 20 * 1024 * 1024
_HEADER_SEARCH_ROWS = 15
HEADER_ALIASES: dict[str, str] = {
    "序号": "seq",
    "姓名": "name",
    "name": "name",
    "人员编号": "ref",
    "编号": "ref",
    "ref": "ref",
    "单位": "unit",
    "工作单位": "unit",
    "unit": "unit",
    "课程": "course",
    "课程名称": "course",
    "培训班次": "course",
    "班次": "course",
    "培训项目": "course",
    "course": "course",
    "主办单位": "organiser",
    "组织单位": "organiser",
    "organiser": "organiser",
    "培训机构": "institution",
    "承办单位": "institution",
    "institution": "institution",
    "开始日期": "from",
    "起始日期": "from",
    "开始时间": "from",
    "from": "from",
    "结束日期": "to",
    "结束时间": "to",
    "to": "to",
    "天数": "days",
    "days": "days",
    "学时": "hours",
    "获得学时": "hours",
    "hours": "hours",
    "类别": "category",
    "培训类别": "category",
    "category": "category",
    "来源": "source",
    "source": "source",
    "证书编号": "evidence",
    "证明材料": "evidence",
    "evidence": "evidence",
    "备注": "note",
    "note": "note",
}
REQUIRED = ("course", "hours", "from")


@dataclass(frozen=True)
class ImportRowError:
    row: int
    column: str  # "C 学时" as Excel shows it, or "" for the whole row
    code: str
    params: dict[str, Any]
    text: str  # worded in the interface's language when the preview was made


@dataclass(frozen=True)
class PlannedRecord:
    row: int
    cadre_id: int
    cadre_name: str
    values: dict[str, Any]
    duplicate: bool  # the same cadre, course and start are already on record: skipped


@dataclass(frozen=True)
class HoursImportPreview:
    path: Path
    columns: dict[str, str]
    ignored: list[str]
    plans: list[PlannedRecord]
    errors: list[ImportRowError]

    @property
    def new(self) -> list[PlannedRecord]:
        return [p for p in self.plans if not p.duplicate]

    @property
    def duplicates(self) -> list[PlannedRecord]:
        return [p for p in self.plans if p.duplicate]


def _grid(path: Path) -> list[tuple[int, list[str]]]:
    from zhijin_training.sheets import roster_io

    if not path.exists():
        raise ValidationError("hours.file_missing", field="file", name=path.name)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValidationError("hours.file_too_big", field="file", name=path.name, size=size, limit=MAX_BYTES)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return roster_io._xlsx_grid(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return roster_io._csv_grid(path)
    except DomainError as exc:
        raise ValidationError(
            "hours.file_unreadable", field="file", name=path.name, detail=describe(exc)[1]
        ) from None
    raise ValidationError("hours.file_format", field="file", name=path.name)


def _normal(text: str) -> str:
    return "".join(text.split()).lower().replace("（", "(").split("(")[0]


def read_file(
    path: str | Path,
) -> tuple[int, dict[int, tuple[str, str]], list[str], list[tuple[int, list[str]]]]:
    """(header row, column index -> (label, field), ignored column labels, data rows)."""
    file = Path(path)
    grid = _grid(file)
    header_at = None
    for index, (_, cells) in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        known = {HEADER_ALIASES.get(_normal(c)) for c in cells if c}
        if {"course", "hours"} <= known and ({"name", "ref"} & known):
            header_at = index
            break
    if header_at is None:
        raise ValidationError("hours.file_no_header", field="file", name=file.name)
    header_row, headers = grid[header_at]
    columns: dict[int, tuple[str, str]] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for i, header in enumerate(headers):
        if not header:
            continue
        name = HEADER_ALIASES.get(_normal(header))
        label = f"{get_column_letter(i + 1)} {header}"
        if name is None or name in taken or name == "seq":
            if name != "seq":
                ignored.append(label)
            continue
        taken.add(name)
        columns[i] = (label, name)
    rows = [(n, cells) for n, cells in grid[header_at + 1 :] if any(c.strip() for c in cells)]
    return header_row, columns, ignored, rows


def _number(text: str, field: str) -> float:
    try:
        return float(text.replace("，", ".").strip())
    except ValueError:
        raise ValidationError("hours.bad_hours", field=field, value=text) from None


def _plan(s: Session, path: Path) -> HoursImportPreview:
    _header_row, columns, ignored, rows = read_file(path)
    label_of = {name: label for label, name in columns.values()}
    errors: list[ImportRowError] = []
    plans: list[PlannedRecord] = []
    by_ref = {c.ref: c for c in s.exec(select(Cadre).where(col(Cadre.ref).is_not(None))).all()}
    units = {u.id: u.name for u in s.exec(select(Unit)).all()}
    by_name: dict[str, list[Cadre]] = {}
    for c in s.exec(select(Cadre)).all():
        by_name.setdefault(c.name, []).append(c)
    existing = {
        (r.cadre_id, r.course, r.start_date)
        for r in s.exec(select(ExternalTraining).where(col(ExternalTraining.state) != "rejected")).all()
    }
    seen: set[tuple[int, str, date]] = set()

    def fail(row: int, column: str, exc: DomainError) -> None:
        errors.append(ImportRowError(row, label_of.get(column, ""), exc.code, exc.params, describe(exc)[1]))

    for number, cells in rows:
        values = {name: (cells[i] if i < len(cells) else "").strip() for i, (_, name) in columns.items()}
        missing = [f for f in REQUIRED if not values.get(f)]
        if missing:
            fail(number, missing[0], ValidationError("hours.cell_empty", field=missing[0]))
            continue
        cadre = by_ref.get(values["ref"]) if values.get("ref") else None
        if cadre is None:
            found = [
                c
                for c in by_name.get(values.get("name", ""), [])
                if not values.get("unit") or units.get(c.unit_id or 0, "") == values["unit"]
            ]
            if len(found) != 1:
                code = "hours.row_cadre_ambiguous" if found else "hours.row_cadre_unknown"
                fail(
                    number,
                    "name",
                    ValidationError(code, field="name", name=values.get("name") or values.get("ref")),
                )
                continue
            cadre = found[0]
        try:
            start = parse_date(values["from"], field="from")
            end = parse_date(values["to"], field="to") if values.get("to") else start
            draft = hours.RecordDraft(
                cadre=cadre.id or 0,
                course=values["course"],
                start_date=start,
                end_date=end,
                hours=_number(values["hours"], "hours"),
                category=values.get("category") or "online",
                organiser=values.get("organiser", ""),
                institution=values.get("institution", ""),
                days=_number(values["days"], "days") if values.get("days") else None,
                evidence=values.get("evidence", ""),
                source=values.get("source") or "online_academy",
                note=values.get("note", ""),
            )
            clean = hours.clean_draft(draft)
        except DateParseError as exc:
            which = "to" if "to" in str(exc).split(":")[0] else "from"
            fail(number, which, ValidationError("hours.row_date", field=which, value=values.get(which, "")))
            continue
        except DomainError as exc:
            fail(number, exc.field or "", exc)
            continue
        key = (cadre.id or 0, clean["course"], clean["start_date"])
        if key in seen:
            fail(number, "", ValidationError("hours.row_duplicate", name=cadre.name, course=clean["course"]))
            continue
        seen.add(key)
        plans.append(PlannedRecord(number, cadre.id or 0, cadre.name, clean, key in existing))
    return HoursImportPreview(path, {label: name for label, name in columns.values()}, ignored, plans, errors)


def preview_import(ctx: Context, path: str | Path) -> HoursImportPreview:
    """What importing `path` would do, row by row. Writes nothing."""
    with ctx.db.read() as s:
        return _plan(s, Path(path))


def apply_import(ctx: Context, preview: HoursImportPreview) -> int:
    """Write the previewed records (submitted) in one transaction; re-checked against the database now."""
    ctx.actor.require(AccessRole.EDITOR, "import training taken elsewhere")
    if preview.errors:
        raise ValidationError(
            "hours.import_errors", name=preview.path.name, n=len(preview.errors), first=preview.errors[0].text
        )
    with ctx.db.write() as s:
        again = _plan(s, preview.path)
        if again.errors or [p.values for p in again.new] != [p.values for p in preview.new]:
            raise ValidationError("hours.import_changed", name=preview.path.name)
        reason = f"导入 {preview.path.name}"
        for plan in again.new:
            hours._insert_record(ctx, s, plan.cadre_id, plan.values, reason=reason)
        return len(again.new)
