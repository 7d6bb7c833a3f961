"""The Textual application: one mode per section, switched with number keys or the command palette.

Screens never touch the ORM: they call services in thread workers (`app.run_service`) and get plain views
back. Service errors become notifications or dialogs, never tracebacks; a ScheduleWarning becomes a
"save anyway?" question that repeats the call with force=True.
Each screen reaches the service context through `self.app.ctx` (see `zhijin_training.tui.base`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.worker import get_current_worker

from zhijin_training.i18n import t
from zhijin_training.services.context import Context
from zhijin_training.tui.commands import SectionCommands
from zhijin_training.tui.typeahead import TypeAhead

T = TypeVar("T")

# mode name -> "module:Class", imported lazily so start-up stays fast
SECTIONS: dict[str, str] = {
    "overview": "zhijin_training.tui.screens.overview:OverviewScreen",
    "schedule": "zhijin_training.tui.screens.schedule:ScheduleScreen",
    "roster": "zhijin_training.tui.screens.roster:RosterScreen",
    "attendance": "zhijin_training.tui.screens.attendance:AttendanceScreen",
    "reports": "zhijin_training.tui.screens.reports:ReportsScreen",
    "audit": "zhijin_training.tui.screens.audit:AuditScreen",
    "hours": "zhijin_training.tui.screens.hours:HoursScreen",
}
SECTION_KEYS: dict[str, str] = {name: str(i) for i, name in enumerate(SECTIONS, start=1)}
HANGUP_GRACE_SECONDS = 3.0  # after SIGHUP/SIGTERM the process ends within this, stuck workers or not


def _loader(target: str):  # type: ignore[no-untyped-def]
    def load():  # type: ignore[no-untyped-def]
        import importlib

        from textual._context import active_app

        module_name, _, class_name = target.partition(":")
        screen = getattr(importlib.import_module(module_name), class_name)()
        # A new screen is styled from the current stylesheet as it mounts. Without this Textual sees a
        # stale CSS counter and re-parses every stylesheet and restyles every widget of the app, twice
        # (~70 ms on the first visit of each section).
        # Only once a screen is showing: the first screen needs the start-up refresh to get the theme.
        with contextlib.suppress(LookupError, AttributeError):
            app = active_app.get()
            showing = app._screen_stacks.get(app._current_mode)
            if showing and showing[-1].is_mounted:
                screen._css_update_count = app._css_update_count
        return screen

    return load


def app_bindings() -> list[BindingType]:
    """The global keys, described in the current language."""
    return [
        *(
            Binding(key, f"switch_mode('{name}')", t(f"section.{name}"), show=False)
            for name, key in SECTION_KEYS.items()
        ),
        Binding("f1,question_mark", "help", t("key.help"), key_display="F1"),
        Binding("ctrl+p", "command_palette", t("key.palette"), show=False, priority=True),
        Binding("ctrl+q", "quit", t("key.quit"), priority=True),  # the footer drops it first at 80 columns
        Binding("q", "quit", t("key.quit"), show=False),
    ]


class ZhijinApp(TypeAhead):
    CSS_PATH = "app.tcss"
    MODES: ClassVar = {name: _loader(target) for name, target in SECTIONS.items()}
    DEFAULT_MODE = "overview"
    COMMANDS: ClassVar = {SectionCommands}  # it also offers the system commands worth having, translated
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS: ClassVar[list[BindingType]] = []  # built in __init__: in the language chosen at start

    def __init__(self, ctx: Context, *, cursor_blink: bool = True, refresh_seconds: float = 5.0) -> None:
        from zhijin_training.tui.widgets import narrow

        narrow.install()  # before any widget renders: no ambiguous-width glyphs in scrollbars and check boxes
        if (bindings := app_bindings()) != ZhijinApp.BINDINGS:  # Textual merges bindings per class
            ZhijinApp.BINDINGS = bindings
            ZhijinApp._merged_bindings = ZhijinApp._merge_bindings()
        super().__init__()
        self.ctx = ctx
        self.cursor_blink = cursor_blink
        self.refresh_seconds = refresh_seconds
        self._hangup_timer: threading.Timer | None = None
        self._attendance_request: int | None = None
        self.title = t("app.title")

    # ------------------------------------------------------------ life cycle
    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        # an SSH link that drops sends SIGHUP: leave through the normal exit path so the terminal is restored
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(
                NotImplementedError, RuntimeError, ValueError
            ):  # not POSIX / main thread
                loop.add_signal_handler(sig, self._hang_up)
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self._poll_current_screen)

    def _hang_up(self) -> None:
        """Leave through the normal exit path, but never hang: a worker stuck in a database call could keep
        the process alive. Nothing saved is lost by a hard exit (transactions are atomic) and the terminal
        is gone anyway, so after a grace period the process ends regardless."""
        self.exit()
        if self._hangup_timer is None:
            timer = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(129,))
            timer.daemon = True
            timer.start()
            self._hangup_timer = timer

    def on_unmount(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def get_key_display(self, binding: Binding) -> str:
        from zhijin_training.tui.widgets.narrow import key_display

        return key_display(super().get_key_display(binding))

    def _poll_current_screen(self) -> None:
        poll = getattr(self.screen, "poll_changes", None)
        if callable(poll):
            poll()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # tests (and people who ask) get a steady cursor: snapshots must not depend on blink timing
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    # ------------------------------------------------------------ navigation
    def action_help(self) -> None:
        from zhijin_training.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        """Textual's palette with our placeholder and an ASCII prompt (its emoji and '…' misalign in CJK terminals)."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(_palette_class()(placeholder=t("palette.placeholder"), id="--command-palette"))

    def open_attendance(self, session_id: int) -> None:
        """Switch to the attendance section and show `session_id` there (used by overview and schedule)."""
        self._attendance_request = session_id  # a screen mounted by the switch takes it in on_mount
        self.switch_mode("attendance")

        def load() -> None:
            if self.take_attendance_request() is None:
                return  # the new screen has it already
            loader = getattr(self.screen, "load_session", None)
            if callable(loader):
                loader(session_id)
            else:
                self.notify(t("err.no_attendance_screen"), severity="warning")

        self.call_after_refresh(load)

    def take_attendance_request(self) -> int | None:
        """The session open_attendance asked for and nobody has shown yet (then cleared)."""
        session_id, self._attendance_request = self._attendance_request, None
        return session_id

    # ------------------------------------------------------------ services
    def run_service(
        self,
        owner: DOMNode,
        call: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        *,
        forced: Callable[[], T] | None = None,
        on_conflict: Callable[[], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
        group: str = "db",
        exclusive: bool = False,
    ) -> None:
        """Run a service call in a thread worker owned by `owner`; hand the result to `done` on the UI thread.

        - ScheduleWarning: when `forced` is given (the same call with force=True) ask "save anyway?" and run it;
        - ConflictError: say who changed the record, then `on_conflict` (typically: reload);
        - any other error: one clear notification (never a traceback), then `on_error` if given.
        A result from a worker that was superseded (exclusive group) is dropped.
        """

        def work() -> None:
            # imported here, in the thread: services pull SQLAlchemy, which the first screen must not wait for
            from zhijin_training.services.schedule import ScheduleWarning

            worker = get_current_worker()
            try:
                result = call()
            except ScheduleWarning as warning:
                if forced is not None:
                    self._from_thread(self._ask_force, owner, warning, forced, done)
                else:
                    self._from_thread(self.report_error, warning, on_conflict, on_error)
                return
            except Exception as exc:  # every failure becomes a message in the interface
                self._from_thread(self.report_error, exc, on_conflict, on_error)
                return
            if done is not None and not worker.is_cancelled:
                self._from_thread(done, result)

        owner.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def _from_thread(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody left to tell
            self.call_from_thread(fn, *args)

    def _ask_force(
        self, owner: DOMNode, warning: Any, forced: Callable[[], T], done: Callable[[T], Any] | None
    ) -> None:
        from zhijin_training.tui.screens.confirm import ConfirmScreen, warning_text

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service(owner, forced, done)

        self.push_screen(
            ConfirmScreen(t("warn.title"), warning_text(warning), yes=t("warn.save_anyway")), answered
        )

    def report_error(
        self,
        exc: BaseException,
        on_conflict: Callable[[], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
    ) -> None:
        """Show a service error as a notification: what went wrong, in one line."""
        from sqlalchemy.exc import OperationalError

        from zhijin_training.services.errors import ConflictError, DomainError
        from zhijin_training.timeutil import DateParseError

        if isinstance(exc, ConflictError):
            self.notify(str(exc), title=t("err.conflict"), severity="error", timeout=8, markup=False)
            if on_conflict is not None:
                on_conflict()
            return
        if isinstance(exc, DomainError | DateParseError | ValueError):
            self.notify(str(exc), title=t("err.invalid"), severity="error", timeout=8, markup=False)
        elif isinstance(exc, OperationalError) and "locked" in str(exc).lower():
            self.notify(t("err.locked"), title=t("err.busy"), severity="error", timeout=8, markup=False)
        else:
            self.log.error(repr(exc))
            self.notify(
                f"{type(exc).__name__}: {exc}", title=t("err.unexpected"), severity="error", markup=False
            )
        if on_error is not None:
            on_error(exc)


@functools.cache
def _palette_class() -> type:
    """Built on first use: textual.command is imported lazily to keep start-up fast."""
    from textual.command import CommandPalette, SearchIcon

    class Palette(CommandPalette):
        def on_mount(self) -> None:
            self.query_one(SearchIcon).icon = ">"

    return Palette


def run(ctx: Context) -> None:
    ZhijinApp(ctx).run()
