"""The overview's first panels read with stdlib sqlite3 (services.first_look) are exactly what the ORM
services give: same sessions, same order, same fields, counts and itineraries."""

from __future__ import annotations

import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_ctx
from zhijin_training.services import attendance, first_look, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Context


def _orm(ctx: Context) -> tuple[list[Any], list[Any]]:
    return (
        schedule.upcoming(ctx, days=first_look.UPCOMING_DAYS, limit=first_look.UPCOMING_LIMIT + 1),
        schedule.awaiting_attendance(ctx, limit=first_look.AWAITING_LIMIT),
    )


def test_assumed_window_is_the_services_own() -> None:
    assert first_look.AWAITING_WINDOW == schedule.AWAITING_WINDOW


@pytest.mark.parametrize("days_later", [0, 3, 40, 200])
def test_same_views_as_the_services(demo_path: Path, days_later: int) -> None:
    base = make_ctx(demo_path)
    ctx = make_ctx(demo_path, now=base.now() + timedelta(days=days_later))
    try:
        # a session partly recorded: counts must agree too
        waiting = schedule.awaiting_attendance(ctx, limit=1)
        if waiting:
            sheet = attendance.session_attendance(ctx, waiting[0].id)
            attendance.mark(ctx, waiting[0].id, sheet.participants[0].cadre_id, Mark("present"))
        upcoming, awaiting = _orm(ctx)
        assert upcoming or awaiting  # the comparison below compares something
        fast = first_look._read(str(demo_path), ctx.now())
        assert fast == (upcoming, awaiting)
        assert first_look.overview_sessions(ctx) == (upcoming, awaiting)
    finally:
        ctx.db.dispose()
        base.db.dispose()


def test_trips_carry_their_itinerary(demo_path: Path) -> None:
    ctx = make_ctx(demo_path)
    try:
        trips = [s for s in schedule.list_sessions(ctx, kind="study_trip") if s.itinerary]
        assert trips, "the demo has study trips with an itinerary"
        later = make_ctx(demo_path, now=trips[0].starts_at)
        fast, _ = first_look._read(str(demo_path), later.now())
        shown = next(s for s in fast if s.id == trips[0].id)
        assert shown.itinerary == trips[0].itinerary
        later.db.dispose()
    finally:
        ctx.db.dispose()


def test_a_broken_file_falls_back_to_the_services(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(demo_path)

    def broken(path: str, now: Any) -> Any:
        import sqlite3

        raise sqlite3.OperationalError("no such column: note_public")

    monkeypatch.setattr(first_look, "_read", broken)
    try:
        assert first_look.overview_sessions(ctx) == _orm(ctx)
    finally:
        ctx.db.dispose()


def _run_probe(probe: str, *args: str) -> list[str]:
    """`probe` in a fresh interpreter (what it imports is the point); the words it printed."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60, cwd=root
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_reading_the_first_panels_imports_no_sqlalchemy(demo_path: Path) -> None:
    probe = (
        "import sys\n"
        "from zhijin_training.services.context import open_context\n"
        "from zhijin_training.services.first_look import overview_sessions\n"
        "from zhijin_training.settings import Settings\n"
        f"settings = Settings(db_url='sqlite:///{demo_path}', db_source='test', user='t', role='admin')\n"
        "ctx = open_context(settings)\n"
        "up, waiting = overview_sessions(ctx)\n"
        "print(len(up) + len(waiting) > 0, 'sqlalchemy' in sys.modules)\n"
    )
    assert _run_probe(probe) == ["True", "False"]


def test_a_read_ahead_is_taken_once_by_its_own_context(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, other = make_ctx(demo_path), make_ctx(demo_path)
    try:
        first_look.read_ahead(ctx)
        assert first_look.take_ahead(other) is None  # another context reads for itself
        assert first_look.take_ahead(ctx) == _orm(ctx)
        assert first_look.take_ahead(ctx) is None  # once

        first_look.read_ahead(ctx)  # too old by the time it is taken: read again
        monkeypatch.setattr(first_look, "AHEAD_FRESH_SECONDS", -1.0)
        assert first_look.take_ahead(ctx) is None
        monkeypatch.undo()

        def broken(path: str, now: Any) -> Any:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(first_look, "_read", broken)
        first_look.read_ahead(ctx)  # a failed read ahead is not an answer
        assert first_look.take_ahead(ctx) is None
    finally:
        ctx.db.dispose()
        other.db.dispose()


def test_the_panels_are_read_before_the_interface_is_imported(demo_path: Path) -> None:
    """launch.open_tui: the panels first (no Textual yet), with the collector off from there on."""
    probe = (
        "import sys\n"
        "import zhijin_training.launch as launch\n"
        "import zhijin_training.services.first_look as fl\n"
        "real = fl.read_ahead\n"
        "def read_ahead(ctx):\n"
        "    print('textual' in sys.modules, 'zhijin_training.tui.app' in sys.modules)\n"
        "    real(ctx)\n"
        "    print(fl.take_ahead(ctx) is not None)\n"
        "fl.read_ahead = read_ahead\n"
        "launch.run_tui = lambda ctx: print(__import__('gc').isenabled())\n"
        "sys.argv = ['zhijin-training', '--db', sys.argv[1]]\n"
        "from zhijin_training.__main__ import main\n"
        "main()\n"
    )
    # read before Textual and the interface are imported; the collector off for the start-up
    assert _run_probe(probe, str(demo_path)) == ["False", "False", "True", "False"]
