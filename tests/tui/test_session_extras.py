"""Branch venues and broadcast time as the session form reads and shows them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from zhijin_training.timeutil import LOCAL_TZ, to_utc
from zhijin_training.tui.screens.session_extras import (
    BroadcastError,
    branch_venues_text,
    broadcast_text,
    parse_branch_venues,
    parse_broadcast,
)

DAY = date(2026, 12, 4)


def test_branch_venues_split_on_any_usual_separator_once_each() -> None:
    assert parse_branch_venues("猫场镇分会场、牛场镇分会场，猫场镇分会场; 县委党校 ") == (
        "猫场镇分会场",
        "牛场镇分会场",
        "县委党校",
    )
    assert parse_branch_venues("  ") == ()
    assert branch_venues_text(("猫场镇分会场", "牛场镇分会场")) == "猫场镇分会场、牛场镇分会场"


def test_broadcast_time_on_the_day_or_with_a_date() -> None:
    assert parse_broadcast("20:00", DAY) == datetime(2026, 12, 4, 20, 0, tzinfo=LOCAL_TZ)
    assert parse_broadcast("2026-12-05 08:30", DAY) == to_utc(datetime(2026, 12, 5, 8, 30, tzinfo=LOCAL_TZ))
    assert parse_broadcast("", DAY) is None
    with pytest.raises(BroadcastError, match="25:00"):
        parse_broadcast("25:00", DAY)
    assert broadcast_text(to_utc(datetime(2026, 12, 4, 20, 0, tzinfo=LOCAL_TZ)), DAY) == "20:00"
    assert broadcast_text(to_utc(datetime(2026, 12, 5, 8, 30, tzinfo=LOCAL_TZ)), DAY) == "2026-12-05 08:30"
    assert broadcast_text(None, DAY) == ""
