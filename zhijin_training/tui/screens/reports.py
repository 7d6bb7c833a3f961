"""Placeholder: replaced by the real reports screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class ReportsScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reports", markup=False)
        yield Footer()
