"""Placeholder: replaced by the real audit screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from zhijin_training.tui.base import SectionScreen


class AuditScreen(SectionScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("audit", markup=False)
        yield Footer()
