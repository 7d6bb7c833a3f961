"""Plan a study trip (day-by-day itinerary) or a secondment, and pick its participants by role and unit.

The picker keeps the chosen cadres while the filters change, so "eight township secretaries" is: choose the
role, then Space on eight names. The itinerary is one line per stop: `<day> <place> <activity>`, where day is a
date (2026-12-07) or the day number of the trip (1, 2, 3).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, SelectionList, Static

from zhijin_training.i18n import label, t
from zhijin_training.services.views import CadreView
from zhijin_training.timeutil import DateParseError, parse_date
from zhijin_training.tui.kit.calls import run_call
from zhijin_training.tui.kit.compat import selected_values
from zhijin_training.tui.kit.dialogs import Field, FieldError, FormDialog, FormSelect
from zhijin_training.tui.widgets.narrow import TickList
from zhijin_training.tui.widgets.text import fit

ROLES = ("township_secretary", "deputy_party_building", "department_head", "other")


def person_line(name: str, unit: str, post: str) -> str:
    """One line of the people picker, in columns by cell width (韩飞 and 潘秀明 start their units together)."""

    def cell(value: str, width: int) -> str:
        text = fit(value, width)
        return text + " " * (width - cell_len(text))

    return fit(f"{cell(name, 8)}  {cell(unit, 16)}  {post}", 60)


def parse_itinerary(text: str, first: date, last: date) -> list[tuple[date, str, str]]:
    """`1 青州 农业园区` or `2026-12-07 青州 农业园区` per line -> (day, place, activity)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        if len(parts) < 2:
            raise FieldError("itinerary", t("trip.bad_line", line=number))
        head = parts[0]
        if head.isdigit() and len(head) <= 3:
            day = first + timedelta(days=int(head) - 1)
        else:
            try:
                day = parse_date(head, field=t("trip.itinerary"))
            except DateParseError:
                raise FieldError("itinerary", t("trip.bad_line", line=number)) from None
        if not first <= day <= last:
            raise FieldError("itinerary", t("trip.outside", line=number, day=day.isoformat()))
        out.append((day, parts[1], parts[2] if len(parts) > 2 else ""))
    return out


