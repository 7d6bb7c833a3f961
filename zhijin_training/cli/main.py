"""The `zhijin-training` command. With no command it opens the terminal interface."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from zhijin_training.cli import (
    attendance_cmds,
    calendar_cmds,
    db_cmds,
    holiday_cmds,
    hours_cmds,
    notice_cmds,
    roles_cmds,
    roster_cmds,
    schedule_cmds,
    sheets_cmds,
)
from zhijin_training.cli.common import STATE
from zhijin_training.cli.helptext import LocalisedContext, help_language, localise_commands
from zhijin_training.i18n import set_lang


class ReportingGroup(TyperGroup):
    """Every user error of every command — a service's, a bad date, the config file — becomes one line on
    stderr worded by describe() in the chosen language, and exit code 1: the same in-process (tests) as from
    the executable. Its help, and every command's, is in the interface language (cli/helptext.py)."""

    context_class = LocalisedContext

    def make_context(
        self, info_name: str | None, args: list[str], parent: typer.Context | None = None, **extra: object
    ) -> typer.Context:
        # Click prints --help while parsing, before root() has chosen the language: choose it here first
        if parent is None:
            lang = help_language(args)
            set_lang(lang)
            localise_commands(self, lang)
        return super().make_context(info_name, args, parent=parent, **extra)

    # typer.Context, not click's: typer vendors click, and click itself is only installed with the dev tools
    def invoke(self, ctx: typer.Context) -> object:
        from zhijin_training.cli_errors import error_line, report_user_error, user_error_types

        try:
            return super().invoke(ctx)
        except user_error_types() as exc:
            report_user_error(error_line(exc))
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=ReportingGroup,
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
holiday_cmds.register(app)
notice_cmds.register(app)
hours_cmds.register(app)
db_cmds.db_app.add_typer(roles_cmds.roles_app, name="roles")


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
    from zhijin_training.launch import open_tui

    open_tui(STATE.get_settings(), demo=demo, db_given=STATE.db is not None)


def main() -> None:
    from zhijin_training.cli_errors import ensure_utf8, run_reporting_errors

    ensure_utf8()
    run_reporting_errors(app)
