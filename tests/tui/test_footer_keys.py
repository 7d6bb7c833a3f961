"""Item 6 of issue 10: every key a screen offers in its footer is visible there, whole, at 80x24.

The walk goes through every section and the views inside them (month view, the quarterly review, the 学时
views, attendance of a session under way), as an administrator (most keys) in both languages, and checks each
binding with show=True against the footer's rendered text. The footer wraps onto a second line rather than
hide a key (Schedule has ten actions: no wording fits them in 80 columns); Chinese attendance fits one line.
"""

from __future__ import annotations

import pytest

from zhijin_training.i18n import set_lang
from zhijin_training.tui.widgets.footer import FitFooter, fit_lines

from .conftest import footer_text, settle
from .ops_helpers import forty_person_session


def shown_keys(app) -> list[str]:
    """What the footer should show for the current screen: "key words" of each action with show=True (an action
    bound to several keys, r / f5 / ctrl+r, shows its first)."""
    first: dict[str, str] = {}
    for active in app.screen.active_bindings.values():
        binding = active.binding
        if binding.show:
            first.setdefault(binding.action, f"{app.get_key_display(binding)} {binding.description}".rstrip())
    return list(first.values())


def test_fit_lines_keeps_order_and_wraps_only_when_needed() -> None:
    assert fit_lines([10, 10, 10], 40, 9) == [[0, 1, 2]]
    assert fit_lines([10, 10, 10, 10], 40, 9) == [[0, 1, 2], [3]]
    assert fit_lines([50, 5], 40, 0) == [[0], [1]]  # a too-wide key still gets a line of its own


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_footer_key_is_visible_at_80x24(make_app, run_pilot, tui_ctx, lang) -> None:
    set_lang(lang)
    session_id, _ = forty_person_session(tui_ctx)  # under way: every status key is offered
    missing: dict[str, list[str]] = {}
    lines: dict[str, int] = {}

    async def look(pilot, name: str) -> None:
        await settle(pilot)
        text = footer_text(pilot.app)
        lines[name] = pilot.app.screen.query_one(FitFooter).size.height
        gone = [k for k in shown_keys(pilot.app) if k not in text]
        if gone:
            missing[name] = gone

    async def scenario(pilot) -> None:
        for key in "1234567":
            await pilot.press(key)
            await look(pilot, f"section {key}")
        await pilot.press("2", "v")
        await look(pilot, "schedule month")
        await pilot.press("v", "5", "t")
        await look(pilot, "reports view 2")
        await pilot.press("t")
        await look(pilot, "reports view 3")
        await pilot.press("7", "t")
        await look(pilot, "hours view 2")
        await pilot.press("t")
        await look(pilot, "hours view 3 (recognition)")
        pilot.app.open_attendance(session_id)
        await look(pilot, "attendance under way")

    run_pilot(make_app(), scenario, size=(80, 24))
    assert missing == {}
    assert max(lines.values()) <= 2, lines
    # attendance is taken in a hurry, one key per person: its keys fit one line (short words: "p 出")
    assert lang == "en" or lines["attendance under way"] == 1, lines
