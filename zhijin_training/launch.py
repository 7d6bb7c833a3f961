"""Opening the terminal interface: shared by the CLI and by the fast path in `__main__`.

`zhijin-training` with no command (only --db/--lang/--demo) is how the office starts its day; that path skips
typer and the command modules entirely, so the interface appears sooner.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING

from zhijin_training.settings import Settings

if TYPE_CHECKING:
    from zhijin_training.services.context import Context


def demo_settings(settings: Settings, db_given: bool) -> Settings:
    """`--demo` without a database: a throw-away demo database in the user's cache directory."""
    if db_given or os.environ.get("ZHIJIN_TRAINING_DB"):
        return settings
    from platformdirs import user_cache_dir

    path = os.path.join(user_cache_dir("zhijin-training", appauthor=False), "demo.db")
    return settings.with_overrides(db_url=f"sqlite:///{path}", db_source="--demo")


def open_tui(settings: Settings, *, demo: bool = False, db_given: bool = False) -> None:
    from zhijin_training.services.context import open_context

    if demo:
        from zhijin_training.services.seeding import init_database

        settings = demo_settings(settings, db_given)
        init_database(open_context(settings, check_schema=False), demo=True)
    ctx = open_context(settings)
    # the start-up makes hundreds of thousands of objects that live as long as the process (Textual, the
    # screens): the collector would walk them over and over, ~30 ms before the first screen. It resumes
    # when that screen is complete (ZhijinApp.settle_heap, at the latest HEAP_SETTLE_SECONDS after Ready).
    gc.disable()
    from zhijin_training.services.first_look import read_ahead

    read_ahead(ctx)  # the overview's first panels, before the interface is imported (services.first_look)
    run_tui(ctx)


def run_tui(ctx: Context) -> None:
    """The interface on `ctx`, imported only now, after the read ahead. (The start-up benchmark
    replaces this with a measured headless run of the same app.)"""
    from zhijin_training.tui.app import run

    run(ctx)


def tui_only_arguments(args: list[str]) -> dict[str, str | bool] | None:
    """The global options when nothing but --db/--lang/--demo is given, else None (a command: use the CLI)."""
    found: dict[str, str | bool] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in ("--db", "--lang"):
            if not eq:
                if i + 1 >= len(args):
                    return None
                value = args[i + 1]
                i += 1
            found[name[2:]] = value
        elif arg == "--demo":
            found["demo"] = True
        else:
            return None
        i += 1
    return found
