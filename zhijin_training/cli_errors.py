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
            "错误 error: 命令行参数不是 UTF-8 文本（GBK 终端？）：请设置 LANG=zh_CN.UTF-8 并把终端切换为 UTF-8 / "
            "a command-line argument is not UTF-8 text (GBK terminal?): "
            "set LANG=zh_CN.UTF-8 (or C.UTF-8) and switch the terminal to UTF-8\n"
        )
        sys.exit(2)


def user_error_types() -> tuple[type[Exception], ...]:
    from zhijin_training.services.errors import DomainError
    from zhijin_training.settings import ConfigError
    from zhijin_training.timeutil import DateParseError

    return (DomainError, DateParseError, ConfigError)


def report_user_error(message: str) -> None:
    """One line on stderr: the bilingual label, then the message made printable (no terminal escapes)."""
    from zhijin_training.textsafe import printable

    sys.stderr.write("错误 error: " + printable(message).replace("\n", " ") + "\n")


def error_line(exc: BaseException) -> str:
    """The text of a user error in the interface language (describe(); the title is left out of the line)."""
    from zhijin_training.i18n import t
    from zhijin_training.services.errors import describe

    _, text = describe(exc)
    schedule = sys.modules.get("zhijin_training.services.schedule")  # loaded if it raised one
    if schedule is not None and isinstance(exc, schedule.ScheduleWarning):
        text += t("cli.force_hint")  # the CLI's way to save anyway
    return text


def run_reporting_errors(action: Callable[[], None]) -> None:
    try:
        action()
    except user_error_types() as exc:
        report_user_error(error_line(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("已中断 interrupted\n")
        sys.exit(130)
