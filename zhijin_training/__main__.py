"""`python -m zhijin_training` and the `zhijin-training` script."""

from __future__ import annotations

import sys


def main() -> None:
    from zhijin_training.cli_errors import ensure_utf8
    from zhijin_training.launch import tui_only_arguments

    ensure_utf8()
    options = tui_only_arguments(sys.argv[1:])
    if options is not None and _fast_tui(options):
        return
    from zhijin_training.cli.main import main as cli_main

    cli_main()


def _fast_tui(options: dict[str, str | bool]) -> bool:
    """Open the interface without loading the command-line machinery; errors end as one line, like the CLI."""
    from zhijin_training.cli_errors import run_reporting_errors
    from zhijin_training.i18n import set_lang
    from zhijin_training.launch import open_tui
    from zhijin_training.settings import load_settings

    def go() -> None:
        db = options.get("db")
        settings = load_settings(str(db) if db else None, str(options["lang"]) if "lang" in options else None)
        set_lang(settings.lang)
        open_tui(settings, demo=bool(options.get("demo")), db_given=bool(db))

    run_reporting_errors(go)
    return True


if __name__ == "__main__":
    main()
