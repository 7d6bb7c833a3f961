"""The real-world calendar corpus: the test calendars that icalendar and recurring-ical-events ship inside their
installed packages (files from Outlook, Google, Thunderbird, Apple, khal … with the issue numbers that brought
them). Nothing is copied into this repository: `corpus.toml` lists each file by package, version and path with
the outcome we expect, and the test reads the files where pip installed them.

`python -m tests.ical.corpus` rewrites corpus.toml from what the importer does now (review the diff: every
changed line is a changed outcome).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from zhijin_training.ical import importer
from zhijin_training.ical.parse import Window
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError

MANIFEST = Path(__file__).with_name("corpus.toml")
# a wide window: the corpus has events from 1997 to 2030; the schedule itself takes 1990–2200
WINDOW = Window(date(1990, 1, 1), date(2035, 12, 31))
SOURCES = (
    # (distribution, import package, folder inside it, upstream project)
    ("icalendar", "icalendar", "tests/calendars", "collective/icalendar"),
    (
        "recurring-ical-events",
        "recurring_ical_events",
        "test/calendars",
        "niccokunzmann/python-recurring-ical-events",
    ),
)


@dataclass(frozen=True)
class CorpusFile:
    package: str
    version: str
    path: str  # inside the installed package
    upstream: str
    file: Path


def corpus_files() -> list[CorpusFile]:
    out = []
    for dist, package, folder, upstream in SOURCES:
        version = importlib.metadata.version(dist)
        root = Path(__import__(package).__file__).parent
        for file in sorted((root / folder).glob("*.ics")):
            out.append(CorpusFile(dist, version, f"{folder}/{file.name}", upstream, file))
    return out


def _utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%MZ") if value else ""


def session_rows(preview: importer.ImportPreview) -> list[tuple[str, str, str, str, bool]]:
    """(key, title, start, end, cancelled) of every session the preview adds: start/end in UTC, or days."""
    rows = []
    for item in preview.added:
        ev = item.event
        assert ev is not None
        if ev.all_day:
            start, end = str(ev.first_day), str(ev.last_day)
        else:
            start, end = _utc(ev.starts_at), _utc(ev.ends_at)
        rows.append((ev.uid, ev.title, start, end, ev.cancelled))
    return sorted(rows)


def outcome(ctx: Context, data: bytes, name: str) -> dict[str, Any]:
    """What preview gives for one file, in the manifest's words. Anything but a DomainError propagates."""
    try:
        preview = importer.preview_import(
            ctx, data, name, window=WINDOW, programme=importer.ProgrammeChoice(new_title="语料")
        )
    except DomainError as exc:
        return {"outcome": "refused", "refused": exc.code}
    rows = session_rows(preview)
    skips = sorted(Counter(i.code.split(":")[0] for i in preview.skipped).items())
    result: dict[str, Any] = {
        "outcome": "imported" if rows else ("skipped" if skips else "nothing"),
        "sessions": len(rows),
        "occurrences": sum("#" in r[0] for r in rows),
        "skips": [f"{code}×{n}" for code, n in skips],
        "encoding": preview.encoding,
        "digest": hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16],
    }
    if rows:
        result["first"] = list(rows[0][1:4])
    if preview.ignored:
        result["ignored"] = [f"{n}×{c}" for n, c in preview.ignored]
    return result


def load_manifest() -> dict[str, dict[str, Any]]:
    data = tomllib.loads(MANIFEST.read_text("utf-8"))
    return {f"{entry['package']}:{entry['path']}": entry for entry in data.get("file", [])}


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings, numbers and arrays are valid TOML


def write_manifest(ctx: Context) -> Counter[str]:
    lines = [
        "# The calendar corpus: test calendars shipped inside installed packages (not copied here).",
        "# One [[file]] per file: its origin, and what preview + import of it gives (tests/ical/test_ical_corpus.py).",
        "# outcome: imported (sessions, occurrences of recurring events among them), skipped (only skips, by",
        "# reason code ical.skip.<code> × count), nothing (no events, e.g. only to-dos), refused (error code).",
        "# digest: SHA-256 (16 hex) of the sorted (key, title, start UTC, end UTC, cancelled) rows imported.",
        "# Regenerate with `python -m tests.ical.corpus` and review the diff.",
        "",
    ]
    tally: Counter[str] = Counter()
    for f in corpus_files():
        got = outcome(ctx, f.file.read_bytes(), f.file.name)
        tally[got["outcome"]] += 1
        lines.append("[[file]]")
        for key, value in (
            ("package", f.package),
            ("version", f.version),
            ("path", f.path),
            ("upstream", f.upstream),
        ):
            lines.append(f"{key} = {_toml(value)}")
        for key, value in got.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    MANIFEST.write_text("\n".join(lines), "utf-8")
    return tally


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    import tempfile

    from tests.conftest import init_database, make_ctx

    with tempfile.TemporaryDirectory() as tmp:
        context = make_ctx(Path(tmp) / "corpus.db")
        init_database(context)
        print(dict(write_manifest(context)))
