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
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from zhijin_training.i18n import label
from zhijin_training.models import Cadre, Post, Role, Unit
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, NotFoundError, ValidationError, describe
from zhijin_training.services.roster import find_unit, record_move, save_cadre
from zhijin_training.services.validation import clean_phone, clean_text, parse_enum
from zhijin_training.settings import AccessRole
from zhijin_training.sheets.cells import BOX, replacing, safe, value_width
from zhijin_training.timeutil import local_date

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
}
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
    errors: list[RowError]  # file-level problems (unknown columns)


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
    try:
        wb = load_workbook(path, data_only=True)  # not read-only: merged ranges are needed
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError(
            "roster.bad_xlsx", field="path", file=path.name, kind=exc.__class__.__name__
        ) from None
    ws = wb.worksheets[0]
    grid: dict[tuple[int, int], Any] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                grid[(cell.row, cell.column)] = cell.value
    # a merged range holds its value in the top-left cell: give it to every cell of the range
    for merged in ws.merged_cells.ranges:
        top_left = grid.get((merged.min_row, merged.min_col))
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[(r, c)] = top_left
    max_row = max((r for r, _ in grid), default=0)
    max_col = max((c for _, c in grid), default=0)
    return [(r, [_cell_text(grid.get((r, c))) for c in range(1, max_col + 1)]) for r in range(1, max_row + 1)]


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("roster.encoding", field="path", file=name)


def _csv_grid(path: Path) -> list[tuple[int, list[str]]]:
    text = _decode(path.read_bytes(), path.name)
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
    seen: dict[str, str] = {}
    for i, header in enumerate(headers):
        if not header:
            continue
        name = HEADER_ALIASES.get(_normal_header(header))
        letter = get_column_letter(i + 1)
        if name is None:
            errors.append(RowError(header_row, f"{letter} {header}", "roster.unknown_column"))
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
    return ParsedRoster(path, header_row, {h: n for h, n in columns.values()}, rows, errors)


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


def _clean_row(
    s: Session, row: RosterRow, columns: dict[str, str], unit_memo: dict[str, Any]
) -> tuple[dict[str, Any], list[RowError]]:
    header_of = {name: header for header, name in columns.items()}
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
    check("role", lambda v: parse_enum(Role, v, "role", "role").value if v else Role.OTHER.value)
    if "unit" in row.values:
        text = row.values["unit"]
        if not text:
            out["unit_id"], out["unit_name"] = None, ""
        else:
            if text not in unit_memo:  # a roster names the same few dozen units thousands of times
                try:
                    unit_memo[text] = find_unit(s, text)
                except DomainError as exc:
                    unit_memo[text] = exc
            found = unit_memo[text]
            if isinstance(found, NotFoundError):
                errors.append(RowError(row.row, header_of["unit"], "roster.unknown_unit", {"unit": text}))
            elif isinstance(found, DomainError):
                errors.append(RowError.of(row.row, header_of["unit"], found))
            else:
                out["unit_id"], out["unit_name"] = found.id, found.name
    return out, errors


def _plan(s: Session, parsed: ParsedRoster) -> tuple[list[RowPlan], list[RowError]]:
    errors = list(parsed.errors)
    plans: list[RowPlan] = []
    seen: dict[tuple[str, ...], int] = {}
    claimed: dict[int, int] = {}  # cadre id -> row
    units = {u.id: u.name for u in s.exec(select(Unit)).all()}
    unit_memo: dict[str, Any] = {}
    known = _CadreIndex(s)
    for row in parsed.rows:
        values, row_errors = _clean_row(s, row, parsed.columns, unit_memo)
        if row_errors:
            errors.extend(row_errors)
            continue
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
        for key_ in ("name", "post_title", "role", "phone", "note", "ref"):
            if key_ in values and (getattr(cadre, key_) or "") != (values[key_] or ""):
                changes[key_] = (getattr(cadre, key_) or "", values[key_] or "")
        if "unit_id" in values and cadre.unit_id != values["unit_id"]:
            changes["unit"] = (units.get(cadre.unit_id, "") if cadre.unit_id else "", unit_name)
        action = "changed" if changes else "unchanged"
        plans.append(
            RowPlan(
                row.row, action, name, unit_name or units.get(cadre.unit_id, ""), cadre.id, changes, values
            )
        )
    return plans, sorted(errors, key=lambda e: (e.row, e.column))


