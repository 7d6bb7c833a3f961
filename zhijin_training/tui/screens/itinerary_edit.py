"""Edit the day-by-day itinerary (行程) of an existing study trip or secondment.

One line per stop, as in the trip form: `<day> <place> <activity>` where day is a date (2026-12-07) or the
day number of the trip (1, 2, 3). The form opens with today's itinerary, keeps what was typed when a line is
wrong (the line is named next to the field) and saves through `schedule.update_session(itinerary=...)`.
"""

from __future__ import annotations

from typing import Any

from zhijin_training.i18n import t
from zhijin_training.services.views import SessionView
from zhijin_training.tui.kit.dialogs import Field, FormDialog
from zhijin_training.tui.screens.trip_form import parse_itinerary


def itinerary_lines(session: SessionView) -> str:
    return "\n".join(
        " ".join(part for part in (i.day.isoformat(), i.place, i.activity) if part) for i in session.itinerary
    )


def itinerary_dialog(ctx: Any, session: SessionView) -> FormDialog:
    """A form on the session's itinerary; it dismisses with the updated session (None when closed)."""
    from zhijin_training.services import schedule

    def check(values: dict[str, Any]) -> None:
        values["stops"] = parse_itinerary(values.get("itinerary") or "", session.first_day, session.last_day)

    def submit(values: dict[str, Any], force: bool) -> Any:
        stops = tuple(schedule.ItineraryStop(day, place, what) for day, place, what in values["stops"])
        (updated,) = schedule.update_session(
            ctx,
            session.id,
            schedule.SessionChanges(itinerary=stops),
            expected_version=session.version,
            force=force,
        )
        return updated

    return FormDialog(
        t("feat.itinerary.title", title=session.title),
        [Field("itinerary", t("trip.itinerary"), "lines", itinerary_lines(session), height=8)],
        hint=t("feat.itinerary.hint"),
        check=check,
        submit=submit,
        field_map={"itinerary": "itinerary"},
    )
