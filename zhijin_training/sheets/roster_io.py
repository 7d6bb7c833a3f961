"""Roster import and export (干部名册) as offices keep it in Excel or CSV.

Reading accepts title rows above the header, merged cells (a unit merged down several people), columns in
any order with Chinese or English headers, and CSV in UTF-8 (with or without BOM) or GB18030/GBK as Excel
on Chinese Windows writes it. Import is two steps: `preview_import` says what would happen row by row
(new / changed / unchanged / errors); `apply_import` writes all of it in one transaction, or nothing.

Identity: the person number (人员编号) when the file has one, else name + unit (two people may share a
name). A changed unit, post or role is a post move: the old post ends yesterday, a new one starts today,
as `roster.move_cadre` does, so history and unit figures stay right.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from sqlmodel import Session, SQLModel

from zhijin_training.i18n import label
from zhijin_training.models import Cadre, Participant, Post, Role, TrainingSession, Unit
from zhijin_training.models.hours import RankPeriod
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, NotFoundError, ValidationError, describe
from zhijin_training.services.hours import current_ranks, parse_rank
from zhijin_training.services.roster import find_unit, unit_held
from zhijin_training.services.validation import clean_phone, clean_text, parse_enum
from zhijin_training.settings import AccessRole
from zhijin_training.sheets.cells import BOX, replacing, safe, value_width
from zhijin_training.timeutil import local_date, local_midnight

# header text (lower-cased, spaces removed) -> field
HEADER_ALIASES: dict[str, str] = {
    "序号": "seq",
    "no": "seq",
    "no.": "seq",
    "#": "seq",
    "姓名": "name",
    "name": "name",
    "单位": "unit",
    "所在单位": "unit",
    "工作单位": "unit",
    "unit": "unit",
    "职务": "post_title",
    "现任职务": "post_title",
    "post": "post_title",
    "post_title": "post_title",
    "角色": "role",
    "类别": "role",
    "role": "role",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "phone": "phone",
    "人员编号": "ref",
    "编号": "ref",
    "ref": "ref",
    "备注": "note",
    "note": "note",
    "职级": "rank",
    "rank": "rank",
    "性别": "gender",
    "gender": "gender",
    "民族": "ethnicity",
    "ethnicity": "ethnicity",
    "出生年月": "birth_month",
    "出生日期": "birth_month",
    "birth_month": "birth_month",
    "学历": "education",
    "education": "education",
    "政治面貌": "political_status",
    "political_status": "political_status",
}
# the columns every office roster has, kept on the cadre as typed (max length)
PERSON_FIELDS = {"gender": 10, "ethnicity": 40, "birth_month": 20, "education": 60, "political_status": 40}
EXPORT_HEADERS = (
    ("序号", "seq"),
    ("人员编号", "ref"),
    ("姓名", "name"),
    ("单位", "unit"),
    ("职务", "post_title"),
    ("角色", "role"),
    ("电话", "phone"),
    ("备注", "note"),
)
FIELD_LABELS = {
    "name": "姓名",
    "unit": "单位",
    "post_title": "职务",
    "role": "角色",
    "phone": "电话",
    "ref": "人员编号",
    "note": "备注",
    "rank": "职级",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_month": "出生年月",
    "education": "学历",
    "political_status": "政治面貌",
}
_HEADER_SEARCH_ROWS = 15
MAX_ROSTER_BYTES = 50 * 2**20
_FORMULA_START = ("=", "+", "-", "@")


class RosterFileError(DomainError):
    """The file cannot be read as a roster at all (no header, wrong format, unreadable encoding)."""


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class RosterRow:
    row: int  # as the office sees it: the spreadsheet row or the CSV line
    values: dict[str, str]  # field -> text, only for the columns the file has


@dataclass(frozen=True)
class RowError:
    """One bad record of a file: where it is, and what is wrong as an error code with parameters."""

    row: int
    column: str  # header as in the file, or "" for the whole row
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: int, column: str, exc: DomainError) -> RowError:
        return cls(row, column, exc.code, {**exc.params, **({"field": exc.field} if exc.field else {})})

    @property
    def message(self) -> str:
        """What is wrong, in the interface language."""
        params = dict(self.params)
        field_name = params.pop("field", None)
        return describe(ValidationError(self.code, field=field_name, **params))[1]

    def __str__(self) -> str:
        from zhijin_training.i18n import t

        where = t(
            "roster.where_cell" if self.column else "roster.where_row", row=self.row, column=self.column
        )
        return t("roster.where_what", where=where, what=self.message)


@dataclass(frozen=True)
class ParsedRoster:
    path: Path
    header_row: int
    columns: dict[str, str]  # column letter and header as in the file ("C 单位") -> field
    rows: list[RosterRow]
    errors: list[RowError]  # file-level problems (a column twice)
    ignored: list[str] = field(
        default_factory=list
    )  # columns we do not keep ("H 籍贯"): shown, never refused


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or number typed as a number
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\u3000", " ").strip()
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        text = text[1:]  # our own neutralised export reads back as typed
    return text


def _normal_header(text: str) -> str:
    return "".join(text.split()).lower().replace("（", "(").split("(")[0]


def _xlsx_grid(path: Path) -> list[tuple[int, list[str]]]:
    from zhijin_training.safefiles import check_readable

    check_readable(path, MAX_ROSTER_BYTES)
    try:
        grid, merged = _xlsx_cells(path)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError(
            "roster.bad_xlsx", field="path", file=path.name, kind=exc.__class__.__name__
        ) from None
    # a merged range holds its value in the top-left cell: give it to every cell of the range
    for ref in merged:
        bounds = CellRange(ref)
        top_left = grid.get((bounds.min_row, bounds.min_col))
        for r in range(bounds.min_row, bounds.max_row + 1):
            for c in range(bounds.min_col, bounds.max_col + 1):
                grid[(r, c)] = top_left
    max_row = max((r for r, _ in grid), default=0)
    max_col = max((c for _, c in grid), default=0)
    return [(r, [_cell_text(grid.get((r, c))) for c in range(1, max_col + 1)]) for r in range(1, max_row + 1)]


def _xlsx_cells(path: Path) -> tuple[dict[tuple[int, int], Any], list[str]]:
    """The first sheet's values by (row, column) and its merged ranges ("B4:B5"), in one streaming pass.

    Read-only mode has no `merged_cells`, and the full mode builds a styled Cell object for every cell (most
    of a 6,000-row roster's reading time): so the sheet's XML goes through openpyxl's own row parser, the one
    `iter_rows` uses, which also collects the <mergeCells> at the end of the sheet."""
    from openpyxl.worksheet._reader import WorkSheetParser

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        grid: dict[tuple[int, int], Any] = {}
        with ws._get_source() as src:  # type: ignore[union-attr]
            parser = WorkSheetParser(
                src,
                ws._shared_strings,  # type: ignore[union-attr]
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for _, cells in parser.parse():
                for cell in cells:
                    if cell["value"] is not None:
                        grid[(cell["row"], cell["column"])] = cell["value"]
        merged = [str(m.ref) for m in parser.merged_cells.mergeCell] if parser.merged_cells else []
        return grid, merged
    finally:
        wb.close()


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("roster.encoding", field="path", file=name)


def _csv_grid(path: Path) -> list[tuple[int, list[str]]]:
    from zhijin_training.safefiles import read_limited

    text = _decode(read_limited(path, MAX_ROSTER_BYTES), path.name)
    first_lines = text[:4096]
    delimiter = "\t" if first_lines.count("\t") > first_lines.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    try:
        for fields_ in reader:
            out.append((reader.line_num, [_cell_text(v) for v in fields_]))
    except csv.Error:
        raise RosterFileError("roster.bad_csv", field="path", file=path.name, line=reader.line_num) from None
    return out


def read_roster(path: str | Path) -> ParsedRoster:
    """Read a roster file into rows of field values; report unknown columns with their position."""
    path = Path(path)
    if not path.exists():
        raise RosterFileError("file.missing", field="path", file=str(path))
    size = path.stat().st_size
    if size > MAX_ROSTER_BYTES:  # checked before reading: a roster of 10,000 people is a few MB
        raise RosterFileError(
            "file.too_large",
            field="path",
            file=path.name,
            size_mb=round(size / 2**20, 1),
            limit_mb=MAX_ROSTER_BYTES // 2**20,
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_grid(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        grid = _csv_grid(path)
    elif suffix == ".xls":
        raise RosterFileError("roster.old_xls", field="path", file=path.name)
    else:
        raise RosterFileError("roster.format", field="path", file=path.name)
    header_at = None
    for index, (_, cells) in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        known = {HEADER_ALIASES.get(_normal_header(c)) for c in cells if c}
        if "name" in known and len(known - {None}) >= 2:
            header_at = index
            break
    if header_at is None:
        raise RosterFileError("roster.no_header", field="path", file=path.name, rows=_HEADER_SEARCH_ROWS)
    header_row, headers = grid[header_at]
    columns: dict[int, tuple[str, str]] = {}
    errors: list[RowError] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for i, header in enumerate(headers):
        if not header:
            continue
        name = HEADER_ALIASES.get(_normal_header(header))
        letter = get_column_letter(i + 1)
        if name is None:
            ignored.append(f"{letter} {header}")  # 籍贯, 身份证号 …: the preview says they are not kept
        elif name in seen:
            errors.append(
                RowError(header_row, f"{letter} {header}", "roster.second_column", {"first": seen[name]})
            )
        else:
            seen[name] = header
            columns[i] = (f"{letter} {header}", name)  # errors name the column as Excel shows it
    rows = []
    for row_number, cells in grid[header_at + 1 :]:
        values = {name: (cells[i] if i < len(cells) else "") for i, (_, name) in columns.items()}
        data = {k: v for k, v in values.items() if k != "seq"}
        if not any(data.values()):
            continue  # blank line, or a numbered blank line at the bottom of a form
        rows.append(RosterRow(row_number, values))
    return ParsedRoster(path, header_row, {h: n for h, n in columns.values()}, rows, errors, ignored)


# ---------------------------------------------------------------- preview
@dataclass(frozen=True)
class RowPlan:
    row: int
    action: str  # new, changed, unchanged
    name: str
    unit_name: str
    cadre_id: int | None
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (before, after)
    values: dict[str, Any] = field(default_factory=dict)  # cleaned values to write


@dataclass(frozen=True)
class RosterPreview:
    path: Path
    columns: dict[str, str]
    plans: list[RowPlan]
    errors: list[RowError]
    ignored: list[str] = field(default_factory=list)  # columns in the file that are not kept
    # the rows as read for this preview: `apply_import` re-plans these (the file is read once, and what is
    # written is what was shown)
    source: ParsedRoster | None = field(default=None, repr=False, compare=False)

    @property
    def new(self) -> list[RowPlan]:
        return [p for p in self.plans if p.action == "new"]

    @property
    def changed(self) -> list[RowPlan]:
        return [p for p in self.plans if p.action == "changed"]

    @property
    def unchanged(self) -> list[RowPlan]:
        return [p for p in self.plans if p.action == "unchanged"]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int
    moved: int  # of the changed: how many got a new post (unit, post or role)


_POST_FIELDS = ("unit_id", "post_title", "role")


def _role(text: str, memo: dict[str, str]) -> str:
    """The role value of a cell (kept per text: a roster says the same few roles thousands of times)."""
    if text not in memo:
        memo[text] = parse_enum(Role, text, "role", "role").value if text else Role.OTHER.value
    return memo[text]


def _clean_row(
    row: RosterRow, header_of: dict[str, str], units: _UnitIndex, roles: dict[str, str]
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    out: dict[str, Any] = {}

    def check(name: str, fn: Any) -> None:
        if name not in row.values:
            return
        try:
            out[name] = fn(row.values[name])
        except DomainError as exc:
            errors.append(RowError.of(row.row, header_of[name], exc))

    check("name", lambda v: clean_text(v, "name", max_len=100, required=True))
    check("post_title", lambda v: clean_text(v, "post", max_len=200))
    check("phone", lambda v: clean_phone(v))
    check("note", lambda v: clean_text(v, "note", max_len=2000))
    check("ref", lambda v: clean_text(v, "ref", max_len=40) or None)
    check("role", lambda v: _role(v, roles))
    for name_, limit in PERSON_FIELDS.items():
        check(name_, lambda v, n=name_, m=limit: clean_text(v, n, max_len=m))
    if row.values.get("rank", "").strip():
        check("rank", parse_rank)
    if "unit" in row.values:
        text = row.values["unit"]
        if not text:
            out["unit_id"], out["unit_name"] = None, ""
        else:
            found = units.find(text)
            if isinstance(found, NotFoundError):
                errors.append(RowError(row.row, header_of["unit"], "roster.unknown_unit", {"unit": text}))
            elif isinstance(found, DomainError):
                errors.append(RowError.of(row.row, header_of["unit"], found))
            else:
                out["unit_id"], out["unit_name"] = found.id, found.name
    return out, errors


def _plan(s: Session, parsed: ParsedRoster) -> tuple[list[RowPlan], list[RowError], _CadreIndex]:
    """Each row's plan, the errors, and the cadres the rows can match (the writes start from them)."""
    errors = list(parsed.errors)
    plans: list[RowPlan] = []
    seen: dict[tuple[str, ...], int] = {}
    claimed: dict[int, int] = {}  # cadre id -> row
    unit_index = _UnitIndex(s)
    units = unit_index.names
    header_of = {name: header for header, name in parsed.columns.items()}
    roles: dict[str, str] = {}
    cleaned: list[tuple[RosterRow, dict[str, Any]]] = []
    for row in parsed.rows:
        values, row_errors = _clean_row(row, header_of, unit_index, roles)
        if row_errors:
            errors.extend(row_errors)
        else:
            cleaned.append((row, values))
    # only the cadres these rows can match: a province roster has 88,000, a file a few thousand. A row with a
    # person number matches by it alone, so only the rows without one look names up (common names are shared
    # by hundreds of the province's cadres)
    known = _CadreIndex(
        s,
        {v["ref"] for _, v in cleaned if v.get("ref")},
        {v.get("name", "") for _, v in cleaned if not v.get("ref")},
    )
    ranks = current_ranks(s, list(known.by_id))
    for row, values in cleaned:
        name = values.get("name", "")
        ref = values.get("ref")
        key = ("ref", ref) if ref else ("name", name, str(values.get("unit_id")))
        if key in seen:
            if ref:
                errors.append(RowError(row.row, "", "roster.duplicate_ref", {"ref": ref, "other": seen[key]}))
            else:
                who = {"name": name, "unit": values.get("unit_name") or "-", "other": seen[key]}
                errors.append(RowError(row.row, "", "roster.duplicate_name", who))
            continue
        seen[key] = row.row
        cadre = known.match(values)
        if isinstance(cadre, RowError):
            errors.append(RowError(row.row, cadre.column, cadre.code, cadre.params))
            continue
        if cadre is not None and cadre.id in claimed:
            errors.append(
                RowError(
                    row.row,
                    "",
                    "roster.duplicate_cadre",
                    {"cadre": f"{cadre.name} (#{cadre.id})", "other": claimed[cadre.id]},
                )
            )
            continue
        unit_name = values.get("unit_name", "")
        if cadre is None:
            plans.append(RowPlan(row.row, "new", name, unit_name, None, {}, values))
            continue
        claimed[cadre.id or 0] = row.row
        changes: dict[str, tuple[str, str]] = {}
        for key_ in ("name", "post_title", "role", "phone", "note", "ref", *PERSON_FIELDS):
            if key_ in values and (getattr(cadre, key_) or "") != (values[key_] or ""):
                changes[key_] = (getattr(cadre, key_) or "", values[key_] or "")
        if "unit_id" in values and cadre.unit_id != values["unit_id"]:
            changes["unit"] = (units.get(cadre.unit_id, "") if cadre.unit_id else "", unit_name)
        if "rank" in values and ranks.get(cadre.id or 0) != values["rank"]:
            changes["rank"] = (ranks.get(cadre.id or 0, ""), values["rank"])
        action = "changed" if changes else "unchanged"
        plans.append(
            RowPlan(
                row.row, action, name, unit_name or units.get(cadre.unit_id, ""), cadre.id, changes, values
            )
        )
    return plans, sorted(errors, key=lambda e: (e.row, e.column)), known


class _UnitIndex:
    """Every unit loaded once: a roster names the same few hundred units thousands of times. Ids, codes and
    exact names are looked up here; anything else (part of a name, a name two units share) goes to
    `roster.find_unit`, whose rules these lookups follow, and each answer is kept for the next row."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.names: dict[int, str] = {}
        self.by_id: dict[int, Any] = {}
        self.by_code: dict[str, Any] = {}
        self.by_name: dict[str, list[Any]] = {}
        for unit in s.connection().execute(sa.select(Unit.id, Unit.name, Unit.code)).all():
            self.names[unit.id] = unit.name
            self.by_id[unit.id] = unit
            if unit.code is not None:
                self.by_code[unit.code] = unit
            self.by_name.setdefault(unit.name, []).append(unit)
        self.memo: dict[str, Any] = {}

    def find(self, text: str) -> Any:
        """The unit (with .id and .name) `text` names, or the DomainError `find_unit` raises for it."""
        if text not in self.memo:
            self.memo[text] = self._find(text)
        return self.memo[text]

    def _find(self, text: str) -> Any:
        ref = text.strip()
        digits = ref.lstrip("#")
        if digits.isdigit() and len(digits) < 9 and int(digits) in self.by_id:
            return self.by_id[int(digits)]
        if ref in self.by_code:
            return self.by_code[ref]
        exact = self.by_name.get(ref, [])
        if len(exact) == 1:
            return exact[0]
        try:
            return find_unit(self.s, text)
        except DomainError as exc:
            return exc


class _CadreIndex:
    """The cadres a file's rows can match — by person number or by name — read once (plain rows, not ORM
    objects, 500 keys a query) and indexed by id, person number and (name, unit). The import's writes start
    from these rows."""

    def __init__(self, s: Session, refs: set[str], names: set[str]) -> None:
        self.by_id: dict[int, Any] = {}
        self.by_ref: dict[str, Any] = {}
        self.by_name: dict[tuple[str, int | None], list[Any]] = {}
        self.by_name_only: dict[str, list[Any]] = {}
        table = _table(Cadre)
        found: dict[int, Any] = {}
        for column, keys in ((table.c.ref, sorted(refs)), (table.c.name, sorted(names))):
            for chunk in _chunks(keys):
                for cadre in s.connection().execute(sa.select(table).where(column.in_(chunk))).all():
                    found[cadre.id] = cadre
        for cadre_id in sorted(found):  # id order, as one read of the whole table gave
            cadre = found[cadre_id]
            self.by_id[cadre.id] = cadre
            if cadre.ref:
                self.by_ref[cadre.ref] = cadre
            self.by_name.setdefault((cadre.name, cadre.unit_id), []).append(cadre)
            self.by_name_only.setdefault(cadre.name, []).append(cadre)

    def match(self, values: dict[str, Any]) -> Any:  # a cadre row, a RowError or None
        ref = values.get("ref")
        if ref:
            return self.by_ref.get(ref)
        name = values.get("name", "")
        found = (
            self.by_name.get((name, values["unit_id"]), [])
            if "unit_id" in values
            else self.by_name_only.get(name, [])
        )
        if len(found) > 1:
            active = [c for c in found if c.active]
            if len(active) == 1:
                return active[0]
            return RowError(0, "", "roster.same_name", {"count": len(found), "name": name})
        return found[0] if found else None


def preview_import(ctx: Context, path: str | Path) -> RosterPreview:
    """What importing `path` would do, row by row. Writes nothing."""
    parsed = read_roster(path)
    with ctx.db.read() as s:
        plans, errors, _known = _plan(s, parsed)
    if "name" not in parsed.columns.values():
        errors.insert(0, RowError(parsed.header_row, "", "roster.no_name_column"))
    return RosterPreview(parsed.path, parsed.columns, plans, errors, parsed.ignored, parsed)


# ---------------------------------------------------------------- apply
def apply_import(ctx: Context, preview: RosterPreview) -> ImportResult:
    """Write the previewed import in one transaction, re-checked against the database as it is now.

    Written in bulk (one executemany per kind of row, audit entries included) with the same rows, post
    history and audit entries, in the same order, as importing row by row with `roster.move_cadre`'s post
    rule, `hours.record_rank` and `roster.save_cadre` would (tests/sheets/test_roster_bulk.py compares them).
    """
    ctx.actor.require(AccessRole.ADMIN, "import the roster")
    if preview.errors:
        first = preview.errors[0]
        raise ValidationError(
            "roster.import_has_errors",
            field="path",
            file=preview.path.name,
            count=len(preview.errors),
            first=str(first),
        )
    parsed = preview.source if preview.source is not None else read_roster(preview.path)
    today = local_date(ctx.now())
    reason = f"roster import {preview.path.name}"
    with ctx.db.write() as s:
        plans, errors, known = _plan(s, parsed)
        if errors:
            raise ValidationError(
                "roster.changed_since_preview", field="path", file=preview.path.name, first=str(errors[0])
            )
        entries: list[dict[str, Any]] = []  # the audit entries, in the order a row-by-row import writes them
        new = [p for p in plans if p.action == "new"]
        changed = [p for p in plans if p.action == "changed"]
        _add_all(ctx, s, new, today, reason, entries)
        moved = _update_all(ctx, s, changed, known, today, reason, entries)
        audit.record_many(ctx, s, entries)
    return ImportResult(len(new), len(changed), sum(1 for p in plans if p.action == "unchanged"), moved)


def _table(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _entry(
    action: str,
    entity: str,
    entity_id: int | None,
    cadre_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
    session_id: int | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "cadre_id": cadre_id,
        "session_id": session_id,
        "before": before,
        "after": after,
        "reason": reason,
    }


def _insert_ids(s: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` with one executemany; their new ids in the same order."""
    if not rows:
        return []
    table = _table(model)
    stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in s.connection().execute(stmt, rows).scalars().all()]


