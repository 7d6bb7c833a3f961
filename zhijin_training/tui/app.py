"""The terminal interface (placeholder until the TUI lands)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.services.context import Context


class ZhijinApp(App[None]):
    TITLE = "织金干部培训管理"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("织金干部培训管理", markup=False)
        yield Footer()


def run(ctx: Context) -> None:
    ZhijinApp(ctx).run()
