"""Shared pieces of the Roster, Attendance, Reports and Audit screens: rates, times and statuses as shown.

(The table, the service calls and the error wording are in tui/kit: table.py and calls.py.)
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from zhijin_training.enums import NOT_TAKEN_STYLE, status_specs
from zhijin_training.i18n import has_key, t
from zhijin_training.services.rates import format_rate
from zhijin_training.timeutil import format_local


def rate_text(rate: float | None) -> str:
    """The rate as the services format it, with an ASCII dash for 'undefined' (the em dash is ambiguous)."""
    return format_rate(rate).replace("\u2014", "-")


def when(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return format_local(value, fmt) if value else ""


def status_label(status: str | None) -> str:
    return t(f"status.{status}") if status else t("status.none")


# styles from the status table (enums.STATUS_SPECS); None is "not taken yet"
STATUS_STYLES: dict[str | None, str] = {spec.value: spec.style for spec in status_specs()} | {
    None: NOT_TAKEN_STYLE
}


def short_status(status: str) -> str:
    """A status as a narrow column heading (English "Pres"); a status without one uses its label."""
    key = f"reports.{status}"
    return t(key) if has_key(key) else status_label(status)


def status_cell(status: str | None) -> Text:
    return Text(status_label(status), style=STATUS_STYLES.get(status, ""), no_wrap=True, end="")
