"""Real-world calendars (the corpus of tests/ical/corpus.toml) through preview and import.

Each file imports, skips events with reasons, or is refused with one error code — never a traceback — and gives
what the manifest recorded. What is imported is checked against icalendar's and recurring-ical-events' own
reading of the same file: title, start and end in UTC, and which occurrences of a series fall in the window.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tests.ical.corpus import WINDOW, CorpusFile, corpus_files, load_manifest, outcome
from zhijin_training.ical import importer
from zhijin_training.ical.parse import strip_cancel_prefix
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError
from zhijin_training.timeutil import LOCAL_TZ

FILES = corpus_files()
COMPARED = ("outcome", "sessions", "occurrences", "skips", "refused", "digest", "ignored", "encoding")


@pytest.fixture(scope="module")
def corpus_ctx(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    import shutil

    from tests.conftest import make_ctx

    path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    shutil.copyfile(seeded_template, path)
    context = make_ctx(path)
    yield context
    context.db.dispose()


def test_the_manifest_lists_every_installed_file_and_nothing_else() -> None:
    manifest = load_manifest()
    installed = {f"{f.package}:{f.path}": f for f in FILES}
    assert len(installed) > 200
    assert sorted(installed) == sorted(manifest), "run `python -m tests.ical.corpus` and review the diff"
    for key, f in installed.items():
        assert manifest[key]["version"] == f.version, f"{key}: package upgraded; regenerate the manifest"
        assert manifest[key]["upstream"] == f.upstream


@pytest.mark.parametrize("corpus_file", FILES, ids=[f"{f.package}:{Path(f.path).name}" for f in FILES])
def test_corpus_file_gives_what_the_manifest_says(corpus_file: CorpusFile, corpus_ctx: Context) -> None:
    data = corpus_file.file.read_bytes()
    got = outcome(corpus_ctx, data, corpus_file.file.name)  # anything but a DomainError fails the test here
    expected = load_manifest()[f"{corpus_file.package}:{corpus_file.path}"]
    assert {k: got.get(k) for k in COMPARED} == {k: expected.get(k) for k in COMPARED}
    if got["outcome"] == "imported":
        preview = importer.preview_import(
            corpus_ctx,
            data,
            corpus_file.file.name,
            window=WINDOW,
            programme=importer.ProgrammeChoice(new_title="语料"),
        )
        _matches_the_libraries(data, preview)


def _zone(cal: Calendar) -> Any:
    name = str(cal.get("X-WR-TIMEZONE") or "").strip()
    try:
        return ZoneInfo(name) if name else LOCAL_TZ
    except (ValueError, KeyError, OSError):
        return LOCAL_TZ


def _utc(value: date | datetime, zone: Any) -> datetime | date:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(ZoneInfo("UTC"))
    return value


def _their_reading(data: bytes) -> tuple[dict[str, tuple[str, Any, Any]], dict[str, set[str]]]:
    """icalendar's events by UID and recurring-ical-events' occurrences by series UID, independent of ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cals = [
            c for c in Calendar.from_ical(data.decode("utf-8-sig"), multiple=True) if c.name == "VCALENDAR"
        ]
    singles: dict[str, tuple[str, Any, Any]] = {}
    occurrences: dict[str, set[str]] = {}
    start, stop = WINDOW.bounds()
    for cal in cals:
        zone = _zone(cal)
        for event in cal.walk("VEVENT"):
            if "DTSTART" not in event or isinstance(event.get("DTSTART"), list):
                continue  # we skip those (no_start / duplicate_property)
            if "RECURRENCE-ID" not in event and not any(p in event for p in ("RRULE", "RDATE", "EXDATE")):
                singles[str(event.get("UID"))] = (str(event.get("SUMMARY", "")), *_span(event, zone))
        expanded = _expand(cal, start, stop)
        seen: set[str] = set()
        for occurrence in expanded:
            if "DTSTART" not in occurrence:
                continue
            uid = str(occurrence.get("UID"))
            rid = occurrence.get("RECURRENCE-ID")
            moment = _utc(rid.dt if rid is not None else occurrence["DTSTART"].dt, zone)
            key = (
                moment.strftime("%Y%m%dT%H%M%SZ")
                if isinstance(moment, datetime)
                else moment.strftime("%Y%m%d")
            )
            occurrences.setdefault(uid, set()).add(key)
            if f"{uid}#{key}" in seen:
                continue  # RANGE=THISANDFUTURE: later occurrences repeat the key; we take the first
            seen.add(f"{uid}#{key}")
            singles[f"{uid}#{key}"] = (str(occurrence.get("SUMMARY", "")), *_span(occurrence, zone))
    return singles, occurrences


