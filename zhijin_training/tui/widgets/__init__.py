"""Shared widgets: literal width-aware tables, the month calendar, the status bar."""

from zhijin_training.tui.widgets.calendar import MonthCalendar
from zhijin_training.tui.widgets.statusbar import StatusBar
from zhijin_training.tui.widgets.text import ELLIPSIS, fit, literal, pad

__all__ = ["ELLIPSIS", "MonthCalendar", "StatusBar", "fit", "literal", "pad"]
