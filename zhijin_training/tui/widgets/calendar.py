"""A month view: one cell per day with the number of sessions and the first one's title.

Keyboard: arrows move a day / a week, PageUp/PageDown (or < and >) a month, Enter chooses the day.
The widget knows nothing of the database: the screen listens for `MonthChanged`, loads that month in a
worker and calls `set_marks(...)`. Styles come from component classes so themes apply (no fixed colours).
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from zhijin_training.i18n import t
from zhijin_training.tui.widgets.text import fit, pad


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, _stdcal.monthrange(year, month)[1]))


class MonthCalendar(Widget, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "calendar--header",
        "calendar--today",
        "calendar--selected",
        "calendar--holiday",
        "calendar--busy",
        "calendar--other-month",
    }
    DEFAULT_CSS = """
    MonthCalendar { height: auto; min-height: 9; padding: 0 1; }
    MonthCalendar > .calendar--header { text-style: bold; color: $accent; }
    MonthCalendar > .calendar--today { text-style: bold underline; }
    MonthCalendar > .calendar--selected { background: $accent; color: $text; }
    MonthCalendar:focus > .calendar--selected { background: $accent; color: $text; text-style: bold; }
    MonthCalendar > .calendar--holiday { color: $warning; }
    MonthCalendar > .calendar--busy { color: $success; }
    MonthCalendar > .calendar--other-month { color: $text-disabled; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
        Binding("up", "move(-7)", show=False),
        Binding("down", "move(7)", show=False),
        Binding("pageup,less_than_sign", "month(-1)", t("cal.prev_month"), show=False),
        Binding("pagedown,greater_than_sign", "month(1)", t("cal.next_month"), show=False),
        Binding("enter", "choose", t("cal.choose"), show=False),
    ]

    day: reactive[date] = reactive(date(2000, 1, 1), init=False)

    class DayChanged(Message):
        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    class MonthChanged(Message):
        """The visible month changed: load its sessions (first and last day given)."""

        def __init__(self, first: date, last: date) -> None:
            super().__init__()
            self.first = first
            self.last = last

    class DayChosen(Message):
        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    def __init__(self, day: date, today: date, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._today = today
        self._marks: dict[date, list[str]] = {}
        self._holidays: dict[date, str] = {}
        self.set_reactive(MonthCalendar.day, day)

    # ------------------------------------------------------------ data in
    def set_marks(
        self, marks: Mapping[date, Sequence[str]], holidays: Mapping[date, str] | None = None
    ) -> None:
        self._marks = {d: list(v) for d, v in marks.items()}
        self._holidays = dict(holidays or {})
        self.refresh()

    def month_bounds(self) -> tuple[date, date]:
        first = self.day.replace(day=1)
        return first, first.replace(day=_stdcal.monthrange(first.year, first.month)[1])

    # ------------------------------------------------------------ actions
    def watch_day(self, old: date, new: date) -> None:
        self.post_message(self.DayChanged(new))
        if (old.year, old.month) != (new.year, new.month):
            self.post_message(self.MonthChanged(*self.month_bounds()))
        self.refresh()

    def action_move(self, days: int) -> None:
        self.day = self.day + timedelta(days=days)

    def action_month(self, months: int) -> None:
        self.day = _add_months(self.day, months)

    def action_choose(self) -> None:
        self.post_message(self.DayChosen(self.day))

    # ------------------------------------------------------------ drawing
    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 2 + 2 * len(self._weeks())

    def _weeks(self) -> list[list[date]]:
        cal = _stdcal.Calendar(firstweekday=0)
        return [list(week) for week in cal.monthdatescalendar(self.day.year, self.day.month)]

    def render(self) -> RenderableType:
        width = max(7 * 4, self.content_size.width or 78)
        cell = max(4, width // 7)
        style = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        title = t("cal.month_title", year=self.day.year, month=self.day.month)
        out.append(
            pad(" " * max(0, (cell * 7 - cell_len(title)) // 2) + title, cell * 7), style("calendar--header")
        )
        out.append("\n")
        for name in t("cal.weekdays").split():
            out.append(pad(" " + name, cell), style("calendar--header"))
        for week in self._weeks():
            out.append("\n")
            for day in week:
                out.append_text(self._number_cell(day, cell))
            out.append("\n")
            for day in week:
                labels = self._marks.get(day, [])
                holiday = self._holidays.get(day)
                text = labels[0] if labels else (holiday or "")
                if day.month != self.day.month:
                    text = ""
                out.append(pad(" " + fit(text, cell - 2), cell), self._day_style(day, title_line=True))
        return out

    def _number_cell(self, day: date, cell: int) -> Text:
        count = len(self._marks.get(day, [])) if day.month == self.day.month else 0
        extra = t("cal.count", n=count) if count else ""
        if day in self._holidays and day.month == self.day.month:
            extra = (extra + " " + t("cal.holiday_mark")).strip()
        label = f"{day.day:>2} {extra}" if extra else f"{day.day:>2}"
        return Text(pad(label, cell), style=self._day_style(day))

    def _day_style(self, day: date, *, title_line: bool = False) -> object:
        style = self.get_component_rich_style
        if day == self.day:
            return style("calendar--selected")
        if day.month != self.day.month:
            return style("calendar--other-month")
        base = (
            style("calendar--busy")
            if self._marks.get(day)
            else style("calendar--holiday")
            if day in self._holidays
            else None
        )
        if day == self._today and not title_line:
            today = style("calendar--today")
            return (base + today) if base is not None else today
        return base or ""
