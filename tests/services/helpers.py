"""Small builders for service tests."""

from __future__ import annotations

from datetime import date, datetime, time

from zhijin_training.services import programmes, roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.views import CadreView, ProgrammeView, SessionView
from zhijin_training.timeutil import LOCAL_TZ


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware Shanghai wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def secretaries(ctx: Context, n: int) -> list[CadreView]:
    units = roster.list_units(ctx, kind="township")
    return [
        roster.add_cadre(
            ctx,
            name=f"书记{i}",
            unit=units[i].id,
            post_title="乡党委书记",
            role="township_secretary",
            since=date(2025, 1, 1),
        )
        for i in range(n)
    ]


def lecture(ctx: Context, **kwargs: object) -> ProgrammeView:
    return programmes.add_programme(
        ctx, kind="lecture", title="织金大讲堂", audience=[("role", "township_secretary")], **kwargs
    )  # type: ignore[arg-type]


def session_on(
    ctx: Context, programme_id: int, day: date, start: int = 15, end: int = 17, **kwargs: object
) -> SessionView:
    draft = schedule.SessionDraft(
        programme=programme_id, starts_at=at(day, start), ends_at=at(day, end), **kwargs
    )  # type: ignore[arg-type]
    return schedule.create_session(ctx, draft, force=True)
