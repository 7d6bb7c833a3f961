"""Placeholder: replaced by the real schedule screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class ScheduleScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("schedule", markup=False)
        yield Footer()
