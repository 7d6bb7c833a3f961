"""China's public holidays and swapped working days (调休), from `chinesecalendar`.

The State Council announces each year's arrangement late in the previous year; the library only knows
the years it has data for. For other years we answer "unknown" with a warning instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import chinese_calendar

_ZH_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    known: bool  # False: the library has no data for this year
    is_workday: bool
    holiday: str | None  # Chinese name of the public holiday, when the day is one
    swapped_workday: bool  # a weekend day that is a working day (调休上班)

    @property
    def is_public_holiday(self) -> bool:
        return self.holiday is not None


@cache
def day_info(day: date) -> DayInfo:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayInfo(day, known=False, is_workday=day.weekday() < 5, holiday=None, swapped_workday=False)
    weekend = day.weekday() >= 5
    holiday = _ZH_NAMES.get(name, name) if on_holiday and name else None
    return DayInfo(
        day,
        known=True,
        is_workday=not on_holiday,
        holiday=holiday,
        swapped_workday=weekend and not on_holiday,
    )


def is_public_holiday(day: date) -> bool:
    return day_info(day).is_public_holiday


def coverage_warning(days: list[date] | set[date]) -> str | None:
    """A warning naming the years whose holidays are not known yet (in the interface language), or None."""
    years = sorted({d.year for d in days if not day_info(d).known})
    if not years:
        return None
    from zhijin_training.i18n import get_lang, t

    sep = "、" if get_lang() == "zh" else ", "
    return t("warning.holiday_coverage", years=sep.join(str(y) for y in years))
