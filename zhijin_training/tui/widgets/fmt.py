"""How a session is written in a table cell: date with weekday, time span, kind, status (all plain text)."""

from __future__ import annotations

from datetime import date, datetime

from rich.cells import cell_len

from zhijin_training.i18n import label, t
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import to_local


def weekday(day: date) -> str:
    return t("cal.weekdays").split()[day.weekday()]


def day_text(day: date, *, year: bool = False) -> str:
    """`11-24 二` (or `2026-11-24 二`)."""
    return f"{day:%Y-%m-%d} {weekday(day)}" if year else f"{day:%m-%d} {weekday(day)}"


def time_text(s: SessionView) -> str:
    """`15:00-17:00` for timed sessions; `全天` or `至12-01` for all-day spans."""
    if s.all_day:
        return t("fmt.all_day") if s.first_day == s.last_day else t("fmt.until", day=f"{s.last_day:%m-%d}")
    start, end = to_local(s.starts_at), to_local(s.ends_at)
    return f"{start:%H:%M}-{end:%H:%M}"


def kind_text(s: SessionView) -> str:
    return label("programme_kind", s.programme_kind)


def state_text(s: SessionView, now: datetime) -> str:
    """Cancelled / held / under way / scheduled, as the office says it."""
    if s.is_cancelled:
        return label("session_status", "cancelled")
    if s.starts_at <= now < s.ends_at:
        return t("fmt.under_way")
    return label("session_status", s.status)


def count_text(s: SessionView) -> str:
    return f"{s.recorded_count}/{s.participant_count}" if s.recorded_count else str(s.participant_count)


KINDS = ("lecture", "study_trip", "secondment", "course", "meeting")
SESSION_STATES = ("scheduled", "held", "cancelled")


def kind_width() -> int:
    """Cells for the kind column: 8 in Chinese (四个字), up to 10 for English words like "Secondment"."""
    return min(max(8, *(cell_len(label("programme_kind", k)) for k in KINDS)), 10)


def state_width() -> int:
    """Cells for the state column: 6 in Chinese, up to 9 for "Scheduled" / "under way"."""
    words = [label("session_status", s) for s in SESSION_STATES] + [t("fmt.under_way")]
    return min(max(6, *(cell_len(w) for w in words)), 9)
