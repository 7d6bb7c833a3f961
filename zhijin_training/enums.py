"""The enumerations of the domain, stored as their string values (importable without the ORM)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class UnitKind(StrEnum):
    TOWNSHIP = "township"  # 乡 / 镇 / 街道: all township-level
    DEPARTMENT = "department"  # 县直部门


class Role(StrEnum):
    TOWNSHIP_SECRETARY = "township_secretary"  # 乡镇党委书记
    DEPUTY_PARTY_BUILDING = "deputy_party_building"  # 党委副书记（抓党建）
    DEPARTMENT_HEAD = "department_head"  # 部门负责人
    OTHER = "other"


class ProgrammeKind(StrEnum):
    LECTURE = "lecture"  # 织金大讲堂 and other lecture series
    STUDY_TRIP = "study_trip"  # 外出参观学习
    SECONDMENT = "secondment"  # 挂职
    COURSE = "course"
    MEETING = "meeting"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ON_LEAVE = "on_leave"
    ABSENT = "absent"
    DEPUTY = "deputy"  # 代会: someone else attended in the cadre's place


class Counting(StrEnum):
    """How an attendance status counts in the rate (services/rates.py)."""

    ATTENDED = "attended"  # in the numerator: the cadre was there in person
    EXCUSED = "excused"  # leaves the denominator: approved leave
    ABSENT = "absent"  # in the denominator only: counts against the rate


@dataclass(frozen=True)
class StatusSpec:
    """Everything the app knows about one attendance status. The counters, report columns, ledger headers,
    CLI and TUI are generated from `STATUS_SPECS`; adding a status is one entry here plus its catalogue labels
    (`status.<value>` in locale/zh.json and en.json). A participant with no status yet is "not taken"
    (未记录): that is not a status, it counts nowhere (see services/rates.py)."""

    value: str  # stored in participant.status
    key: str  # the key letter that marks it on the attendance screen
    style: str  # rich style of its cell
    counts_as: Counting
    needs: tuple[str, ...] = ()  # Mark fields that must be filled in for this status
    in_advance: bool = False  # may be recorded before the session begins (leave is approved ahead)
    in_notice: bool = False  # an unexcused absence: listed in the absence notice (通报)
    represented: bool = False  # someone went in the cadre's place (代会): "went" for trips

    @property
    def attended(self) -> bool:
        return self.counts_as is Counting.ATTENDED

    @property
    def excused(self) -> bool:
        return self.counts_as is Counting.EXCUSED

    @property
    def absent(self) -> bool:
        return self.counts_as is Counting.ABSENT


STATUS_SPECS: tuple[StatusSpec, ...] = (
    StatusSpec("present", "p", "green", Counting.ATTENDED),
    StatusSpec("late", "l", "yellow", Counting.ATTENDED),
    StatusSpec("left_early", "e", "yellow", Counting.ATTENDED),
    StatusSpec(
        "on_leave", "v", "cyan", Counting.EXCUSED, needs=("leave_reason", "approved_by"), in_advance=True
    ),
    StatusSpec("absent", "a", "bold red", Counting.ABSENT, in_notice=True),
    StatusSpec("deputy", "d", "magenta", Counting.ABSENT, needs=("deputy_name",), represented=True),
)
NOT_TAKEN_STYLE = "dim"  # a participant without a status yet


def status_specs() -> tuple[StatusSpec, ...]:
    """The statuses in display order (read at call time, so a test can add one with monkeypatch)."""
    return STATUS_SPECS


_VALUES: list[tuple[tuple[StatusSpec, ...], tuple[str, ...]]] = []  # (the table, its values), last one read


def status_values() -> tuple[str, ...]:
    # every Counts asks: remember the values of the table last seen (the same object unless monkeypatched)
    specs = status_specs()
    if _VALUES and _VALUES[0][0] is specs:
        return _VALUES[0][1]
    values = tuple(spec.value for spec in specs)
    _VALUES[:] = [(specs, values)]
    return values


def status_spec(value: str) -> StatusSpec:
    """The spec of a stored status value; KeyError for an unknown one."""
    for spec in status_specs():
        if spec.value == value:
            return spec
    raise KeyError(value)


def statuses_where(**flags: object) -> Iterator[StatusSpec]:
    """Specs whose attributes equal the given values, e.g. statuses_where(attended=True)."""
    for spec in status_specs():
        if all(getattr(spec, name) == wanted for name, wanted in flags.items()):
            yield spec


class AudienceRule(StrEnum):
    ROLE = "role"  # every active cadre holding this role
    UNIT = "unit"  # every active cadre of this unit
    UNIT_KIND = "unit_kind"  # every active cadre whose unit is of this kind
    CADRE = "cadre"  # one person
