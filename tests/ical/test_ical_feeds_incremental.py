"""Incremental publish: a change rewrites exactly the feeds that list what changed, a change no feed shows
rewrites none and plans nothing, and the quick path never hides a change it should have seen."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_ctx
from zhijin_training.ical import cache, feeds
from zhijin_training.services import attendance, roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.schedule import SessionChanges


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(directory.glob("*.ics"))}


def _files_by_owner(directory: Path) -> dict[tuple[str, int | None], str]:
    index = json.loads((directory / "index.json").read_text("utf-8"))["feeds"]
    return {(e["kind"], e["id"]): e["file"] for e in index}


def _participants(ctx: Context, session_id: int) -> list[tuple[int, int | None]]:
    with ctx.db.read() as s:
        rows = s.connection().execute(
            sa.text("SELECT cadre_id, unit_id FROM participant WHERE session_id = :sid"), {"sid": session_id}
        )
        return [(cadre_id, unit_id) for cadre_id, unit_id in rows]


class _PlanCounter:
    """Counts full plannings (cache.plan), so a test can tell the quick path from the full one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = cache.plan

        def counting(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(cache, "plan", counting)


def _listing(ctx: Context, directory: Path, session_id: int, programme_id: int) -> set[str]:
    """The feeds that list a session, from the database (not from the files): everything, its programme, the
    units its participants came from and the participants themselves (those with a feed: active ones)."""
    owners = _files_by_owner(directory)
    people = _participants(ctx, session_id)
    out = {owners[("all", None)], owners[("programme", programme_id)]}
    out |= {owners[("unit", u)] for _, u in people if ("unit", u) in owners}
    out |= {owners[("cadre", c)] for c, _ in people if ("cadre", c) in owners}
    return out


def test_one_visible_edit_rewrites_exactly_the_feeds_of_its_programme_units_and_participants(
    demo_ctx: Context, tmp_path: Path
) -> None:
    now = demo_ctx.now()
    upcoming = next(
        v
        for v in schedule.list_sessions(demo_ctx, kind="lecture")
        if v.starts_at > now and len({u for _, u in _participants(demo_ctx, v.id)}) > 1
    )
    feeds.publish(demo_ctx, tmp_path)
    stamps = _mtimes(tmp_path)
    expected = _listing(demo_ctx, tmp_path, upcoming.id, upcoming.programme_id)
    assert len(expected) > 4 and len(expected) < len(stamps)

    schedule.update_session(
        demo_ctx,
        upcoming.id,
        SessionChanges(speaker="新主讲人"),
        expected_version=upcoming.version,
        force=True,
    )
    report = feeds.publish(demo_ctx, tmp_path)
    after = _mtimes(tmp_path)
    assert {name for name in after if after[name] != stamps[name]} == expected
    assert report.files_written == len(expected)
    for name in expected:
        assert "新主讲人" in (tmp_path / name).read_text("utf-8")


def test_one_mark_rewrites_the_feeds_of_its_session_and_later_marks_none(
    demo_ctx: Context, demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = demo_ctx.now()
    lecture = next(
        v
        for v in schedule.list_sessions(demo_ctx, kind="lecture")
        if v.status == "scheduled"
        and v.starts_at <= now
        and v.ends_at > now - timedelta(days=300)
        and len({u for _, u in _participants(demo_ctx, v.id)}) > 1
    )
    people = attendance.session_attendance(demo_ctx, lecture.id).participants
    feeds.publish(demo_ctx, tmp_path)
    stamps = _mtimes(tmp_path)
    expected = _listing(demo_ctx, tmp_path, lecture.id, lecture.programme_id)
    assert len(expected) > 4 and len(expected) < len(stamps)
    plans = _PlanCounter(monkeypatch)

    # the first mark, an hour on, makes the session held: its DTSTAMP (last change) moves in every feed
    # that lists it, and in no other
    hour_later = make_ctx(demo_path, now=now + timedelta(hours=1))
    attendance.mark(hour_later, lecture.id, people[0].cadre_id, attendance.Mark("present"))
    hour_later.db.dispose()
    report = feeds.publish(demo_ctx, tmp_path)
    after = _mtimes(tmp_path)
    assert {name for name in after if after[name] != stamps[name]} == expected
    assert report.files_written == len(expected) and plans.calls == 1

    # the marks after it change nothing any feed shows: nothing is planned, read or written
    first = report
    stamps, manifest = after, (tmp_path / feeds.MANIFEST).read_bytes()
    calls: list[tuple[int, int]] = []
    attendance.mark(demo_ctx, lecture.id, people[1].cadre_id, attendance.Mark("late"))
    attendance.mark(
        demo_ctx,
        lecture.id,
        people[2].cadre_id,
        attendance.Mark("on_leave", leave_reason="公务", approved_by="县委"),
    )
    report = feeds.publish(demo_ctx, tmp_path, progress=lambda i, n: calls.append((i, n)))
    assert plans.calls == 1  # the quick path: the stamp and every file's size and mtime held
    assert report.files_written == 0 and report.removed == ()
    assert report.feeds == first.feeds and report.sessions == first.sessions
    assert report.bytes_total == first.bytes_total
    assert calls[-1] == (len(first.feeds) + 1, len(first.feeds) + 1)
    assert _mtimes(tmp_path) == stamps and (tmp_path / feeds.MANIFEST).read_bytes() == manifest

    # a phone number is in no feed either: the roster stamp (0015) does not move, the quick path holds
    cadre = roster.list_cadres(demo_ctx)[0]
    roster.update_cadre(demo_ctx, cadre.id, phone="13900000000")
    assert feeds.publish(demo_ctx, tmp_path).files_written == 0
    assert plans.calls == 1 and _mtimes(tmp_path) == stamps

    # a name is: this one plans in full and rewrites the feeds that show it
    fresh = roster.get_cadre(demo_ctx, cadre.id)
    roster.update_cadre(demo_ctx, cadre.id, name="改名测试", expected_version=fresh.version)
    assert feeds.publish(demo_ctx, tmp_path).files_written > 0
    assert plans.calls == 2


def test_the_quick_path_sees_every_input_of_the_feeds(
    demo_ctx: Context, demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds.publish(demo_ctx, tmp_path)
    plans = _PlanCounter(monkeypatch)
    owners = _files_by_owner(tmp_path)

    # a cadre who leaves: their feed goes (it was recorded), the others stay
    cadre = roster.list_cadres(demo_ctx)[-1]
    gone = owners[("cadre", cadre.id)]
    roster.set_cadre_active(demo_ctx, cadre.id, False)
    report = feeds.publish(demo_ctx, tmp_path)
    assert plans.calls == 1 and report.removed == (gone,) and not (tmp_path / gone).exists()

    # a session changed behind the services' back but with its version raised, as every write path does
    with demo_ctx.db.engine.begin() as conn:
        sid = conn.execute(sa.text("SELECT min(id) FROM training_session")).scalar_one()
        conn.execute(
            sa.text("UPDATE training_session SET topic = '换了的主题', version = version + 1 WHERE id = :i"),
            {"i": sid},
        )
    assert feeds.publish(demo_ctx, tmp_path).files_written >= 2  # everything and its programme at least
    assert plans.calls == 2
    assert "换了的主题" in (tmp_path / owners[("all", None)]).read_text("utf-8")

    # another day moves the personal feeds' window; another address changes every SOURCE
    later = make_ctx(demo_path, now=demo_ctx.now() + timedelta(days=1))
    feeds.publish(later, tmp_path)
    assert plans.calls == 3
    report = feeds.publish(later, tmp_path, base_url="https://feeds.example/zt")
    assert plans.calls == 4 and report.files_written == len(report.feeds)
    later.db.dispose()

    # a deleted index page or a feed touched by hand is put right by a full plan
    (tmp_path / feeds.INDEX_HTML).unlink()
    demo = feeds.publish(demo_ctx, tmp_path)
    assert plans.calls == 5 and (tmp_path / feeds.INDEX_HTML).exists()
    assert demo.files_written == len(demo.feeds)  # back to no SOURCE and yesterday's window
    target = tmp_path / owners[("all", None)]
    good = target.read_bytes()
    target.write_bytes(good.replace(b"SUMMARY:", b"SUMMARX:", 1))
    assert feeds.publish(demo_ctx, tmp_path).files_written == 1
    assert plans.calls == 6 and target.read_bytes() == good

    # and with nothing changed since, the quick path gives what a publish from scratch gives
    assert feeds.publish(demo_ctx, tmp_path).files_written == 0
    assert plans.calls == 6
    fresh = tmp_path / "fresh"
    feeds.publish(demo_ctx, fresh)
    assert {p.name: p.read_bytes() for p in fresh.glob("*.ics")} == {
        p.name: p.read_bytes() for p in tmp_path.glob("*.ics")
    }


def test_the_quick_path_on_each_engine(
    engine_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp's aggregates are plain SQL that SQLite and PostgreSQL both answer, the same way every time."""
    from tests.reports.conftest import build_world

    world = build_world(engine_ctx)
    secret, directory = tmp_path / "secret", tmp_path / "feeds"
    first = feeds.publish(engine_ctx, directory, secret_file=secret)
    plans = _PlanCounter(monkeypatch)
    again = feeds.publish(engine_ctx, directory, secret_file=secret)
    assert plans.calls == 0 and again.files_written == 0 and again.feeds == first.feeds
    assert again.sessions == first.sessions == len(world.sessions)

    view = schedule.get_session(engine_ctx, world.sessions["S1"])
    schedule.update_session(
        engine_ctx, view.id, SessionChanges(speaker="新主讲人"), expected_version=view.version, force=True
    )
    report = feeds.publish(engine_ctx, directory, secret_file=secret)
    assert plans.calls == 1 and report.files_written >= 2
    unit = roster.list_units(engine_ctx, active_only=True)[-1]
    roster.set_unit_active(engine_ctx, unit.id, False)
    report = feeds.publish(engine_ctx, directory, secret_file=secret)
    assert plans.calls == 2 and len(report.removed) == 1
    assert feeds.publish(engine_ctx, directory, secret_file=secret).files_written == 0 and plans.calls == 2
