"""Placeholder: replaced by the real attendance screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class AttendanceScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("attendance", markup=False)
        yield Footer()
