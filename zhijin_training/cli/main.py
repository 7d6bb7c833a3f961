"""The `zhijin-training` command. With no command it opens the terminal interface."""

from __future__ import annotations

import os
import sys

import typer

from zhijin_training.cli import (
    attendance_cmds,
    calendar_cmds,
    db_cmds,
    roster_cmds,
    schedule_cmds,
    sheets_cmds,
)
from zhijin_training.cli.common import STATE, err_console, fail
from zhijin_training.i18n import set_lang

app = typer.Typer(
    name="zhijin-training",
    help="织金干部培训管理 — Zhijin County cadre training: lectures, study trips, secondments, attendance.",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(roster_cmds.units_app, name="units")
app.add_typer(roster_cmds.cadres_app, name="cadres")
app.add_typer(schedule_cmds.programmes_app, name="programmes")
app.add_typer(schedule_cmds.sessions_app, name="sessions")
app.add_typer(attendance_cmds.attendance_app, name="attendance")
db_cmds.register(app)
calendar_cmds.register(app)
sheets_cmds.register(app)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: str = typer.Option(
        None, "--db", help="database file or URL (else $ZHIJIN_TRAINING_DB, system config, user dir)"
    ),
    lang: str = typer.Option(None, "--lang", help="zh (default) or en"),
    demo: bool = typer.Option(False, "--demo", help="open the interface on a demo database"),
) -> None:
    STATE.db, STATE.lang, STATE.settings = db, lang, None
    set_lang(STATE.get_settings().lang)
    if ctx.invoked_subcommand is None:
        _open_tui(demo)


def _open_tui(demo: bool) -> None:
    from zhijin_training.services.context import open_context
    from zhijin_training.services.seeding import init_database

    settings = STATE.get_settings()
    if demo and STATE.db is None and not os.environ.get("ZHIJIN_TRAINING_DB"):
        from platformdirs import user_cache_dir

        path = os.path.join(user_cache_dir("zhijin-training", appauthor=False), "demo.db")
        settings = settings.with_overrides(db_url=f"sqlite:///{path}", db_source="--demo")
        STATE.settings = settings
    if demo:
        init_database(open_context(settings, check_schema=False), demo=True)
    ctx = open_context(settings)
    from zhijin_training.tui.app import run

    run(ctx)


def main() -> None:
    from zhijin_training.services.errors import DomainError
    from zhijin_training.settings import ConfigError
    from zhijin_training.timeutil import DateParseError

    _ensure_utf8()
    try:
        app()
    except (DomainError, DateParseError, ConfigError) as exc:
        try:
            fail(str(exc))
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


def _ensure_utf8() -> None:
    """Chinese text must never be mangled by a C/POSIX locale: force UTF-8 on our own streams."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    sys.argv = [_utf8_argument(arg) for arg in sys.argv]


def _utf8_argument(arg: str) -> str:
    """Under a non-UTF-8 locale Python decodes arguments as ASCII with surrogates: read their bytes as UTF-8."""
    if not any("\udc80" <= ch <= "\udcff" for ch in arg):
        return arg
    try:
        return os.fsencode(arg).decode("utf-8")
    except UnicodeDecodeError:
        sys.stderr.write(
            "错误 error: a command-line argument is not UTF-8 text (GBK terminal?): "
            "set LANG=zh_CN.UTF-8 (or C.UTF-8) and switch the terminal to UTF-8\n"
        )
        sys.exit(2)
