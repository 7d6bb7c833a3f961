"""Defects met on the 80x24 walk of issue 10, each pinned by a test."""

from __future__ import annotations


def test_a_series_clash_is_listed_once_per_person_and_session() -> None:
    """Walk finding: a series over a secondment listed 黄飞伟's secondment once per occurrence (4 same lines)."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from zhijin_training.services.views import ConflictView
    from zhijin_training.tui.kit.dialogs import warning_text

    when = datetime(2026, 12, 1, 7, tzinfo=UTC)
    clash = [ConflictView(7, "黄飞伟", None, 3, "挂职", when, when) for _ in range(4)]
    text = warning_text(SimpleNamespace(conflicts=clash, holidays=[]))
    assert text.count("黄飞伟：挂职") == 1
    assert "2026-12-01 15:00" in text  # a timed session: its local start


def test_an_all_day_clash_shows_its_days_not_midnight() -> None:
    """A trip's clash said 2026-12-14 00:00: an all-day session is its days."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from zhijin_training.services.views import ConflictView
    from zhijin_training.tui.kit.dialogs import warning_text

    # 2026-12-14..16 local: starts at local midnight, ends at the midnight after the last day
    trip = ConflictView(
        7,
        "黄飞伟",
        None,
        3,
        "参观学习",
        datetime(2026, 12, 13, 16, tzinfo=UTC),
        datetime(2026, 12, 16, 16, tzinfo=UTC),
        other_all_day=True,
    )
    text = warning_text(SimpleNamespace(conflicts=[trip], holidays=[]))
    assert "2026-12-14 ~ 2026-12-16" in text and "00:00" not in text


def test_english_section_tabs_show_all_seven_at_80_columns(make_app, run_pilot) -> None:
    """Walk finding: in English the tab line cut off "7 Hours" at 80 columns."""
    from zhijin_training.i18n import set_lang

    from .conftest import screen_text, settle

    set_lang("en")

    async def scenario(pilot) -> None:
        await pilot.press("1")
        await settle(pilot)
        assert "7 Hours" in screen_text(pilot.app).splitlines()[1]

    run_pilot(make_app(), scenario, size=(80, 24))


def test_people_picker_lines_up_names_of_two_and_three_characters() -> None:
    """Walk finding: 「韩飞  化起镇」 and 「潘秀明  猫场镇」 started their units in different columns."""
    from rich.cells import cell_len

    from zhijin_training.tui.screens.trip_form import person_line

    two, three = person_line("韩飞", "化起镇", "镇党委书记"), person_line("潘秀明", "猫场镇", "镇党委书记")
    assert cell_len(two.split("化起镇")[0]) == cell_len(three.split("猫场镇")[0])


def test_english_session_picker_shows_the_state_whole(make_app, run_pilot) -> None:
    """Walk finding: the session picker cut "Scheduled" to "Sche.." in English at 80 columns."""
    from zhijin_training.i18n import set_lang

    from .conftest import screen_text, settle

    set_lang("en")

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "Scheduled" in text and "Sche.." not in text

    run_pilot(make_app(), scenario, size=(80, 24))
