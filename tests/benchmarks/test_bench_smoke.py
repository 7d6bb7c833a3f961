"""The benchmark harness at a tiny size, so it cannot rot. Timings are never asserted here: only that the
data is generated the way the measurements expect and that every row of the table is produced."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not part of the installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import generate, run  # noqa: E402

TINY = generate.Size("tiny", 0.05, years=3)

EXPECTED_ROWS = [
    "start-up: minimal Textual app → Ready",
    "start-up: zhijin-training → Ready",
    "start-up: → overview data shown",
    "start-up: → overview complete",
    "writer running: minimal app → Ready",
    "writer running: start-up → overview data shown",
    *(f"writer running: first open of {name}" for name in ("schedule", "roster", "attendance", "reports")),
    "writer running: first open of audit",
    "writer running: first open of 学时",
    "attendance: bare DataTable, the same",
    "attendance: open",
    "attendance: key p → repaint",
    "attendance: key p → saved and redrawn",
    "report: quarterly review 2026Q3 — hand SQL",
    "report: quarterly review 2026Q3 ",
    "report: per cadre, ten years — hand SQL",
    "report: per cadre, ten years ",
    "calendar: one cadre — bare icalendar",
    "calendar: one cadre (",
    "calendar: every session — bare icalendar",
    "calendar: every session (",
    "publish: every feed (",
    "publish: after one attendance mark",
    "roster: 300-row XLSX preview",
    "roster: 300-row XLSX apply",
    "peak memory: app + 300-person attendance",
]


@pytest.fixture
def tiny_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(generate, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(generate, "size_for", lambda scale: TINY)
    return tmp_path / "data"


def test_generator_builds_a_database_the_services_can_read(tiny_cache: Path) -> None:
    g = generate.ensure(TINY, quiet=True)
    assert g.path.parent == tiny_cache
    con = sqlite3.connect(g.path)
    big = con.execute("SELECT count(*) FROM participant WHERE session_id = ?", (g.big_session_id,)).fetchone()
    moves = con.execute("SELECT count(*) FROM post WHERE end_date IS NOT NULL").fetchone()
    taken = con.execute("SELECT count(*) FROM participant WHERE status IS NOT NULL").fetchone()
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    con.close()
    assert big[0] == min(generate.BIG_SESSION_SIZE, 20)  # a 0.05× county has 20 posts
    assert moves[0] > 0 and taken[0] > 0
    assert {"ix_participant_cadre", "ix_session_starts", "ix_audit_at"} <= indexes  # rebuilt after the load

    from benchmarks.measure import make_ctx
    from zhijin_training.services import attendance

    ctx = make_ctx(g.path)
    sheet = attendance.session_attendance(ctx, g.big_session_id)
    ctx.db.dispose()
    assert len(sheet.participants) == big[0]
    assert all(p.status is None for p in sheet.participants)


def test_harness_prints_every_row(tiny_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--sizes", "0.05", "--runs", "1", "--roster-rows", "300"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("== tiny") :]
    missing = [row for row in EXPECTED_ROWS if row not in table]
    assert not missing, f"rows missing from the table: {missing}\n{out}"
    assert "FAILED" not in table, out
    assert "target(s) missed" in out


def test_generated_tallies_match_the_rows_and_triggers_are_back(tiny_cache: Path) -> None:
    """The load goes around the tally triggers (migrations 0009, 0012): the tallies are rebuilt, the triggers
    restored."""
    from zhijin_training.db.engine import Database
    from zhijin_training.services import hours_tally, tallies, tally_all

    g = generate.ensure(TINY, quiet=True)
    con = sqlite3.connect(g.path)
    triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tallied = con.execute("SELECT count(*) FROM tally_year").fetchone()[0]
    hours_tallied = con.execute("SELECT count(*) FROM hours_tally_year WHERE hours > 0").fetchone()[0]
    con.close()
    assert {"participant_tally_insert", "participant_tally_update", "session_tally_update"} <= triggers
    assert set(hours_tally.trigger_bodies("sqlite")) <= triggers
    assert set(tally_all.cadre_trigger_bodies()) <= triggers  # the per-cadre tally (0017)
    assert tallied > 0 and hours_tallied > 0
    db = Database(f"sqlite:///{g.path}")
    try:
        with db.read() as s:
            assert tallies.differences(s) == []
            assert hours_tally.differences(s) == []
    finally:
        db.dispose()
