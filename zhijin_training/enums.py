"""The enumerations of the domain, stored as their string values (importable without the ORM)."""

from __future__ import annotations

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


class AudienceRule(StrEnum):
    ROLE = "role"  # every active cadre holding this role
    UNIT = "unit"  # every active cadre of this unit
    UNIT_KIND = "unit_kind"  # every active cadre whose unit is of this kind
    CADRE = "cadre"  # one person
