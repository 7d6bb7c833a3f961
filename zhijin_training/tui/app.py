"""The Textual application: one mode per section, switched with number keys or the command palette.

Screens never touch the ORM: they call services (in thread workers) and get plain views back.
Each screen reaches the service context through `self.app.ctx` (see `zhijin_training.tui.base`).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from zhijin_training.i18n import t
from zhijin_training.services.context import Context

# mode name -> "module:Class", imported lazily so start-up stays fast
SECTIONS: dict[str, str] = {
    "overview": "zhijin_training.tui.screens.overview:OverviewScreen",
    "schedule": "zhijin_training.tui.screens.schedule:ScheduleScreen",
    "roster": "zhijin_training.tui.screens.roster:RosterScreen",
    "attendance": "zhijin_training.tui.screens.attendance:AttendanceScreen",
    "reports": "zhijin_training.tui.screens.reports:ReportsScreen",
    "audit": "zhijin_training.tui.screens.audit:AuditScreen",
}


def _loader(target: str):  # type: ignore[no-untyped-def]
    def load():  # type: ignore[no-untyped-def]
        import importlib

        module_name, _, class_name = target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)()

    return load


class ZhijinApp(App[None]):
    CSS_PATH = "app.tcss"
    MODES: ClassVar = {name: _loader(target) for name, target in SECTIONS.items()}
    DEFAULT_MODE = "overview"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('overview')", "首页", show=False),
        Binding("2", "switch_mode('schedule')", "日程", show=False),
        Binding("3", "switch_mode('roster')", "人员", show=False),
        Binding("4", "switch_mode('attendance')", "考勤", show=False),
        Binding("5", "switch_mode('reports')", "统计", show=False),
        Binding("6", "switch_mode('audit')", "记录", show=False),
        Binding("ctrl+q", "quit", "退出", priority=True),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.title = t("app.title")


def run(ctx: Context) -> None:
    ZhijinApp(ctx).run()