def _update_by_id(s: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """UPDATE … WHERE id = row["row_id"], setting the other keys of each row, with one executemany per shape."""
    table = _table(model)
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(k for k in row if k != "row_id"), []).append(row)
    for keys, same in shapes.items():
        stmt = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values({k: sa.bindparam(k) for k in keys})
        )
        s.connection().execute(stmt, same)


def _add_all(
    ctx: Context, s: Session, plans: list[RowPlan], today: date, reason: str, entries: list[dict[str, Any]]
) -> None:
    """New cadres with their first post (and rank) and audit entries: one insert of each kind for all."""
    now = ctx.now()
    rows = []
    for plan in plans:
        v = plan.values
        rows.append(
            {
                "ref": v.get("ref"),
                "name": v["name"],
                "unit_id": v.get("unit_id"),
                "post_title": v.get("post_title", ""),
                "role": v.get("role", Role.OTHER.value),
                "phone": v.get("phone", ""),
                **{k: v.get(k, "") for k in PERSON_FIELDS},
                "active": True,
                "note": v.get("note", ""),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    ids = _insert_ids(s, Cadre, rows)
    posts, ranks = [], []
    for cadre_id, row, plan in zip(ids, rows, plans, strict=True):
        row["id"] = cadre_id
        posts.append(
            {
                "cadre_id": cadre_id,
                "unit_id": row["unit_id"],
                "post_title": row["post_title"],
                "role": row["role"],
                "start_date": today,
                "end_date": None,
                "note": "",
            }
        )
        if plan.values.get("rank"):
            # a new cadre has no rank yet: `hours.record_rank` opens one from today, noted with the reason
            rank = {
                "cadre_id": cadre_id,
                "rank": plan.values["rank"],
                "start_date": today,
                "end_date": None,
                "note": reason,
            }
            ranks.append(rank)
            entries.append(_entry("create", "cadre_rank", None, cadre_id, None, rank))  # id once inserted
        after = audit.snapshot_values(Cadre, row)
        entries.append(_entry("create", "cadre", cadre_id, cadre_id, None, after, reason))
    if posts:
        s.connection().execute(sa.insert(_table(Post)), posts)
    _insert_ranks(s, ranks, entries)


def _insert_ranks(s: Session, ranks: list[dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    """Insert new rank periods and complete their audit entries (whose `after` is the period) with the ids."""
    by_row = {id(e["after"]): e for e in entries if e["entity"] == "cadre_rank" and e["entity_id"] is None}
    for rank_id, rank in zip(_insert_ids(s, RankPeriod, ranks), ranks, strict=True):
        rank["id"] = rank_id
        entry = by_row[id(rank)]
        entry["entity_id"] = rank_id
        entry["after"] = audit.snapshot_values(RankPeriod, rank)


def _update_all(
    ctx: Context,
    s: Session,
    plans: list[RowPlan],
    known: _CadreIndex,
    today: date,
    reason: str,
    entries: list[dict[str, Any]],
) -> int:
    """The changed cadres: new details, rank and post (a post move re-attributes the participations from
    today), each with its audit entries; everything read up front and written with one executemany per kind.
    Returns how many moved to a new post."""
    befores: dict[int, dict[str, Any]] = {}
    afters: dict[int, dict[str, Any]] = {}
    for plan in plans:
        cadre_id = plan.cadre_id or 0
        row = dict(known.by_id[cadre_id]._mapping)
        befores[cadre_id] = audit.snapshot_values(Cadre, row)
        v = plan.values
        for key in ("name", "phone", "note", "ref", "post_title", "role", "unit_id", *PERSON_FIELDS):
            if key in v:
                row[key] = v[key] if key in ("ref", "unit_id") else v[key] or ""
        afters[cadre_id] = row
    movers = [c for c in afters if any(befores[c][k] != afters[c][k] for k in _POST_FIELDS)]
    ranked = [p.cadre_id or 0 for p in plans if p.values.get("rank")]
    state = _PostState(s, movers, today)
    periods, first_posts = _rank_state(s, ranked)
    now = ctx.now()
    cadre_rows: list[dict[str, Any]] = []
    rank_updates: list[dict[str, Any]] = []
    new_ranks: list[dict[str, Any]] = []
    for plan in plans:
        cadre_id = plan.cadre_id or 0
        before, row = befores[cadre_id], afters[cadre_id]
        if plan.values.get("rank"):
            _change_rank(
                cadre_id,
                plan.values["rank"],
                today,
                reason,
                periods.get(cadre_id, []),
                first_posts.get(cadre_id),
                rank_updates,
                new_ranks,
                entries,
            )
        if cadre_id in state.posts:
            state.move(cadre_id, row["unit_id"], row["post_title"], row["role"], entries)
        after = audit.snapshot_values(Cadre, row)
        if audit.changed_fields(before, after):  # as roster.save_cadre: a version and an entry, if anything
            row["version"] += 1
            row["updated_at"] = now
            entries.append(
                _entry(
                    "update", "cadre", cadre_id, cadre_id, before, audit.snapshot_values(Cadre, row), reason
                )
            )
            cadre_rows.append(
                {"row_id": cadre_id, **{k: val for k, val in row.items() if k not in ("id", "created_at")}}
            )
    _update_by_id(s, RankPeriod, rank_updates)
    _insert_ranks(s, new_ranks, entries)
    state.write()
    _update_by_id(s, Cadre, cadre_rows)
    return len(movers)


def _rank_state(s: Session, cadre_ids: list[int]) -> tuple[dict[int, list[dict[str, Any]]], dict[int, date]]:
    """The rank periods (in start order) and the first post's start of each cadre, for `_change_rank`."""
    periods: dict[int, list[dict[str, Any]]] = {}
    first_posts: dict[int, date] = {}
    table, posts = _table(RankPeriod), _table(Post)
    for chunk in _chunks(cadre_ids):
        for r in (
            s.connection()
            .execute(
                sa.select(table)
                .where(table.c.cadre_id.in_(chunk))
                .order_by(table.c.cadre_id, table.c.start_date, table.c.id)
            )
            .all()
        ):
            periods.setdefault(r.cadre_id, []).append(dict(r._mapping))
        for cadre_id, first in (
            s.connection()
            .execute(
                sa.select(posts.c.cadre_id, sa.func.min(posts.c.start_date))
                .where(posts.c.cadre_id.in_(chunk))
                .group_by(posts.c.cadre_id)
            )
            .all()
        ):
            first_posts[cadre_id] = first
    return periods, first_posts


def _change_rank(
    cadre_id: int,
    rank: str,
    today: date,
    note: str,
    periods: list[dict[str, Any]],
    first_post: date | None,
    updates: list[dict[str, Any]],
    inserts: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> None:
    """`hours.record_rank(…, first_from_post=True)` on rows read up front: the same periods, the same refusal
    and the same audit entries (no reason, like it)."""
    since = today
    if not periods and first_post is not None and first_post < since:
        since = first_post  # a first recorded rank has been held since the first post
    current = next(
        (
            p
            for p in periods
            if p["start_date"] <= since and (p["end_date"] is None or since <= p["end_date"])
        ),
        None,
    )
    if current is not None and current["rank"] == rank:
        return
    later = [p for p in periods if p["start_date"] > since]
    if later:
        raise ValidationError(
            "hours.rank_later_exists", field="since", since=since, later=later[0]["start_date"]
        )
    before = None
    if current is not None:
        before = audit.snapshot_values(RankPeriod, current)
        if current["start_date"] == since:
            current["rank"], current["note"] = rank, note
            updates.append({"row_id": current["id"], "rank": rank, "note": note})
            after = audit.snapshot_values(RankPeriod, current)
            entries.append(_entry("update", "cadre_rank", current["id"], cadre_id, before, after))
            return
        current["end_date"] = since - timedelta(days=1)
        updates.append({"row_id": current["id"], "end_date": current["end_date"]})
    row = {"cadre_id": cadre_id, "rank": rank, "start_date": since, "end_date": None, "note": note}
    inserts.append(row)
    entries.append(_entry("create", "cadre_rank", None, cadre_id, before, row))  # id once inserted


class _PostState:
    """The posts and the participations from today on of the cadres who move, read with a few queries, and
    `roster.record_move` + `roster.reattribute_units` applied to them in memory."""

    def __init__(self, s: Session, cadre_ids: list[int], today: date) -> None:
        self.s = s
        self.today = today
        self.posts: dict[int, list[dict[str, Any]]] = {c: [] for c in cadre_ids}
        self.participations: dict[int, list[tuple[dict[str, Any], date]]] = {c: [] for c in cadre_ids}
        posts, people, sessions = _table(Post), _table(Participant), _table(TrainingSession)
        from_today = sa.select(sessions.c.id, sessions.c.starts_at).where(
            sessions.c.starts_at >= local_midnight(today)
        )
        days = {sid: local_date(starts_at) for sid, starts_at in s.connection().execute(from_today).all()}
        for chunk in _chunks(cadre_ids):
            for r in (
                s.connection()
                .execute(
                    sa.select(posts)
                    .where(posts.c.cadre_id.in_(chunk))
                    .order_by(posts.c.cadre_id, posts.c.start_date, posts.c.id)
                )
                .all()
            ):
                self.posts[r.cadre_id].append(dict(r._mapping))
            # by the sessions from today on (few) and the (session, cadre) index, not every participation of
            # each cadre: ten years of history each
            for r in (
                s.connection()
                .execute(
                    sa.select(people)
                    .where(
                        people.c.session_id.in_(from_today.with_only_columns(sessions.c.id)),
                        people.c.cadre_id.in_(chunk),
                    )
                    .order_by(people.c.cadre_id, people.c.id)
                )
                .all()
            ):
                self.participations[r.cadre_id].append((dict(r._mapping), days[r.session_id]))
        self.post_updates: list[dict[str, Any]] = []
        self.new_posts: list[dict[str, Any]] = []
        self.participant_updates: list[dict[str, Any]] = []

    def move(
        self, cadre_id: int, unit_id: int | None, post_title: str, role: str, entries: list[dict[str, Any]]
    ) -> None:
        posts = self.posts[cadre_id]
        open_posts = [p for p in posts if p["end_date"] is None]
        current = max(open_posts, key=lambda p: (p["start_date"], p["id"])) if open_posts else None
        if current is not None and current["start_date"] >= self.today:
            # the open post began today or later: corrected in place
            current.update(unit_id=unit_id, post_title=post_title, role=role)
            self.post_updates.append(
                {"row_id": current["id"], "unit_id": unit_id, "post_title": post_title, "role": role}
            )
        else:
            if current is not None:
                current["end_date"] = self.today - timedelta(days=1)
                self.post_updates.append({"row_id": current["id"], "end_date": current["end_date"]})
            post = {
                "cadre_id": cadre_id,
                "unit_id": unit_id,
                "post_title": post_title,
                "role": role,
                "start_date": self.today,
                "end_date": None,
                "note": "",
            }
            self.new_posts.append(post)
            posts.append(post)  # newest: last among posts that start the same day
        spans = [(p["start_date"], p["end_date"], p["unit_id"]) for p in posts]
        for participant, day in self.participations[cadre_id]:
            held = unit_held(spans, day, unit_id)
            if participant["unit_id"] != held:
                before = audit.snapshot_values(Participant, participant)
                participant["unit_id"] = held
                after = audit.snapshot_values(Participant, participant)
                entries.append(
                    _entry(
                        "update",
                        "participant",
                        participant["id"],
                        cadre_id,
                        before,
                        after,
                        "post change",
                        participant["session_id"],
                    )
                )
                self.participant_updates.append({"row_id": participant["id"], "unit_id": held})

    def write(self) -> None:
        _update_by_id(self.s, Post, self.post_updates)
        if self.new_posts:
            self.s.connection().execute(sa.insert(_table(Post)), self.new_posts)
        _update_by_id(self.s, Participant, self.participant_updates)
        if self.participant_updates:  # events list these people under another unit now (ical/roster_stamp.py)
            from zhijin_training.ical import roster_stamp

            roster_stamp.bump(self.s)


def _chunks(ids: list[Any], size: int = 500) -> list[list[Any]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# ---------------------------------------------------------------- export
def _export_rows(ctx: Context) -> list[list[Any]]:
    from zhijin_training.services import roster

    rows = []
    for i, c in enumerate(roster.list_cadres(ctx, active_only=True), start=1):
        rows.append(
            [i, c.ref or "", c.name, c.unit_name, c.post_title, label("role", c.role, "zh"), c.phone, c.note]
        )
    return rows


def export_roster(ctx: Context, path: str | Path, *, bom: bool = True) -> Path:
    """Active cadres as a file `import` reads back unchanged: XLSX (with a title row) or CSV, by suffix."""
    target = Path(path)
    rows = _export_rows(ctx)
    headers = [h for h, _ in EXPORT_HEADERS]
    if target.suffix.lower() == ".csv":
        with (
            replacing(target) as tmp,
            tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh,
        ):
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows([[safe(v) for v in row] for row in rows])
        return target
    if target.suffix.lower() != ".xlsx":
        raise ValidationError("roster.export_format", field="path", file=target.name)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "干部名册"
    ws.append([f"干部名册（{local_date(ctx.now()).isoformat()}）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headers)
    widths = [value_width(h) for h in headers]
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.border = BOX
    for row in rows:
        ws.append([safe(v) for v in row])
        for i, value in enumerate(row):
            widths[i] = max(widths[i], value_width(value))
        for cell in ws[ws.max_row]:
            cell.border = BOX
            cell.number_format = "@" if cell.column > 1 else "General"  # phone and number stay text
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 50)
    ws.freeze_panes = "A3"
    with replacing(target) as tmp:
        wb.save(tmp)
    return target
