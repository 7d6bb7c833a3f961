"""Placeholder: replaced by the real roster screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class RosterScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("roster", markup=False)
        yield Footer()