class TripForm(FormDialog):
    """kind: "study_trip" or "secondment". Saves the trip while open; dismisses with the created session."""

    def __init__(self, kind: str, today: date) -> None:
        self.kind = kind
        start = today + timedelta(days=7)
        fields = [
            Field(
                "title",
                t("trip.programme"),
                required=True,
                placeholder=t(f"trip.title_hint.{kind}"),
                max_length=200,
            ),
            Field("first_day", t("trip.first_day"), "date", start.isoformat(), required=True),
            Field(
                "last_day", t("trip.last_day"), "date", (start + timedelta(days=2)).isoformat(), required=True
            ),
        ]
        if kind == "study_trip":
            fields += [
                Field("destinations", t("trip.destinations"), placeholder=t("trip.destinations_hint")),
                Field("location", t("trip.location")),
                Field("itinerary", t("trip.itinerary"), "lines", placeholder="", height=5),
            ]
        else:
            fields += [
                Field("location", t("trip.host_place"), required=True, placeholder=t("trip.host_place_hint"))
            ]
        fields.append(Field("note", t("form.note")))
        super().__init__(
            t(f"trip.title.{kind}"),
            fields,
            check=self._check_trip,
            submit=self._create,
            hint=t(f"trip.hint.{kind}"),
            field_map={
                "first_day": "first_day",
                "last_day": "last_day",
                "end": "last_day",
                "ends_at": "last_day",
            },
        )
        self.chosen: dict[int, str] = {}
        self._shown: list[CadreView] = []
        self._people_asked = 0  # the latest people query ...
        self._people_shown = 0  # ... and the one on screen: keys for the list wait until they agree

    def compose_extra(self) -> ComposeResult:
        yield Static(t("trip.participants"), classes="panel-title", markup=False)
        with Horizontal(classes="form-row"):
            yield Label(t("trip.role"), classes="form-label", markup=False)
            yield FormSelect(
                [(t("trip.any_role"), "")] + [(label("role", r), r) for r in ROLES],
                value="township_secretary",
                allow_blank=False,
                id="pick-role",
                compact=True,
            )
        with Horizontal(classes="form-row"):
            yield Label(t("trip.unit"), classes="form-label", markup=False)
            yield Input(placeholder=t("trip.unit_hint"), id="pick-unit", compact=True)
        yield TickList(id="pick-list", classes="pick-list")
        yield Static("", id="pick-count", markup=False)

    def on_mount(self) -> None:
        self.ctx = self.app.ctx  # type: ignore[attr-defined]  # read here: the save runs in a worker
        super().on_mount()
        self._load_people()
        self._update_count()

    @on(Select.Changed, "#pick-role")
    def _role_changed(self) -> None:
        self._load_people()

    @on(Input.Changed, "#pick-unit")
    def _unit_changed(self) -> None:
        self._load_people()

    def _load_people(self) -> None:
        from zhijin_training.services import roster

        role = self.query_one("#pick-role", Select).value
        search = self.query_one("#pick-unit", Input).value.strip() or None
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self._people_asked += 1
        token = self._people_asked
        run_call(
            self,
            lambda: roster.list_cadres(ctx, role=str(role) or None, search=search, limit=500),
            lambda people: self._show_people(people, token),
            failed=self._people_failed,
            tag="people",
        )

    def typeahead_hold(self) -> bool:
        """Keys meant for the people list wait until the list shows what the filters ask for."""
        return self._people_shown != self._people_asked and self.focused is self.query_one(
            "#pick-list", SelectionList
        )

    def _people_failed(self, exc: BaseException) -> None:
        self._people_shown = self._people_asked  # nothing more is coming: let the keys through
        self.show_error(exc)

    def _show_people(self, people: list[CadreView], token: int) -> None:
        if token != self._people_asked:
            return  # an older query: a newer one is on its way
        self._people_shown = token
        picker = self.query_one("#pick-list", SelectionList)
        # keep the cursor on the same person when the list is refilled under the user
        at = picker.highlighted
        current = self._shown[at].id if at is not None and 0 <= at < len(self._shown) else None
        self._shown = people
        picker.clear_options()
        picker.add_options(
            (person_line(p.name, p.unit_name, p.post_title), p.id, p.id in self.chosen) for p in people
        )
        if people:
            ids = [p.id for p in people]
            picker.highlighted = ids.index(current) if current in ids else 0  # Space acts at once

    @on(SelectionList.SelectionToggled, "#pick-list")
    def _toggled(self, event: SelectionList.SelectionToggled[int]) -> None:
        cadre_id = int(event.selection.value)
        picker = self.query_one("#pick-list", SelectionList)
        if cadre_id in selected_values(picker):
            name = next((p.name for p in self._shown if p.id == cadre_id), str(cadre_id))
            self.chosen[cadre_id] = name
        else:
            self.chosen.pop(cadre_id, None)
        self._update_count()

    def _update_count(self) -> None:
        names = "、".join(list(self.chosen.values())[:10])
        text = (
            t("trip.count_names", n=len(self.chosen), names=names)
            if names
            else t("trip.count", n=len(self.chosen))
        )
        # one line, cut with an ASCII ellipsis: a wrapped second line would be hidden below the list
        line = self.query_one("#pick-count", Static)
        line.update(fit(text, max((line.content_region.width or self.size.width - 8) - 1, 20)))

    def is_changed(self) -> bool:
        return bool(self.chosen) or super().is_changed()

    def leave_out(self, cadre_ids: set[int]) -> None:
        """Clashing people unticked: "back" after this shows the form without them."""
        for cadre_id in cadre_ids:
            self.chosen.pop(cadre_id, None)
        picker = self.query_one("#pick-list", SelectionList)
        for cadre_id in cadre_ids:
            if cadre_id in selected_values(picker):
                picker.deselect(cadre_id)
        self._update_count()

    def _create(self, values: dict[str, Any], force: bool) -> Any:
        """Runs in a worker."""
        from zhijin_training.tui.screens.session_form import create_away

        return create_away(self.ctx, self.kind, values, force=force)

    def _check_trip(self, values: dict[str, Any]) -> None:
        first, last = values["first_day"], values["last_day"]
        if last < first:
            raise FieldError("last_day", t("trip.last_before_first"))
        if "itinerary" in values:
            values["itinerary"] = parse_itinerary(values.get("itinerary") or "", first, last)
        if "destinations" in values:
            text = values["destinations"].replace("，", "、").replace(",", "、")
            values["destinations"] = [d.strip() for d in text.split("、") if d.strip()]
        if not self.chosen:
            raise FieldError("participants", t("trip.no_people"))
        values["participants"] = list(self.chosen)
