"""`export ics`, `publish`, `import ics`: calendars (see zhijin_training.ical)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Calendar commands are added here."""
