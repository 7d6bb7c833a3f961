"""参训人员 of an existing session: add from the roster (the cadre picker, with search) and remove, then save once.

Nothing is written until ctrl+s: the list shows what will change (新增 / 移除), and one service call makes
all of it or none (services/participants.change_participants). Someone whose attendance is recorded cannot be
removed; adding someone already expected elsewhere at that time asks 仍然保存 / 返回修改, as the forms do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from zhijin_training.i18n import label, t
from zhijin_training.services.views import SessionAttendance, SessionView
from zhijin_training.textsafe import printable
from zhijin_training.tui.kit.calls import Calls, run_call
from zhijin_training.tui.kit.dialogs import Choice, Confirm, warning_text
from zhijin_training.tui.kit.keymap import Key, Keyed, keys
from zhijin_training.tui.kit.table import Col, Table
from zhijin_training.tui.screens.cadre_picker import CadrePicker


@dataclass
class Person:
    cadre_id: int
    name: str
    unit: str
    post: str
    status: str | None = None
    mark: str = ""  # "" on the list, "added", "removed"


@dataclass(frozen=True)
class PeopleChange:
    added: list[int]
    removed: list[int]


class ParticipantsDialog(Keyed, Calls, ModalScreen[PeopleChange | None]):
    CSS_PATH = "participants_edit.tcss"
    KEYS: ClassVar = keys(
        Key("dialog.people_add", "a,insert", "add", "feat.people.add"),
        Key("dialog.people_remove", "d,delete", "toggle_remove", "feat.people.remove"),
        Key("dialog.people_save", "ctrl+s,f2", "save", "feat.people.save", priority=True),
        Key("dialog.close", "escape", "close", "kit.key.close"),
    )

    def __init__(self, session: SessionView) -> None:
        super().__init__()
        self.session = session
        self.version: int | None = None
        self.people: dict[int, Person] = {}
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide people-box"):
            yield Static(
                Text(printable(t("feat.people.title", title=self.session.title)), style="bold"),
                classes="kit-title",
            )
            yield Static(Text(t("feat.people.hint")), classes="kit-note")
            yield Table(
                [
                    Col("mark", "", 4),
                    Col("name", t("common.col.name"), 8, grow=1),
                    Col("unit", t("common.col.unit"), 12, grow=3),
                    Col("post", t("common.col.post"), 10, grow=2, optional=2),
                    Col("status", t("common.col.status"), 6, optional=1),
                ],
                id="people-table",
            )
            yield Static("", id="people-count", markup=False)
            yield Static("", id="people-error", classes="kit-error", markup=False)
            with Horizontal(classes="kit-buttons"):
                yield Button(
                    t("feat.people.save") + " (ctrl+s)", id="people-save", variant="primary", compact=True
                )
                yield Button(t("kit.key.close") + " (Esc)", id="people-close", compact=True)

    @property
    def table(self) -> Table:
        return self.query_one("#people-table", Table)

    def on_mount(self) -> None:
        from zhijin_training.services.attendance import session_attendance

        self.table.focus()
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.call_service("sheet", session_attendance, ctx, self.session.id)

    def done_sheet(self, sheet: SessionAttendance) -> None:
        self.version = sheet.session.version
        self.people = {
            p.cadre_id: Person(p.cadre_id, p.cadre_name, p.unit_name, p.post_title, p.status)
            for p in sheet.participants
        }
        self._fill()

    # ------------------------------------------------------------ drawing
    def _values(self, p: Person) -> tuple[Any, ...]:
        mark = {"added": t("feat.people.added_mark"), "removed": t("feat.people.removed_mark")}.get(
            p.mark, ""
        )
        style = {"added": "bold green", "removed": "strike"}.get(p.mark, "")
        status = label("status", p.status) if p.status else ""
        return (Text(mark, style=style), Text(p.name, style=style), p.unit, p.post, status)

    def _fill(self) -> None:
        self.table.set_rows([(p.cadre_id, self._values(p)) for p in self.people.values()])
        self._count()

    def _count(self) -> None:
        added, removed = self.change().added, self.change().removed
        kept = sum(1 for p in self.people.values() if p.mark != "removed")
        self.query_one("#people-count", Static).update(
            Text(t("feat.people.count", n=kept, added=len(added), removed=len(removed)))
        )

    def change(self) -> PeopleChange:
        return PeopleChange(
            [p.cadre_id for p in self.people.values() if p.mark == "added"],
            [p.cadre_id for p in self.people.values() if p.mark == "removed"],
        )

    def _say(self, text: str) -> None:
        self.query_one("#people-error", Static).update(Text(printable(text)))

    # ------------------------------------------------------------ add and remove
    def action_add(self) -> None:
        self.app.push_screen(CadrePicker(), self._picked)

    def _picked(self, choice: tuple[int, str] | None) -> None:
        if choice is None:
            return
        cadre_id, name = choice
        known = self.people.get(cadre_id)
        if known is not None:
            if known.mark == "removed":  # picked again: keep him after all
                known.mark = ""
                self.table.update_row(cadre_id, self._values(known))
                self._count()
            else:
                self._say(t("feat.people.already", name=name))
            self.table.select_key(cadre_id)
            return
        from zhijin_training.services import roster

        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.call_service("cadre", roster.get_cadre, ctx, cadre_id)

    def done_cadre(self, cadre: Any) -> None:
        if cadre.id in self.people:
            return
        self.people[cadre.id] = Person(cadre.id, cadre.name, cadre.unit_name, cadre.post_title, mark="added")
        self._fill()
        self.table.select_key(cadre.id)
        self._say("")

    def action_toggle_remove(self) -> None:
        key = self.table.selected_key
        person = self.people.get(key) if isinstance(key, int) else None
        if person is None:
            return
        if person.mark == "added":  # not saved yet: simply off the list again
            del self.people[person.cadre_id]
            self._fill()
            return
        if person.status is not None:
            self._say(t("feat.people.recorded"))
            return
        person.mark = "" if person.mark == "removed" else "removed"
        self.table.update_row(person.cadre_id, self._values(person))
        self._count()
        self._say("")

    # ------------------------------------------------------------ saving and leaving
    def action_save(self) -> None:
        change = self.change()
        if not change.added and not change.removed:
            self.notify(t("feat.people.unchanged"), markup=False)
            self.dismiss(None)
            return
        self._run(change, force=False)

    def _run(self, change: PeopleChange, *, force: bool) -> None:
        from zhijin_training.services import participants

        if self.saving:
            return
        self.saving = True
        ctx = self.app.ctx  # type: ignore[attr-defined]
        session_id, version = self.session.id, self.version
        run_call(
            self,
            lambda: participants.change_participants(
                ctx,
                session_id,
                add=change.added,
                remove=change.removed,
                expected_version=version,
                force=force,
            ),
            lambda _result: self.dismiss(change),
            failed=lambda exc: self._refused(change, exc),
            tag="save",
        )

    def _refused(self, change: PeopleChange, exc: BaseException) -> None:
        from zhijin_training.services.schedule import ScheduleWarning
        from zhijin_training.tui.kit.calls import explain

        self.saving = False
        if isinstance(exc, ScheduleWarning):

            def answered(choice: str | None) -> None:
                if choice == "save":
                    self._run(change, force=True)

            self.app.push_screen(
                Choice(
                    t("warn.title"),
                    [("save", t("kit.warn.save_anyway")), ("back", t("kit.warn.back"))],
                    message=warning_text(exc),
                ),
                answered,
            )
            return
        self._say(explain(exc)[1])

    def action_close(self) -> None:
        change = self.change()
        if not change.added and not change.removed:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(
            Confirm(
                t("kit.discard.title"),
                t("feat.people.discard"),
                yes=t("kit.discard.yes"),
                no=t("kit.discard.no"),
            ),
            answered,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "people-save":
            self.action_save()
        else:
            self.action_close()
