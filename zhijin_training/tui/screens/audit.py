"""记录 Audit: who changed what and when, newest first, filtered by session and cadre, paged. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from zhijin_training.i18n import has_key, label, t
from zhijin_training.services import audit, roster, schedule
from zhijin_training.services.audit import AuditGroup, AuditView
from zhijin_training.services.context import Context
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.kit.dialogs import TableDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.table import Col, Row, Table
from zhijin_training.tui.screens.audit_groups import extra_text
from zhijin_training.tui.screens.cadre_picker import CadrePicker
from zhijin_training.tui.screens.ops_common import when
from zhijin_training.tui.screens.session_picker import SessionPicker

PAGE = 100
QUIET_FIELDS = {
    "version",
    "recorded_at",
    "recorded_by",
    "updated_by",
    "sequence",
    "id",
    "cadre_id",
    "session_id",
    "created_at",
    "updated_at",
}
STATUS_FIELDS = {"status"}
# fields of the 学时 records (issue 12) whose values are enumerations with catalogue labels
LABELLED_FIELDS = {
    "category": "train_category",
    "state": "record_state",
    "rank": "rank",
    "source": "train_source",
}
# the order fields are listed in (the stored snapshots do not promise one): what matters most first
FIELD_ORDER = (
    "status",
    "leave_reason",
    "approved_by",
    "deputy_name",
    "venue",
    "note",
    "name",
    "unit_id",
    "post_title",
    "role",
    "active",
    "title",
    "starts_at",
    "ends_at",
    "location",
)


def ordered(keys: Any) -> list[str]:
    rank = {k: i for i, k in enumerate(FIELD_ORDER)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditView]  # the entries that name each operation (one row each)
    cadre_names: dict[int, str]
    session_titles: dict[int, str]
    groups: list[AuditGroup] = field(default_factory=list)
    next_before: int | None = None  # where the next (older) page starts; None: nothing older


def load_page(
    ctx: Context,
    filters: dict[str, Any],
    before_id: int | None,
    known_cadres: dict[int, str],
    known_sessions: dict[int, str],
) -> AuditPage:
    """Worker side: one page of operations (a new session with its participants is one) plus the names they
    refer to (looked up once per id)."""
    page = audit.list_groups(ctx, limit=PAGE, before_id=before_id, **filters)
    _remember_units(ctx)
    entries = [g.head for g in page.groups]
    names = _names(ctx, entries, known_cadres, known_sessions)
    return AuditPage(entries, *names, groups=page.groups, next_before=page.next_before)


def load_group(
    ctx: Context, group: AuditGroup, known_cadres: dict[int, str], known_sessions: dict[int, str]
) -> AuditPage:
    """Worker side: every entry of one operation, to open it up."""
    entries = audit.group_entries(ctx, group.entry_ids)
    _remember_units(ctx)
    return AuditPage(entries, *_names(ctx, entries, known_cadres, known_sessions))


def _names(
    ctx: Context, entries: list[AuditView], known_cadres: dict[int, str], known_sessions: dict[int, str]
) -> tuple[dict[int, str], dict[int, str]]:
    # one read per kind for the page, not one per entry; a record gone since shows as its number
    cadre_ids = {e.cadre_id for e in entries if e.cadre_id and e.cadre_id not in known_cadres}
    session_ids = {e.session_id for e in entries if e.session_id and e.session_id not in known_sessions}
    found_cadres = roster.cadre_names(ctx, list(cadre_ids))
    found_sessions = schedule.session_titles(ctx, list(session_ids))
    cadres = {i: found_cadres.get(i, f"#{i}") for i in cadre_ids}
    sessions = {i: found_sessions.get(i, f"#{i}") for i in session_ids}
    return cadres, sessions


# unit ids in the stored snapshots are shown by name; a county has a few dozen units (a province thousands),
# their names read with each page
_UNIT_NAMES: dict[int, str] = {}


def _remember_units(ctx: Context) -> None:
    _UNIT_NAMES.update(roster.unit_names(ctx))


def field_name(key: str) -> str:
    text = t(f"common.field.{key}")
    return key if text == f"common.field.{key}" else text


def show_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    if key in STATUS_FIELDS and isinstance(value, str):
        shown = t(f"status.{value}")
        if shown == f"status.{value}":
            shown = label("session_status", value)
        return shown
    if key == "unit_id" and isinstance(value, int) and value in _UNIT_NAMES:
        return _UNIT_NAMES[value]
    if key == "role" and isinstance(value, str):
        return label("role", value)
    if key in LABELLED_FIELDS and isinstance(value, str) and has_key(f"{LABELLED_FIELDS[key]}.{value}"):
        return label(LABELLED_FIELDS[key], value)
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def summary(entry: AuditView) -> str:
    """`状态: - -> 出勤; 会场: - -> 主会场` (ASCII arrow: the real one is ambiguous-width)."""
    parts = [
        f"{field_name(k)}: {show_value(k, entry.changes[k][0])} -> {show_value(k, entry.changes[k][1])}"
        for k in ordered(entry.changes)
        if k not in QUIET_FIELDS
    ]
    return "; ".join(parts)


# reasons the services write themselves (a person's reason is shown as typed)
SYSTEM_REASONS = {
    "attendance taken": "kit.aud.reason.attendance_taken",
    "post change": "kit.aud.reason.post_change",
}


def reason_text(reason: str) -> str:
    key = SYSTEM_REASONS.get(reason)
    return t(key) if key else reason


class AuditScreen(SectionScreen):
    CSS_PATH = "audit.tcss"
    KEYS: ClassVar = keys(
        Key("audit.session", "s", "filter_session", "audit.k.session"),
        Key("audit.cadre", "c", "filter_cadre", "audit.k.cadre"),
        Key("audit.clear", "z", "clear_filters", "audit.k.clear"),
        Key("audit.reload", "r,f5,ctrl+r", "reload", "common.k.reload", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.session_filter: tuple[int, str] | None = None
        self.cadre_filter: tuple[int, str] | None = None
        self.entries: dict[str, AuditView] = {}
        self.cadre_names: dict[int, str] = {}
        self.session_titles: dict[int, str] = {}
        self.groups: dict[str, AuditGroup] = {}  # by the row key: the id of the entry naming the operation
        self.next_before: int | None = None
        self.exhausted = False
        self.loading_more = False

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="aud-bar")
        yield Table(
            [
                Col("at", t("common.col.when"), 16),
                Col("user", t("audit.user"), 8, optional=2),
                Col("what", t("audit.what"), 8),
                Col("target", t("audit.target"), 12, grow=2),
                Col("changes", t("audit.changes"), 16, grow=5),
                Col("reason", t("audit.reason"), 8, grow=1, optional=1),
            ],
            id="aud-table",
        )
        yield from self.compose_bottom()

    @property
    def table(self) -> Table:
        return self.query_one("#aud-table", Table)

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def _filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.session_filter:
            out["session_id"] = self.session_filter[0]
        if self.cadre_filter:
            out["cadre_id"] = self.cadre_filter[0]
        return out

    def load(self) -> None:
        self.loading_more = False
        self.call_service(
            "page",
            load_page,
            self.ctx,
            self._filters(),
            None,
            dict(self.cadre_names),
            dict(self.session_titles),
        )
        self._show_bar()

    def on_screen_resume(self) -> None:
        """Back on this section: show entries written meanwhile (the app polls only the visible screen)."""
        if self.entries:
            self.load()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def done_page(self, page: AuditPage) -> None:
        self.cadre_names.update(page.cadre_names)
        self.session_titles.update(page.session_titles)
        self.entries = {str(e.id): e for e in page.entries}
        self.groups = {str(g.head.id): g for g in page.groups}
        self.next_before = page.next_before
        self.exhausted = page.next_before is None
        self.table.set_rows([self._row(e) for e in page.entries])
        self._show_bar()

    def _load_more(self) -> None:
        if self.loading_more or self.exhausted:
            return
        self.loading_more = True
        self.call_service(
            "more",
            load_page,
            self.ctx,
            self._filters(),
            self.next_before,
            dict(self.cadre_names),
            dict(self.session_titles),
        )

    def done_more(self, page: AuditPage) -> None:
        self.loading_more = False
        self.cadre_names.update(page.cadre_names)
        self.session_titles.update(page.session_titles)
        fresh = [e for e in page.entries if str(e.id) not in self.entries]
        for e in fresh:
            self.entries[str(e.id)] = e
        self.groups |= {str(g.head.id): g for g in page.groups}
        self.next_before = page.next_before
        self.exhausted = page.next_before is None
        self.table.append_rows([self._row(e) for e in fresh])
        self._show_bar()

    def failed_more(self, exc: BaseException) -> None:
        self.loading_more = False
        self.show_error(exc)

    @on(DataTable.RowHighlighted, "#aud-table")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - 10:
            self._load_more()

    # ------------------------------------------------------------ drawing
    def _target(self, e: AuditView) -> str:
        parts = []
        if e.cadre_id:
            parts.append(self.cadre_names.get(e.cadre_id, f"#{e.cadre_id}"))
        if e.session_id:
            parts.append(self.session_titles.get(e.session_id, f"#{e.session_id}"))
        if not parts and e.entity_id is not None:
            parts.append(f"#{e.entity_id}")
        return " @ ".join(parts)

    def _what(self, e: AuditView) -> str:
        return f"{t(f'audit.action.{e.action}')}{t(f'audit.entity.{e.entity}')}"

    def _row(self, e: AuditView) -> Row:
        group = self.groups.get(str(e.id))
        extra = extra_text(group) if group is not None else ""
        # what the operation did besides its own entry comes first: "含 88 名参训人员" must not be cut off
        changes = "  ".join(part for part in (extra, summary(e)) if part)
        return (
            str(e.id),
            (when(e.at), e.user, self._what(e), self._target(e), changes, reason_text(e.reason)),
        )

    def _show_bar(self) -> None:
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(t("audit.filters"), style="bold")
        if not self.session_filter and not self.cadre_filter:
            text.append(" " + t("audit.no_filter"))
        if self.session_filter:
            text.append(" " + t("audit.session_is", title=self.session_filter[1]), style="reverse")
        if self.cadre_filter:
            text.append(" " + t("audit.cadre_is", name=self.cadre_filter[1]), style="reverse")
        more = "+" if not self.exhausted else ""
        text.append("  " + t("audit.loaded", n=f"{len(self.entries)}{more}"), style="dim")
        self.query_one("#aud-bar", Static).update(text)

    # ------------------------------------------------------------ filters
    def action_filter_session(self) -> None:
        def picked(session_id: int | None) -> None:
            if session_id is not None:
                self.call_service("session_title", lambda: schedule.get_session(self.ctx, session_id))

        self.app.push_screen(SessionPicker(self.session_filter[0] if self.session_filter else None), picked)

    def done_session_title(self, session: Any) -> None:
        self.session_filter = (session.id, session.title)
        self.load()

    def action_filter_cadre(self) -> None:
        def picked(choice: tuple[int, str] | None) -> None:
            if choice is not None:
                self.cadre_filter = choice
                self.load()

        self.app.push_screen(CadrePicker(), picked)

    def action_clear_filters(self) -> None:
        self.session_filter = None
        self.cadre_filter = None
        self.load()

    def set_filters(
        self, *, session: tuple[int, str] | None = None, cadre: tuple[int, str] | None = None
    ) -> None:
        """Filter from elsewhere (and from tests): (id, shown name)."""
        self.session_filter = session
        self.cadre_filter = cadre
        self.load()

    # ------------------------------------------------------------ details
    @on(DataTable.RowSelected, "#aud-table")
    def _details(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        group = self.groups.get(key)
        if group is not None and group.size > 1:
            self.call_service(
                "group", load_group, self.ctx, group, dict(self.cadre_names), dict(self.session_titles)
            )
            return
        entry = self.entries.get(key)
        if entry is not None:
            self._show_entry(entry)

    def done_group(self, page: AuditPage) -> None:
        """An operation opened up: one row per entry; Enter on one shows its before and after."""
        self.cadre_names.update(page.cadre_names)
        self.session_titles.update(page.session_titles)
        entries = {str(e.id): e for e in page.entries}
        head = page.entries[0] if page.entries else None
        if head is None:
            return
        group = next((g for g in self.groups.values() if head.id in g.entry_ids), None)
        named = group.head if group is not None else head
        columns = [
            Col("what", t("audit.what"), 8),
            Col("target", t("audit.target"), 12, grow=2),
            Col("changes", t("audit.changes"), 16, grow=5),
        ]
        rows: list[Row] = [(str(e.id), (self._what(e), self._target(e), summary(e))) for e in page.entries]
        title = t(
            "feat.audit.group_title",
            when=when(named.at),
            user=named.user,
            what=self._what(named),
            n=len(rows),
        )

        def picked(key: str | None) -> None:
            if key and key in entries:
                self._show_entry(entries[key])

        self.app.push_screen(
            TableDialog(title, columns, rows, note=t("feat.audit.group_note"), pickable=True), picked
        )

    def _show_entry(self, entry: AuditView) -> None:
        before, after = entry.before or {}, entry.after or {}
        keys = [k for k in ordered({**before, **after}) if k not in QUIET_FIELDS]
        rows: list[Row] = [
            (
                k,
                (
                    field_name(k),
                    show_value(k, before.get(k)) if entry.before is not None else "",
                    show_value(k, after.get(k)) if entry.after is not None else "",
                    "*" if before.get(k) != after.get(k) else "",
                ),
            )
            for k in keys
        ]
        columns = [
            Col("field", t("audit.field"), 10, grow=1),
            Col("before", t("audit.before"), 12, grow=3),
            Col("after", t("audit.after"), 12, grow=3),
            Col("changed", "", 1),
        ]
        title = f"{when(entry.at)}  {entry.user}  {self._what(entry)}  {self._target(entry)}"
        note = t("audit.reason_is", reason=reason_text(entry.reason)) if entry.reason else ""
        self.app.push_screen(TableDialog(title, columns, rows, note=note))
