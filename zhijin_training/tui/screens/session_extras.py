"""What the session form adds for lectures that are broadcast: branch venues (分会场) and the TV broadcast time.

Pure functions (no widgets), so the new-session and edit forms share them and tests call them directly.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from zhijin_training.i18n import t
from zhijin_training.timeutil import LOCAL_TZ, DateParseError, parse_local_datetime, parse_time, to_local

_SPLIT = re.compile(r"[、，,;；\n]+")


def parse_branch_venues(text: str) -> tuple[str, ...]:
    """`猫场镇分会场、牛场镇分会场` (or commas, semicolons, lines) -> the venues, each once, in order."""
    return tuple(dict.fromkeys(v.strip() for v in _SPLIT.split(text or "") if v.strip()))


def branch_venues_text(venues: tuple[str, ...] | list[str]) -> str:
    return "、".join(venues)


class BroadcastError(ValueError):
    """The typed broadcast time is not a time; the text says so in the interface language."""


def parse_broadcast(text: str, day: date) -> datetime | None:
    """`20:00` (on the session's day) or `2026-12-05 20:00`; empty: no broadcast."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if " " in text or "T" in text:
            return parse_local_datetime(text, field=t("feat.form.broadcast"))
        return datetime.combine(day, parse_time(text, field=t("feat.form.broadcast")), tzinfo=LOCAL_TZ)
    except DateParseError:
        raise BroadcastError(t("feat.form.bad_broadcast", text=text)) from None


def broadcast_text(value: datetime | None, day: date) -> str:
    """As the form shows it: only the time when it is the session's day, else date and time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%H:%M}" if local.date() == day else f"{local:%Y-%m-%d %H:%M}"
