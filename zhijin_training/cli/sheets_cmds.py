"""`report …`, `signin`, `roster import|export`: ledgers and spreadsheets (see zhijin_training.sheets)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Spreadsheet and report commands are added here."""
