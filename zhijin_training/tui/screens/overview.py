"""Placeholder: replaced by the real overview screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class OverviewScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("overview", markup=False)
        yield Footer()
