"""Choose one cadre by typing part of a name, unit or post (used by the audit filter)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from zhijin_training.i18n import label, t
from zhijin_training.services import roster
from zhijin_training.services.views import CadreView
from zhijin_training.tui.kit.calls import Calls
from zhijin_training.tui.kit.keymap import Key, Keyed, keys
from zhijin_training.tui.kit.table import Col, Table

LIMIT = 100


class CadrePicker(Keyed, Calls, ModalScreen[tuple[int, str] | None]):
    """Returns (cadre id, name), or None when cancelled."""

    KEYS: ClassVar = keys(Key("dialog.close", "escape", "close", "kit.key.close"))

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, CadreView] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide"):
            yield Static(Text(t("picker.cadre.title")), classes="kit-title")
            yield Input(placeholder=t("roster.search_placeholder"), id="cadre-search", compact=True)
            yield Table(
                [
                    Col("name", t("common.col.name"), 8, grow=1),
                    Col("unit", t("common.col.unit"), 12, grow=3),
                    Col("post", t("common.col.post"), 10, grow=2),
                    Col("role", t("common.col.role"), 10, optional=1),
                ],
                id="cadre-table",
            )

    def on_mount(self) -> None:
        self.query_one("#cadre-search", Input).focus()
        self._search("")

    def _search(self, text: str) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.call_service(
            "found", roster.list_cadres, ctx, search=text or None, active_only=False, limit=LIMIT
        )

    def done_found(self, cadres: list[CadreView]) -> None:
        self.found = {str(c.id): c for c in cadres}
        self.query_one(Table).set_rows(
            [(str(c.id), (c.name, c.unit_name, c.post_title, label("role", c.role))) for c in cadres]
        )

    @on(Input.Changed, "#cadre-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value.strip())

    @on(Input.Submitted, "#cadre-search")
    def _to_table(self) -> None:
        self.query_one(Table).focus()

    @on(DataTable.RowSelected, "#cadre-table")
    def _picked(self, event: DataTable.RowSelected) -> None:
        cadre = self.found.get(event.row_key.value or "")
        if cadre is not None:
            self.dismiss((cadre.id, cadre.name))

    def action_close(self) -> None:
        self.dismiss(None)
