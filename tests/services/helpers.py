"""Small builders for service tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from hypothesis import strategies as st

from zhijin_training.services import participants, programmes, roster, schedule
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


# ---------------------------------------------------------------- steps of the tally property tests
def roster_steps(days: Sequence[date]) -> list[Any]:
    """Hypothesis steps that change who is where and who is expected, shared by the attendance and 学时 tally
    property tests: a post move, a participant removed or added, a session cancelled."""
    return [
        st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 3), st.sampled_from(days)),
        st.tuples(st.just("remove"), st.integers(0, 3), st.integers(0, 2)),
        st.tuples(st.just("add"), st.integers(0, 3), st.integers(0, 2)),
        st.tuples(st.just("cancel"), st.integers(0, 3)),
    ]


def apply_roster_step(ctx: Context, office: dict[str, Any], kind: str, args: Sequence[Any]) -> None:
    """One step of `roster_steps` on the office of a property test (its sessions, cadres and units)."""
    sessions, cadres, units = office["sessions"], office["cadres"], office["units"]
    if kind == "move":
        roster.move_cadre(
            ctx,
            roster.get_cadre(ctx, cadres[args[0]]).id,
            unit=units[args[1]],
            post_title="乡党委书记",
            role="township_secretary",
            effective=args[2],
        )
    elif kind == "remove":
        participants.change_participants(ctx, sessions[args[0]], remove=[cadres[args[1]]], force=True)
    elif kind == "add":
        participants.change_participants(ctx, sessions[args[0]], add=[cadres[args[1]]], force=True)
    elif kind == "cancel":
        schedule.cancel_session(ctx, sessions[args[0]], expected_version=None)
    else:
        raise ValueError(f"not a roster step: {kind}")
