"""What every section screen shares: the service context, the header with section tabs, the footer,
database work in workers, and the periodic refresh that shows other users' changes.

Contract for section screens (all six modes):
- subclass `SectionScreen`; compose with `yield from self.compose_top()` first and
  `yield from self.compose_bottom()` last (section tabs + Header, StatusBar + Footer);
- declare `BINDINGS` with descriptions: the footer shows those with `show=True`, the help screen (F1) lists all,
  and the command palette (ctrl+p) offers them (see `zhijin_training.tui.commands`);
- optionally define `palette_commands()` for extra palette entries;
- declare keys as `KEYS = keys(Key(id, keys, action, catalogue key, edits=...))` (kit.keymap): stable ids for
  the user keymap, words in the start-up language; keys with `edits=True` are not offered to a viewer;
- `allows(action, parameters)` hides keys that make no sense right now (e.g. marks on a future session);
  call `self.refresh_bindings()` when what it says changes;
- run database work with `self.run_service(call, done, ...)` or `self.call_service(tag, fn, *args)`
  (kit.calls: the one way, stale results dropped, errors worded by errors.describe);
- implement `refresh_data()` to reload what the screen shows; `poll_changes()` (called by the app every
  few seconds) calls it when the audit log shows that someone changed something.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static

from zhijin_training.i18n import has_key, t
from zhijin_training.services.context import Context
from zhijin_training.tui.kit.calls import Calls
from zhijin_training.tui.kit.keymap import Keyed, forbidden_actions
from zhijin_training.tui.widgets.footer import FitFooter
from zhijin_training.tui.widgets.statusbar import StatusBar

if TYPE_CHECKING:
    from zhijin_training.tui.app import ZhijinApp


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
        room = (self.app.size.width or 80) - 2  # the padding
        for gap in (" ", ""):  # the English names need the gaps at 80 columns, or "7 Hours" is cut off
            text = Text(no_wrap=True, overflow="crop")
            for name, key in SECTION_KEYS.items():
                label = f" {key} {t(f'section.{name}')} "
                text.append(label, style=current if name == self.current else "")
                text.append(gap)
            if text.cell_len <= room + len(gap):
                break
        self.update(text)


class SectionScreen(Keyed, Calls, Screen[None]):
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

    def compose_bottom(self, *, footer_waits: bool = False) -> ComposeResult:
        """`footer_waits`: the keys offered depend on data the screen is still loading; the footer shows
        them once `show_footer_keys()` is called (composed once, not once before and again after)."""
        yield StatusBar(id="status")
        # compact, and leaves out keys that do not fit (F1 and ctrl+p list them all)
        yield FitFooter(waits=footer_waits)

    def show_footer_keys(self) -> None:
        for footer in self.query(FitFooter):
            footer.show_keys()

    def on_screen_resume(self) -> None:
        # "title - section" in one string: Textual's Header joins title and sub-title with an em dash,
        # which CJK terminals may draw two cells wide
        self.title = f"{t('app.title')} - {t(f'section.{self.section}')}"
        self.sub_title = ""
        for bar in self.query(StatusBar):
            user = self.ctx.actor.user
            path = getattr(self.ctx.db, "path", None)
            source = Path(str(path)).name if path else ""  # the file name: the full path would not fit
            role = self.ctx.actor.role
            shown = t(f"kit.role.{role}") if has_key(f"kit.role.{role}") else role
            bar.set_info(t("status.info", user=user, role=shown, db=source))

    def set_status(self, message: str) -> None:
        for bar in self.query(StatusBar):
            bar.show(message)

    # ------------------------------------------------------------ what may be done
    @property
    def read_only(self) -> bool:
        """A viewer sees every screen but is offered no key that changes data."""
        from zhijin_training.settings import AccessRole

        return self.ctx.actor.role == AccessRole.VIEWER

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in forbidden_actions(type(self), self.ctx.actor.role):
            return False  # not in the footer, the palette or F1; the key does nothing
        return self.allows(action, parameters)

    def allows(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Override: False hides a key that makes no sense now (True: offered)."""
        return True

    # ------------------------------------------------------------ services
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
        self.run_service(latest, compare, failed=failed, tag="poll")
