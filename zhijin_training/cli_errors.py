"""Process-level behaviour shared by every entry point, without loading typer or rich: UTF-8 streams and
arguments whatever the locale, and a user error as one line on stderr with exit code 1 (never a traceback)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def ensure_utf8() -> None:
    """Chinese text must never be mangled by a C/POSIX locale: force UTF-8 on our own streams and arguments."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")
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


def user_error_types() -> tuple[type[Exception], ...]:
    from zhijin_training.services.errors import DomainError
    from zhijin_training.settings import ConfigError
    from zhijin_training.timeutil import DateParseError

    return (DomainError, DateParseError, ConfigError)


def report_user_error(message: str) -> None:
    from zhijin_training.textsafe import printable

    sys.stderr.write("错误 error: " + printable(message) + "\n")


def run_reporting_errors(action: Callable[[], None]) -> None:
    try:
        action()
    except user_error_types() as exc:
        report_user_error(str(exc))
        sys.exit(1)
    except OverflowError:  # a number too large for the database (e.g. `sessions show 99999999999999999999999`)
        from zhijin_training.i18n import t

        report_user_error(t("error.trust.number_too_large"))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