class _CadreIndex:
    """Every cadre loaded once and indexed by person number and by (name, unit): one query, not one per row."""

    def __init__(self, s: Session) -> None:
        self.by_ref: dict[str, Cadre] = {}
        self.by_name: dict[tuple[str, int | None], list[Cadre]] = {}
        self.by_name_only: dict[str, list[Cadre]] = {}
        for cadre in s.exec(select(Cadre).order_by(col(Cadre.id))).all():
            if cadre.ref:
                self.by_ref[cadre.ref] = cadre
            self.by_name.setdefault((cadre.name, cadre.unit_id), []).append(cadre)
            self.by_name_only.setdefault(cadre.name, []).append(cadre)

    def match(self, values: dict[str, Any]) -> Cadre | RowError | None:
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
        plans, errors = _plan(s, parsed)
    if "name" not in parsed.columns.values():
        errors.insert(0, RowError(parsed.header_row, "", "roster.no_name_column"))
    return RosterPreview(parsed.path, parsed.columns, plans, errors)


# ---------------------------------------------------------------- apply
def apply_import(ctx: Context, preview: RosterPreview) -> ImportResult:
    """Write the previewed import in one transaction, re-checked against the database as it is now."""
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
    parsed = read_roster(preview.path)
    today = local_date(ctx.now())
    reason = f"roster import {preview.path.name}"
    added = changed = moved = 0
    with ctx.db.write() as s:
        plans, errors = _plan(s, parsed)
        if errors:
            raise ValidationError(
                "roster.changed_since_preview", field="path", file=preview.path.name, first=str(errors[0])
            )
        _add_all(ctx, s, [p for p in plans if p.action == "new"], today, reason)
        added = sum(1 for p in plans if p.action == "new")
        for plan in plans:
            if plan.action == "changed":
                moved += _update(ctx, s, plan, today, reason)
                changed += 1
    return ImportResult(added, changed, sum(1 for p in plans if p.action == "unchanged"), moved)


def _add_all(ctx: Context, s: Session, plans: list[RowPlan], today: date, reason: str) -> None:
    """New cadres with their first post and audit entries; one flush for all of them (ids for the posts)."""
    cadres = []
    for plan in plans:
        v = plan.values
        cadres.append(
            Cadre(
                name=v["name"],
                unit_id=v.get("unit_id"),
                post_title=v.get("post_title", ""),
                role=v.get("role", Role.OTHER.value),
                phone=v.get("phone", ""),
                note=v.get("note", ""),
                ref=v.get("ref"),
                created_at=ctx.now(),
                updated_at=ctx.now(),
            )
        )
    s.add_all(cadres)
    s.flush()
    for cadre in cadres:
        s.add(
            Post(
                cadre_id=cadre.id or 0,
                unit_id=cadre.unit_id,
                post_title=cadre.post_title,
                role=cadre.role,
                start_date=today,
            )
        )
        audit.record(
            ctx,
            s,
            action="create",
            entity="cadre",
            entity_id=cadre.id,
            cadre_id=cadre.id,
            after=audit.snapshot(cadre),
            reason=reason,
        )


def _update(ctx: Context, s: Session, plan: RowPlan, today: date, reason: str) -> int:
    cadre = s.get(Cadre, plan.cadre_id)
    assert cadre is not None
    before = audit.snapshot(cadre)
    v = plan.values
    for key in ("name", "phone", "note", "ref", "post_title", "role", "unit_id"):
        if key in v:
            setattr(cadre, key, v[key] if key in ("ref", "unit_id") else v[key] or "")
    moved = 0
    if any(before and before.get(k) != getattr(cadre, k) for k in _POST_FIELDS):
        moved = 1
        # the same post-change rule as roster.move_cadre: history kept, unit figures re-attributed
        record_move(ctx, s, cadre, cadre.unit_id, cadre.post_title, cadre.role, today)
    save_cadre(ctx, s, cadre, before, reason=reason)
    return moved


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
