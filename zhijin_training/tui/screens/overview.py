"""首页 Overview: today and the next 14 days, trips and secondments under way, sessions still waiting for
attendance, and this quarter's attendance rate with the cadres below the review threshold.

Enter (or `a`) on a session opens its attendance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from zhijin_training.i18n import t
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import local_date, quarter_of
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.lines import LineTable
from zhijin_training.tui.widgets.fmt import (
    count_text,
    day_text,
    kind_text,
    kind_width,
    state_text,
    state_width,
    time_text,
)
from zhijin_training.tui.widgets.text import fit


@dataclass(frozen=True)
class QuarterFigures:
    quarter: str
    rate: float | None
    threshold: float
    below: list[tuple[str, str, float | None]] = field(default_factory=list)  # name, unit, rate


@dataclass(frozen=True)
class SecondaryData:
    figures: QuarterFigures | None
    hours_behind: list[tuple[str, float]] | None = None


def load_sessions(ctx: object) -> tuple[list[SessionView], list[SessionView]]:
    """Runs in a worker: the first panels. On SQLite without importing SQLAlchemy (services.first_look), so
    the overview shows its sessions about as soon as the screen is up."""
    from zhijin_training.services.context import Context
    from zhijin_training.services.first_look import overview_sessions

    assert isinstance(ctx, Context)
    return overview_sessions(ctx)


def load_secondary(ctx: object) -> SecondaryData:
    """Runs in a worker after the first panels are shown: the quarter's rate and 学时 behind target."""
    from zhijin_training.services import hours
    from zhijin_training.services.context import Context

    assert isinstance(ctx, Context)
    behind = [
        (r.name, r.behind_by) for r in hours.behind_target(ctx, local_date(ctx.now()).year) if r.behind_by
    ]
    return SecondaryData(_quarter_figures(ctx), behind)


def _quarter_figures(ctx: object) -> QuarterFigures | None:
    from zhijin_training.services.context import Context

    assert isinstance(ctx, Context)
    quarter = quarter_of(local_date(ctx.now()))
    try:
        from zhijin_training.services import reports
    except ImportError:  # reports are built separately; the overview works without them
        return None
    # the review's own rule (services.reports._below): the overview and Reports always agree on who is below
    figures = reports.quarter_figures(ctx, quarter)
    below = [(c.name, c.unit_name, c.rate) for c in figures.below]
    return QuarterFigures(figures.quarter, figures.rate, figures.threshold, below)


def _rate(rate: float | None) -> str:
    from zhijin_training.services.rates import format_rate

    return format_rate(rate)


