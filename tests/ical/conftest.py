"""Helpers for the calendar tests: parse what we wrote, find sessions in the demo database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar, Event

from tests.conftest import make_ctx
from zhijin_training.services import roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.views import SessionView


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def by_uid(cal: Calendar) -> dict[str, Event]:
    return {str(e["UID"]): e for e in cal.events}


def first_of_kind(ctx: Context, kind: str, *, cancelled: bool = False) -> SessionView:
    return next(s for s in schedule.list_sessions(ctx, kind=kind) if s.is_cancelled == cancelled)


def busy_cadre(ctx: Context) -> int:
    """A township secretary: lectures, meetings and (for the first sixteen) the Shandong trip."""
    return roster.list_cadres(ctx, role="township_secretary")[0].id


@pytest.fixture
def empty_ctx(seeded_template: Path, tmp_path: Path) -> Iterator[Context]:
    """A second seeded database (no sessions) to import into."""
    import shutil

    path = tmp_path / "target.db"
    shutil.copyfile(seeded_template, path)
    context = make_ctx(path)
    yield context
    context.db.dispose()
