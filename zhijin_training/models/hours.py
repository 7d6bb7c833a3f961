"""学时 tables: the cadre rank held over time, and training taken elsewhere (外出培训, 网络学院 …).

The 学时 of sessions held here are never stored: they are computed from the office rules and the raw
participant rows (services/hours.py), so a rule change recomputes every figure and history stays as recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zhijin_training.models import UTCDateTime, _now, _version


class CadreRank(StrEnum):
    COUNTY_DIVISION = "county_division"  # 县处级 (and 四级调研员 and above): 550 学时 every 5 years
    TOWNSHIP_SECTION = "township_section"  # 乡科级 (and 一级主任科员 and below): 90 学时 or 12 days a year
    OTHER = "other"  # no regulation target


class TrainingCategory(StrEnum):
    CENTRALISED = "centralised"  # 集中培训 (party school, courses, study trips)
    ONLINE = "online"  # 网络培训


class ExternalSource(StrEnum):
    OUTSIDE = "outside"  # 外出培训
    UPPER = "upper"  # 上级调训
    PARTY_SCHOOL = "party_school"  # 党校主体班
    ONLINE_ACADEMY = "online_academy"  # 网络学院


class RecordState(StrEnum):
    SUBMITTED = "submitted"
    RECOGNISED = "recognised"  # 学时认定: counts in the ledger
    REJECTED = "rejected"


class RankPeriod(SQLModel, table=True):
    """One rank a cadre held, from start_date to end_date (inclusive; open while None), like `post`."""

    __tablename__ = "cadre_rank"
    __table_args__ = (sa.Index("ix_cadre_rank_cadre_start", "cadre_id", "start_date"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", ondelete="RESTRICT")
    rank: str = Field(max_length=30)  # CadreRank
    start_date: date
    end_date: date | None = None
    note: str = Field(default="")


class ExternalTraining(SQLModel, table=True):
    """A course a cadre took elsewhere; it counts once recognised by an administrator."""

    __tablename__ = "external_training"
    __table_args__ = (
        sa.Index("ix_external_cadre_start", "cadre_id", "start_date"),
        sa.Index("ix_external_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", ondelete="RESTRICT")
    source: str = Field(default=ExternalSource.OUTSIDE.value, max_length=30)  # ExternalSource
    organiser: str = Field(default="", max_length=200)  # 主办单位
    institution: str = Field(default="", max_length=200)  # 培训机构
    course: str = Field(max_length=200)
    start_date: date
    end_date: date
    days: float = Field(default=0.0)
    hours: float = Field(default=0.0)
    category: str = Field(default=TrainingCategory.CENTRALISED.value, max_length=20)  # TrainingCategory
    evidence: str = Field(default="", max_length=300)  # certificate number or file name
    state: str = Field(default=RecordState.SUBMITTED.value, max_length=20)  # RecordState
    decided_by: str = Field(default="", max_length=100)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str = Field(default="")
    submitted_by: str = Field(default="", max_length=100)
    note: str = Field(default="")
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
