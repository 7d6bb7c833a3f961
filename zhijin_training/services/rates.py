"""The one definition of the attendance rate (出勤率). Every figure in the app comes from here.

    出勤率 = (出勤 + 迟到 + 早退) ÷ (应到 − 请假)

- 应到 (expected): participants of sessions that were not cancelled and whose attendance was taken
  (a participant with no status yet is "not taken" and counts nowhere);
- attended in person: present, late, left early;
- on leave (请假, with reason and approver) is excused: it leaves the denominator;
- attended by deputy (代会) and absent (缺席) count against the rate: the cadre was expected in person.
  Only `absent` is an unexcused absence for notices (通报).

When nobody was expected (or everyone was on leave) the rate is undefined: None, shown as "—".
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from zhijin_training.enums import AttendanceStatus

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
EXCUSED = (AttendanceStatus.ON_LEAVE,)
UNEXCUSED = (AttendanceStatus.ABSENT,)


@dataclass(frozen=True)
class Counts:
    expected: int = 0  # recorded participants of non-cancelled sessions
    present: int = 0
    late: int = 0
    left_early: int = 0
    on_leave: int = 0
    absent: int = 0
    deputy: int = 0
    not_taken: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late + self.left_early

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.attended, self.expected, self.on_leave)

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


def attendance_rate(attended: int, expected: int, on_leave: int) -> float | None:
    denominator = expected - on_leave
    if denominator <= 0:
        return None
    return attended / denominator


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def count_columns(status_col: Any, now: datetime) -> list[Any]:
    """SQL aggregate columns, in `Counts` field order, for a participant status column (of a query that joins
    `training_session`).

    "Not taken" counts only sessions that have begun by `now`: a session not yet held has nothing to take.
    """
    import sqlalchemy as sa

    from zhijin_training.models import TrainingSession

    begun = TrainingSession.starts_at <= now

    def n(*statuses: AttendanceStatus) -> Any:
        return sa.func.coalesce(
            sa.func.sum(sa.case((status_col.in_([s.value for s in statuses]), 1), else_=0)), 0
        )

    return [
        sa.func.coalesce(sa.func.sum(sa.case((status_col.is_not(None), 1), else_=0)), 0),
        n(AttendanceStatus.PRESENT),
        n(AttendanceStatus.LATE),
        n(AttendanceStatus.LEFT_EARLY),
        n(AttendanceStatus.ON_LEAVE),
        n(AttendanceStatus.ABSENT),
        n(AttendanceStatus.DEPUTY),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(status_col.is_(None), begun), 1), else_=0)), 0),
    ]


def counts_from_row(values: Any) -> Counts:
    return Counts(*(int(v or 0) for v in values))
