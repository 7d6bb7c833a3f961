"""Property: any session data survives export → import into another database unchanged."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_ctx
from zhijin_training.ical import export, importer
from zhijin_training.services import programmes, schedule
from zhijin_training.timeutil import LOCAL_TZ, to_utc

# Chinese, ASCII and the characters iCalendar must escape or fold around
_ALPHABET = st.sampled_from(
    list("织金大讲堂乡村振兴干部培训【】（）：、，。“”《》 abcXYZ019,;:\\\"'<>&%=+-@#/𠀋😀")
)


def _text(max_size: int, *, multiline: bool = False) -> st.SearchStrategy[str]:
    alphabet = st.one_of(_ALPHABET, st.just("\n")) if multiline else _ALPHABET
    return st.text(alphabet, max_size=max_size).map(str.strip)


_sessions = st.fixed_dictionaries(
    {
        "title": _text(60).filter(bool),
        "topic": _text(30),
        "speaker": _text(40),
        "location": _text(40),
        "branch_venues": st.lists(_text(20).filter(bool), max_size=3).map(tuple),
        "note": _text(300, multiline=True),
        "note_public": st.booleans(),
        "day": st.dates(date(1995, 1, 1), date(2150, 12, 31)),
        "minute": st.integers(0, 24 * 60 - 1),
        "length": st.integers(1, 48 * 60),
        "all_day": st.booleans(),
        "days": st.integers(0, 30),
        "broadcast": st.booleans(),
        "cancelled": st.booleans(),
        "itinerary": st.lists(st.tuples(st.integers(0, 30), _text(20).filter(bool), _text(40)), max_size=3),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(_sessions, min_size=1, max_size=3))
def test_session_data_round_trips(seeded_template: Path, data: list[dict]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        source_path, target_path = Path(tmp) / "a.db", Path(tmp) / "b.db"
        shutil.copyfile(seeded_template, source_path)
        shutil.copyfile(seeded_template, target_path)
        source, target = make_ctx(source_path), make_ctx(target_path)
        try:
            lecture = programmes.add_programme(source, kind="lecture", title="织金大讲堂")
            trip = programmes.add_programme(source, kind="study_trip", title="参观学习")
            for item in data:
                _create(source, lecture.id, trip.id, item)
            payload = export.export_bytes(source)
            preview = importer.preview_import(target, payload, "roundtrip.ics")
            assert len(preview.added) == len(data) and not preview.skipped
            importer.apply_import(target, preview)
            theirs = {s.uid: s for s in schedule.list_sessions(source)}
            mine = schedule.list_sessions(target)
            assert len(mine) == len(theirs)
            for view in mine:
                other = theirs[view.uid]
                for name in (
                    "title",
                    "topic",
                    "speaker",
                    "location",
                    "branch_venues",
                    "starts_at",
                    "ends_at",
                    "all_day",
                    "broadcast_at",
                    "itinerary",
                    "status",
                    "sequence",
                    "programme_title",
                    "programme_kind",
                ):
                    assert getattr(view, name) == getattr(other, name), name
                # an internal note never leaves the database; a public one arrives (and stays public)
                assert view.note == (other.note if other.note_public else "")
                assert view.note_public == (other.note_public and bool(other.note))
            again = importer.preview_import(target, payload, "roundtrip.ics")
            assert not again.has_changes and len(again.unchanged) == len(data)
        finally:
            source.db.dispose()
            target.db.dispose()


def _create(ctx, lecture_id: int, trip_id: int, item: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    first: date = item["day"]
    if item["all_day"]:
        last = first + timedelta(days=item["days"])
        stops = tuple(
            schedule.ItineraryStop(first + timedelta(days=min(offset, item["days"])), place, activity)
            for offset, place, activity in item["itinerary"]
        )
        draft = schedule.SessionDraft(programme=trip_id, first_day=first, last_day=last, itinerary=stops)
    else:
        start = to_utc(
            datetime.combine(first, time(0, 0), tzinfo=LOCAL_TZ) + timedelta(minutes=item["minute"])
        )
        draft = schedule.SessionDraft(
            programme=lecture_id, starts_at=start, ends_at=start + timedelta(minutes=item["length"])
        )
    start_for_broadcast = datetime.combine(first, time(20, 0), tzinfo=LOCAL_TZ)
    draft = schedule.SessionDraft(
        **{
            **draft.__dict__,
            "title": item["title"],
            "topic": item["topic"],
            "speaker": item["speaker"],
            "location": item["location"],
            "branch_venues": item["branch_venues"],
            "note": item["note"],
            "note_public": item["note_public"],
            "broadcast_at": to_utc(start_for_broadcast) if item["broadcast"] else None,
            "participants": (),
        }
    )
    session = schedule.create_session(ctx, draft, force=True)
    if item["cancelled"]:
        schedule.cancel_session(ctx, session.id, expected_version=session.version)
