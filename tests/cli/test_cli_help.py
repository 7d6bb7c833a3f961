"""The command line's help speaks the interface language (cli/helptext.py, locale/*.clihelp.json)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner

from tests.cli.test_cli_e2e import EXE
from zhijin_training.cli.helptext import FRAMEWORK_PREFIX, code_help_texts, localise_commands, walk_commands
from zhijin_training.cli.main import app
from zhijin_training.i18n import _catalogue

WIDTH = 80
ENGLISH_FRAME = ("Usage:", "Show this message", "Options ", "Commands ", "[required]", "[default:")


def _help(*args: str, env: dict[str, str] | None = None, width: int = 160) -> str:
    """`zhijin-training ARGS` as the office runs it (the executable) on this test's machine; wide enough that
    the phrases looked for are not wrapped (the 80-column layout is checked separately)."""
    proc = subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(width), **(env or {})},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _assert_fits(page: str) -> None:
    """Every line within 80 cells, and every panel line closed at exactly the right edge (CJK counts 2)."""
    for line in page.splitlines():
        assert cell_len(line) <= WIDTH, line
        if line and line[0] in "│╭╰":
            assert cell_len(line.rstrip()) == WIDTH and line.rstrip()[-1] in "│╮╯", line


def test_every_command_and_option_has_words_in_both_catalogues() -> None:
    code = code_help_texts(typer.main.get_command(app))
    assert len(code) > 300 and "clihelp.sessions.add.--programme" in code  # the walk saw the whole tree
    for lang in ("zh", "en"):
        catalogue = _catalogue(lang)
        missing = [key for key in code if not catalogue.get(key)]
        assert missing == [], f"{lang}.clihelp.json lacks words for {missing} (scripts/clihelp_catalogue.py)"
        stale = [k for k in catalogue if k.split(".")[0] == "clihelp" and k not in code]
        assert stale == [], (
            f"{lang}.clihelp.json has words for commands/options that no longer exist: {stale}"
        )
        frame = [k for k in catalogue if k.startswith(FRAMEWORK_PREFIX)]
        assert len(frame) == 14 and all(catalogue[k] for k in frame)


def test_english_catalogue_is_the_code_english() -> None:
    """A help text changed in a command module must be re-read into en.clihelp.json — and its Chinese revisited."""
    en = _catalogue("en")
    changed = {key: text for key, text in code_help_texts(typer.main.get_command(app)).items() if text}
    differing = [key for key, text in changed.items() if en.get(key) != text]
    assert differing == [], f"run scripts/clihelp_catalogue.py and check the Chinese of {differing}"


def test_program_help_is_chinese_by_default() -> None:
    page = _help("--help")
    for words in (
        "用法：zhijin-training [选项] 命令 [参数]...",
        "选项",
        "命令",
        "显示本帮助并退出。",
        "场次：安排、改期、取消。",
    ):
        assert words in page
    for english in (*ENGLISH_FRAME, "Sessions: schedule", "database file or URL"):
        assert english not in page
    _assert_fits(_help("--help", width=WIDTH))


def test_command_help_is_chinese_by_default() -> None:
    page = _help("sessions", "add", "--help")
    for words in (
        "用法：zhijin-training sessions add [选项]",
        "安排场次",
        "培训项目 #编号或名称",
        "[必填]",
        "[默认: 1]",
    ):
        assert words in page
    assert "'2026-12-04 15:00'" in page and "--branch-venue" in page  # examples and option names stay literal
    for english in (*ENGLISH_FRAME, "Schedule a session", "programme #id or title"):
        assert english not in page


@pytest.mark.parametrize("lang_args", [("--lang", "en"), ("--lang=en",)])
def test_help_is_english_with_lang_en(lang_args: tuple[str, ...]) -> None:
    page = _help(*lang_args, "sessions", "add", "--help")
    for words in (
        "Usage: zhijin-training sessions add [OPTIONS]",
        "Show this message and exit.",
        "[required]",
    ):
        assert words in page
    assert "Schedule a session" in page and "the session's title" in page  # the code's and the catalogue's
    assert "用法" not in page and "显示本帮助" not in page and "安排场次" not in page


def test_help_language_follows_the_settings(tmp_path: Path) -> None:
    assert "Show this message and exit." in _help("--help", env={"ZHIJIN_TRAINING_LANG": "en"})
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlang = "en"\n', "utf-8")
    assert "Usage: zhijin-training" in _help("db", "--help", env={"ZHIJIN_TRAINING_CONFIG": str(config)})
    config.write_text("[ui\nlang = ", "utf-8")  # a broken config file: help still shows, in Chinese
    assert "显示本帮助并退出。" in _help("--help", env={"ZHIJIN_TRAINING_CONFIG": str(config)})
    # --lang given after the command is that command's argument, not the program's language
    assert "用法：" in _help("--lang", "zh", "holidays", "--help", env={"ZHIJIN_TRAINING_LANG": "en"})


def _shown_texts(command: Any) -> list[str]:
    texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
    children = getattr(command, "commands", {}).values()
    return texts + [(c.short_help or c.help or "").split("\n\n")[0] for c in children]


# literal words of a help text (option values, examples, file suffixes): each must be on the page in one piece
LITERAL = re.compile(r"[A-Za-z0-9_.:\-\[\]/#@$=+']{3,}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_help_page_fits_80_columns_uncut(lang: str) -> None:
    """All help pages at 80 columns: aligned, and no text cut off with an ellipsis (Chinese folds instead)."""
    runner = CliRunner()
    localised = typer.main.get_command(app)  # built and worded as the runner's tree will be
    localise_commands(localised, lang)
    pages = 0
    localised_by_key = dict(walk_commands(localised))
    for key in localised_by_key:
        args = ["--lang", lang, *key.split(".")[1:], "--help"]
        result = runner.invoke(app, args, env={"COLUMNS": str(WIDTH)})
        assert result.exit_code == 0, (args, result.output)
        page = result.output
        _assert_fits(page)
        assert ("用法：" in page) == (lang == "zh") and ("Usage:" in page) == (lang == "en"), args
        # rich cuts a text that cannot wrap with "…": only the texts' own ellipses may be on the page
        shown = _shown_texts(localised_by_key[key])
        assert page.count("…") <= sum(text.count("…") for text in shown), (
            args,
            page,
        )
        cut = [word for text in shown for word in LITERAL.findall(text) if word not in page]
        assert cut == [], f"{args}: broken across lines: {cut}"
        pages += 1
    assert pages > 70
