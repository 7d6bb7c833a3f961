"""One line at the bottom of each section: who is working, on which database, when data was last read."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from zhijin_training.textsafe import printable


class StatusBar(Static):
    """Call `show(message)` for a transient note; `set_info(user, db, refreshed)` for the permanent part."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._info = ""
        self._message = ""

    def set_info(self, info: str) -> None:
        self._info = printable(info)
        self._redraw()

    def show(self, message: str) -> None:
        self._message = printable(message)
        self._redraw()

    def _redraw(self) -> None:
        text = Text(no_wrap=True, overflow="crop")
        text.append(self._info)
        if self._message:
            text.append("  " + self._message, style="bold")
        self.update(text)