def _expand(cal: Calendar, start: datetime, stop: datetime) -> list[Any]:
    """recurring-ical-events over the whole calendar; when one broken event stops it (it gives up on an event
    without DTSTART even with skip_bad_series), over each UID's events on their own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return list(recurring_ical_events.of(cal, skip_bad_series=True).between(start, stop))
        except Exception:
            pass
        out: list[Any] = []
        uids = dict.fromkeys(str(e.get("UID")) for e in cal.walk("VEVENT"))
        for uid in uids:
            one = Calendar()
            for tz in cal.walk("VTIMEZONE"):
                one.add_component(tz)
            for e in cal.walk("VEVENT"):
                if str(e.get("UID")) == uid:
                    one.add_component(e)
            try:
                out += recurring_ical_events.of(one).between(start, stop)
            except Exception:
                continue
        return out


def _span(event: Any, zone: Any) -> tuple[Any, Any]:
    begin = event["DTSTART"].dt
    try:
        end = event.end
    except Exception:  # no end: icalendar refuses, we skip such events anyway
        end = None
    if not isinstance(begin, datetime):
        last = (end - timedelta(days=1)) if end and end > begin else begin
        return begin, last
    return _utc(begin, zone), _utc(end, zone) if end else None


def _matches_the_libraries(data: bytes, preview: importer.ImportPreview) -> None:
    theirs, series = _their_reading(data)
    ours_by_series: dict[str, set[str]] = {}
    for item in preview.added:
        ev = item.event
        assert ev is not None
        if "#" in ev.uid:
            uid, key = ev.uid.rsplit("#", 1)
            ours_by_series.setdefault(uid, set()).add(key)
        if ev.adjusted:
            continue  # read differently on purpose (said in the preview): e.g. a three-day timed course
        title, start, end = theirs[ev.uid]
        assert ev.title == strip_cancel_prefix(title.strip().replace("\r\n", "\n"))[0], ev.uid
        if ev.all_day:
            assert (ev.first_day, ev.last_day) == (start, end), ev.uid
        else:
            assert (ev.starts_at, ev.ends_at) == (start, end), ev.uid
    skipped_keys = {i.uid.rsplit("#", 1)[1] for i in preview.skipped if "#" in i.uid}
    for uid, keys in ours_by_series.items():
        # every occurrence they expand inside the window is ours, or skipped with a reason
        assert series.get(uid, set()) - keys <= skipped_keys, uid
        assert keys <= series.get(uid, set()), uid


def test_corpus_table_has_every_outcome() -> None:
    outcomes = {entry["outcome"] for entry in load_manifest().values()}
    assert {"imported", "skipped", "refused"} <= outcomes


# ---------------------------------------------------------------- fuzz
def _preview_never_crashes(ctx: Context, data: bytes) -> None:
    try:
        importer.preview_import(
            ctx, data, "fuzz.ics", window=WINDOW, programme=importer.ProgrammeChoice(new_title="x")
        )
    except DomainError as exc:
        assert exc.code and "\n" not in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_any_bytes_never_crash(corpus_ctx: Context, data: bytes) -> None:
    _preview_never_crashes(corpus_ctx, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FILES), st.integers(0, 2**32), st.sampled_from(["flip", "cut", "dup"]))
def test_damaged_corpus_files_never_crash(
    corpus_ctx: Context, corpus_file: CorpusFile, seed: int, how: str
) -> None:
    data = bytearray(corpus_file.file.read_bytes())
    rng = random.Random(seed)
    if data and how == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif data and how == "cut":
        start = rng.randrange(len(data))
        del data[start : start + rng.randint(1, 200)]
    elif data:  # a line given twice, as merged exports do
        lines = bytes(data).split(b"\n")
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        data = bytearray(b"\n".join(lines))
    _preview_never_crashes(corpus_ctx, bytes(data))