class OverviewScreen(SectionScreen):
    KEYS: ClassVar = keys(
        Key("overview.attendance", "a", "attendance", "key.attendance"),
        Key("overview.reload", "r,f5,ctrl+r", "reload", "key.reload"),
        Key("overview.next_panel", "tab", "app.focus_next", "key.next_panel", show=False),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Vertical(id="overview"):
            yield Static(t("overview.upcoming"), classes="panel-title", markup=False)
            yield LineTable(
                [
                    ("day", t("col.date"), 8),
                    ("time", t("col.time"), 11),
                    ("kind", t("col.kind"), kind_width()),
                    ("title", t("col.title"), 0),
                    ("people", t("col.people"), 6),
                    ("state", t("col.state"), state_width()),
                ],
                id="upcoming",
                click_selects=True,
            )
            yield Static(t("overview.awaiting"), classes="panel-title", markup=False)
            yield LineTable(
                [
                    ("day", t("col.date"), 8),
                    ("time", t("col.time"), 11),
                    ("title", t("col.title"), 0),
                    ("people", t("col.recorded"), 7),
                ],
                id="awaiting",
                click_selects=True,
            )
            yield Static("", id="quarter", markup=False)
        yield from self.compose_bottom()

    _loaded = False  # set once the first load has been shown
    first_data_shown = False  # the first panels have been painted (the start-up benchmark waits for it)

    def on_mount(self) -> None:
        from zhijin_training.services.first_look import take_ahead

        self.query_one("#upcoming", LineTable).focus()
        ahead = take_ahead(self.ctx)  # read before the interface was imported (launch.open_tui)
        if ahead is not None:
            # after the first refresh, not in it: set here, the rows held Ready back by ~40 ms (measured)
            self.call_after_refresh(self._show_sessions, ahead)
        else:
            self.refresh_data()

    def on_screen_resume(self) -> None:
        """Back on this section: show what changed elsewhere meanwhile (the app polls only the visible screen)."""
        if self._loaded:
            self.refresh_data()

    def refresh_data(self) -> None:
        ctx = self.ctx
        # the sessions first; the slower figures are asked for once they are on screen
        self.run_service(lambda: load_sessions(ctx), self._show_sessions, tag="load")

    def _show_sessions(self, sessions: tuple[list[SessionView], list[SessionView]]) -> None:
        upcoming, awaiting = sessions
        self._show_lists(upcoming, awaiting)
        if not self._loaded:
            self.query_one("#quarter", Static).update(Text(t("overview.loading_figures"), style="dim"))
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        """The sessions are on screen: now the figures. Asked for only after the paint, because their worker
        imports SQLAlchemy and would hold the interpreter while the lists are being drawn."""
        self.first_data_shown = True
        ctx = self.ctx
        self.run_service(lambda: load_secondary(ctx), self._show_secondary, tag="secondary")

    def _show_secondary(self, more: SecondaryData) -> None:
        first = not self._loaded
        self._loaded = True
        self.query_one("#quarter", Static).update(self._quarter_text(more.figures, more.hours_behind))
        if first:  # the first screen is complete: a quiet moment to settle the heap once (app.settle_heap)
            self.call_after_refresh(self.zapp.settle_heap)

    def _show_lists(self, upcoming: list[SessionView], awaiting: list[SessionView]) -> None:
        from zhijin_training.services.first_look import UPCOMING_LIMIT

        now = self.ctx.now()
        more = len(upcoming) > UPCOMING_LIMIT  # one row beyond the limit was read to know
        upcoming = upcoming[:UPCOMING_LIMIT]
        self.query_one("#upcoming", LineTable).set_rows(
            (
                s.id,
                (
                    day_text(s.first_day),
                    time_text(s),
                    kind_text(s),
                    s.title,
                    count_text(s),
                    state_text(s, now),
                ),
                "strike" if s.is_cancelled else "",
            )
            for s in upcoming
        )
        self.query_one("#awaiting", LineTable).set_rows(
            (
                s.id,
                (day_text(s.first_day), time_text(s), s.title, f"{s.recorded_count}/{s.participant_count}"),
            )
            for s in awaiting
        )
        self.set_status(
            t("overview.loaded_more" if more else "overview.loaded", n=len(upcoming), m=len(awaiting))
        )

    def _quarter_text(
        self, fig: QuarterFigures | None, behind: list[tuple[str, float]] | None = None
    ) -> Text:
        if fig is None:
            return Text(t("overview.no_reports"))
        text = Text(no_wrap=True, overflow="crop")
        if behind is not None:  # 学时 behind the pro-rata target, furthest first
            year = local_date(self.ctx.now()).year
            text.append(t("overview.hours_behind", year=year, n=len(behind)), style="bold")
            names = "、".join(f"{name}(-{by:g})" for name, by in behind)
            text.append(" " + fit(names, max(10, self.size.width - 30)) + "\n")
        text.append(t("overview.rate", quarter=fig.quarter), style="bold")
        text.append(" " + _rate(fig.rate) + "   ")
        text.append(t("overview.below", threshold=_rate(fig.threshold), n=len(fig.below)), style="bold")
        if fig.below:
            names = "、".join(f"{name}({_rate(rate)})" for name, _unit, rate in fig.below)
            text.append("\n" + fit(names, max(20, self.size.width - 2)))
        return text

    # ------------------------------------------------------------ actions
    def _selected_session(self) -> int | None:
        focused = self.focused
        table = focused if isinstance(focused, LineTable) else self.query_one("#upcoming", LineTable)
        key = table.selected_key
        return int(key) if key is not None else None  # type: ignore[call-overload]

    def action_attendance(self) -> None:
        session_id = self._selected_session()
        if session_id is None:
            self.notify(t("overview.nothing_selected"), severity="warning")
            return
        self.zapp.open_attendance(session_id)

    def on_line_table_row_selected(self, event: LineTable.RowSelected) -> None:
        event.stop()
        self.zapp.open_attendance(int(event.key))

    def action_reload(self) -> None:
        self.refresh_data()
