"""What every CLI command shares: the context, output as rich tables or JSON, one-line errors."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table
from rich.text import Text

from zhijin_training.i18n import t
from zhijin_training.services.context import Context, open_context
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.rates import Counts
from zhijin_training.settings import Settings, load_settings
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import format_local, parse_date, parse_local_datetime

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # one error, one line (logs, grep)


@dataclasses.dataclass
class CliState:
    db: str | None = None
    lang: str | None = None
    settings: Settings | None = None

    def get_settings(self) -> Settings:
        if self.settings is None:
            self.settings = load_settings(self.db, self.lang)
        return self.settings


STATE = CliState()


def settings() -> Settings:
    return STATE.get_settings()


def context(*, check_schema: bool = True) -> Context:
    return open_context(settings(), check_schema=check_schema)


def fail(code: str, /, *, field: str | None = None, **params: Any) -> NoReturn:
    """Refuse a command line: the error goes through `describe` like every service error (one line, exit 1;
    see zhijin_training.cli_errors). `code` is an error code with its text in the catalogues (cli.*)."""
    raise ValidationError(code, field=field, **params)


def say(key: str, /, *, style: str = "", err: bool = False, **params: Any) -> None:
    """One line of our own output, worded from the catalogue in the chosen language, printed literally."""
    (err_console if err else console).print(Text(printable(t(key, **params)), style=style))


def opt_date(value: str | None, field: str) -> date | None:
    """A typed date, or None; a bad one raises DateParseError (worded by describe)."""
    if value is None or value == "":
        return None
    return parse_date(value, field=field)


def opt_datetime(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    return parse_local_datetime(value, field=field)


def jsonable(value: Any) -> Any:
    if isinstance(value, Counts):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for prop in ("rate", "attended"):
            if hasattr(type(value), prop) and isinstance(getattr(type(value), prop), property):
                out[prop] = jsonable(getattr(value, prop))
        return out
    if isinstance(value, datetime):
        return format_local(value, "%Y-%m-%dT%H:%M:%S%z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    text = json.dumps(jsonable(value), ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")


def cell(value: Any) -> Text:
    """User data never goes through Rich markup: always a Text, control characters made visible."""
    if value is None:
        return Text("")
    if isinstance(value, datetime):
        return Text(format_local(value))
    return Text(printable(str(value)))


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="ellipsis")
    count = 0
    for row in rows:
        table.add_row(*(cell(v) for v in row))
        count += 1
    console.print(table)
    if count == 0:
        console.print(Text(t("cli.none"), style="dim"))
