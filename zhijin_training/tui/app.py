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
import gc
import os
import signal
import threading
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding

from zhijin_training.i18n import t
from zhijin_training.services.context import Context
from zhijin_training.tui.commands import SectionCommands
from zhijin_training.tui.kit.keymap import Key, Keyed, keys, user_keymap
from zhijin_training.tui.typeahead import TypeAhead

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
HEAP_SETTLE_SECONDS = 10.0  # after Ready, the heap is settled even if the first screen never completed
HANGUP_GRACE_SECONDS = 3.0  # after SIGHUP/SIGTERM the process ends within this, stuck workers or not


def _loader(target: str):  # type: ignore[no-untyped-def]
    def load():  # type: ignore[no-untyped-def]
        import importlib

        from zhijin_training.tui.kit.compat import seed_css_counter

        module_name, _, class_name = target.partition(":")
        screen = getattr(importlib.import_module(module_name), class_name)()
        seed_css_counter(screen)  # no full restyle of the app on the first visit of a section
        return screen

    return load


APP_KEYS = keys(
    *(
        Key(f"common.section_{key}", key, f"switch_mode('{name}')", f"section.{name}", show=False)
        for name, key in SECTION_KEYS.items()
    ),
    Key("common.help", "f1,question_mark", "help", "key.help", key_display="F1"),
    Key("common.palette", "ctrl+p", "command_palette", "key.palette", show=False, priority=True),
    # no bare one-letter quit: q sits next to a (absent); ctrl+q asks when a form holds unsaved work
    Key("common.quit", "ctrl+q", "quit", "key.quit", priority=True),
)


class ZhijinApp(Keyed, TypeAhead):
    CSS_PATH: ClassVar = ["app.tcss", "kit/dialogs.tcss"]
    MODES: ClassVar = {name: _loader(target) for name, target in SECTIONS.items()}
    DEFAULT_MODE = "overview"
    COMMANDS: ClassVar = {SectionCommands}  # it also offers the system commands worth having, translated
    COMMAND_PALETTE_BINDING = "ctrl+p"
    KEYS: ClassVar = APP_KEYS  # bindings built in the language chosen at start (kit.keymap)

    def __init__(
        self,
        ctx: Context,
        *,
        cursor_blink: bool = True,
        refresh_seconds: float = 5.0,
        keymap: dict[str, Any] | None = None,
    ) -> None:
        from zhijin_training.tui.widgets import narrow

        narrow.install()  # before any widget renders: no ambiguous-width glyphs in scrollbars and check boxes
        super().__init__()
        self.ctx = ctx
        self.cursor_blink = cursor_blink
        self.refresh_seconds = refresh_seconds
        self._hangup_timer: threading.Timer | None = None
        self._attendance_request: int | None = None
        self.title = t("app.title")
        config = keymap if keymap is not None else (ctx.settings.extra if ctx.settings else {})
        self._user_keymap = user_keymap(config)

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
        if self._user_keymap.keymap:
            self.set_keymap(self._user_keymap.keymap)
        for problem in self._user_keymap.problems:
            self.notify(problem, severity="warning", timeout=8, markup=False)

    def on_ready(self) -> None:
        # the overview settles the heap when its figures are shown; a failed load must not leave the
        # collector off (launch.open_tui turns it off for the start-up)
        self.set_timer(HEAP_SETTLE_SECONDS, self.settle_heap)

    _heap_settled = False

    def settle_heap(self) -> None:
        """Once, when the first screen is complete: collect, then move every object alive — Textual, SQLAlchemy
        and the app's own modules, hundreds of thousands of objects that live as long as the process — into
        the collector's permanent generation (gc.freeze). Every later full collection then walks only what was
        made since, instead of pausing every thread, the interface's included, to walk them all again.
        The collector, off for the start-up (launch.open_tui), is on again from here."""
        if self._heap_settled:
            return
        self._heap_settled = True
        gc.collect()
        gc.freeze()
        gc.enable()

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
        # leaving: hand the frozen objects back to the collector (an app run inside a longer process — the
        # tests, the benchmarks — must not leave its cycles uncollectable)
        if self._heap_settled:
            gc.unfreeze()
        gc.enable()
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def get_key_display(self, binding: Binding) -> str:
        from zhijin_training.tui.widgets.narrow import key_display

        return key_display(super().get_key_display(binding), t)

    def _poll_current_screen(self) -> None:
        if not self.is_running:
            return
        try:
            screen = self.screen
        except Exception:  # exiting: no screen left to poll (ScreenStackError)
            return
        poll = getattr(screen, "poll_changes", None)
        if callable(poll) and screen.is_attached:
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

    # ------------------------------------------------------------ leaving
    async def action_quit(self) -> None:
        """ctrl+q: leave at once, unless a form holds work not saved (then ask first)."""
        from zhijin_training.tui.kit.compat import all_screens
        from zhijin_training.tui.kit.dialogs import Confirm, FormDialog

        unsaved = [s for s in all_screens(self) if isinstance(s, FormDialog) and s.is_changed()]
        if not unsaved or isinstance(self.screen, Confirm):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        forms = "、".join(f"「{s.dialog_title}」" for s in unsaved[:3])
        self.push_screen(
            Confirm(
                t("kit.quit.title"),
                t("kit.quit.text", forms=forms),
                yes=t("kit.quit.yes"),
                no=t("kit.quit.no"),
            ),
            answered,
        )


@functools.cache
def _palette_class() -> type:
    """Built on first use: textual.command is imported lazily to keep start-up fast."""
    from textual.command import CommandPalette, SearchIcon

    from zhijin_training.tui.kit.compat import show_palette_no_matches

    class Palette(CommandPalette):
        def on_mount(self) -> None:
            self.query_one(SearchIcon).icon = ">"

        def _start_no_matches_countdown(self, search_value: str) -> None:
            show_palette_no_matches(self, search_value, t("kit.palette.no_matches"))

    return Palette


def run(ctx: Context) -> None:
    ZhijinApp(ctx).run()
