"""What every section screen shares: the service context, the header with section tabs, the footer,
database work in workers, and the periodic refresh that shows other users' changes.

Contract for section screens (all six modes):
- subclass `SectionScreen`; compose with `yield from self.compose_top()` first and
  `yield from self.compose_bottom()` last (section tabs + Header, StatusBar + Footer);
- declare `BINDINGS` with descriptions: the footer shows those with `show=True`, the help screen (F1) lists all,
  and the command palette (ctrl+p) offers them (see `zhijin_training.tui.commands`);
- optionally define `palette_commands()` for extra palette entries;
- run database work with `self.run_service(call, done, ...)` (see `ZhijinApp.run_service`);
- implement `refresh_data()` to reload what the screen shows; `poll_changes()` (called by the app every
  few seconds) calls it when the audit log shows that someone changed something.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static

from zhijin_training.i18n import t
from zhijin_training.services.context import Context
from zhijin_training.tui.widgets.footer import FitFooter
from zhijin_training.tui.widgets.statusbar import StatusBar

if TYPE_CHECKING:
    from zhijin_training.tui.app import ZhijinApp

T = TypeVar("T")


class SectionTabs(Static):
    """`1 首页  2 日程  3 人员 ...` with the current section highlighted."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"section-tabs--current"}
    # theme colours, not "reverse": reversing the terminal's default colours gave light text on white in
    # 16-colour terminals
    DEFAULT_CSS = """
    SectionTabs { height: 1; background: $panel; padding: 0 1; }
    SectionTabs > .section-tabs--current { background: $accent; color: $text; text-style: bold; }
    """

    def __init__(self, current: str) -> None:
        super().__init__("", markup=False)
        self.current = current

    def on_mount(self) -> None:
        from zhijin_training.tui.app import SECTION_KEYS

        current = self.get_component_rich_style("section-tabs--current")
        text = Text(no_wrap=True, overflow="crop")
        for name, key in SECTION_KEYS.items():
            label = f" {key} {t(f'section.{name}')} "
            text.append(label, style=current if name == self.current else "")
            text.append(" ")
        self.update(text)


class SectionScreen(Screen[None]):
    """A top-level section of the app (one per mode)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_change_token: int | None = None

    @property
    def ctx(self) -> Context:
        app: ZhijinApp = self.app  # type: ignore[assignment]
        return app.ctx

    @property
    def zapp(self) -> ZhijinApp:
        return self.app  # type: ignore[return-value]

    @property
    def section(self) -> str:
        from zhijin_training.tui.app import SECTIONS

        for name, target in SECTIONS.items():
            if target.endswith(":" + type(self).__name__):
                return name
        return ""

    # ------------------------------------------------------------ chrome
    def compose_top(self) -> ComposeResult:
        yield Header(icon="")
        yield SectionTabs(self.section)

    def compose_bottom(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield FitFooter()  # compact, and leaves out keys that do not fit (F1 and ctrl+p list them all)

    def on_screen_resume(self) -> None:
        # "title - section" in one string: Textual's Header joins title and sub-title with an em dash,
        # which CJK terminals may draw two cells wide
        self.title = f"{t('app.title')} - {t(f'section.{self.section}')}"
        self.sub_title = ""
        for bar in self.query(StatusBar):
            user = self.ctx.actor.user
            path = getattr(self.ctx.db, "path", None)
            source = Path(str(path)).name if path else ""  # the file name: the full path would not fit
            bar.set_info(t("status.info", user=user, role=self.ctx.actor.role, db=source))

    def set_status(self, message: str) -> None:
        for bar in self.query(StatusBar):
            bar.show(message)

    # ------------------------------------------------------------ services
    def run_service(
        self, call: Callable[[], T], done: Callable[[T], Any] | None = None, **kwargs: Any
    ) -> None:
        self.zapp.run_service(self, call, done, **kwargs)

    def refresh_data(self) -> None:
        """Reload what the screen shows (override)."""

    def poll_changes(self) -> None:
        """Cheap check for other users' changes: the newest audit entry id. Reload when it moved."""
        from zhijin_training.services import audit

        def latest() -> int:
            entries = audit.list_entries(self.ctx, limit=1)
            return entries[0].id if entries else 0

        def compare(token: int) -> None:
            self._polling = False
            if self._last_change_token is not None and token != self._last_change_token:
                self.refresh_data()
            self._last_change_token = token

        def failed(_exc: BaseException) -> None:
            self._polling = False

        # one poll at a time: cancelling a slow one for the next (a busy server) would never get an answer
        if getattr(self, "_polling", False):
            return
        self._polling = True
        self.run_service(latest, compare, on_error=failed, group="poll")
