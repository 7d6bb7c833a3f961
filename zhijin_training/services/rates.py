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

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from zhijin_training.enums import StatusSpec, status_specs, status_values, statuses_where

_WHERE: dict[str, tuple[tuple[StatusSpec, ...], tuple[str, ...]]] = {}


def _values_where(flag: str) -> tuple[str, ...]:
    """Values of the statuses with `flag`, remembered for the status table last seen (every rate asks)."""
    specs = status_specs()
    known = _WHERE.get(flag)
    if known is not None and known[0] is specs:
        return known[1]
    values = tuple(spec.value for spec in statuses_where(**{flag: True}))
    _WHERE[flag] = (specs, values)
    return values


def attended_values() -> tuple[str, ...]:
    return _values_where("attended")


def excused_values() -> tuple[str, ...]:
    return _values_where("excused")


def notice_values() -> tuple[str, ...]:
    """Unexcused absences: the statuses listed in an absence notice (通报)."""
    return _values_where("in_notice")


class _Shape:
    """Where each status sits in a Counts' values, and which positions are attended, excused and in a notice:
    computed once per status table, read by every count (a report asks for thousands of rates)."""

    __slots__ = ("at", "attended", "excused", "names", "notice")

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.at = {name: i for i, name in enumerate(names)}
        self.attended = tuple(self.at[v] for v in attended_values() if v in self.at)
        self.excused = tuple(self.at[v] for v in excused_values() if v in self.at)
        self.notice = tuple(self.at[v] for v in notice_values() if v in self.at)


_SHAPES: list[_Shape] = []  # the shape of the status table last seen


def _shape(names: tuple[str, ...]) -> _Shape:
    if _SHAPES and _SHAPES[0].names is names:
        return _SHAPES[0]
    shape = _Shape(names)
    _SHAPES[:] = [shape]
    return shape


def _positions(names: tuple[str, ...]) -> dict[str, int]:
    return _shape(names).at


class Counts:
    """How many participants were expected, per attendance status, and not taken — keyed by status value.

    `Counts(expected=5, present=3, on_leave=1)`; `counts["late"]` or `counts.late`; statuses come from
    enums.STATUS_SPECS, so a new status is counted without touching this class.
    """

    __slots__ = ("_names", "_values", "expected", "not_taken")

    def __init__(self, expected: int = 0, not_taken: int = 0, **by_status: int) -> None:
        known = status_values()
        unknown = set(by_status) - set(known)
        if unknown:
            raise TypeError(f"Counts: unknown attendance status {sorted(unknown)}")
        self.expected = int(expected)
        self.not_taken = int(not_taken)
        self._names = known
        self._values: Sequence[int] = tuple(int(by_status.get(v, 0)) for v in known)

    @classmethod
    def from_columns(cls, values: Sequence[Any]) -> Counts:
        """From the integer values of `count_column_names` in their order (expected, each status, not taken),
        as SQL sums give them: the reports' hot path, thousands per report, so the status counts are kept as
        the slice they came in (no dict per row, no name matching, no conversion). A wrong width raises."""
        return _counts_from_slice(status_values(), values)

    @staticmethod
    def maker() -> Callable[[Sequence[Any]], Counts]:
        """`from_columns` for a loop over thousands of rows of one statement: the status table is read once,
        not per row."""
        return partial(_counts_from_slice, status_values())

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Counts:
        return cls(**{k: int(v or 0) for k, v in values.items()})

    def __getitem__(self, status: str) -> int:
        at = _positions(self._names).get(status)
        return 0 if at is None else self._values[at]

    def __getattr__(self, name: str) -> int:
        # only called when normal lookup fails: `counts.on_leave` reads the status count
        try:
            names = object.__getattribute__(self, "_names")
        except AttributeError:
            raise AttributeError(name) from None
        at = _positions(names).get(name)
        if at is None:
            raise AttributeError(name)
        return int(self._values[at])

    def items(self) -> Iterable[tuple[str, int]]:
        """(status value, count) in display order."""
        return ((v, self[v]) for v in status_values())

    def as_dict(self) -> dict[str, Any]:
        """expected, one entry per status, not_taken, attended and rate (the JSON shape of the CLI)."""
        return {
            "expected": self.expected,
            **dict(self.items()),
            "not_taken": self.not_taken,
            "rate": self.rate,
            "attended": self.attended,
        }

    def _sum_at(self, positions: tuple[int, ...]) -> int:
        values = self._values
        return sum([values[i] for i in positions])

    @property
    def attended(self) -> int:
        return self._sum_at(_shape(self._names).attended)

    @property
    def excused(self) -> int:
        return self._sum_at(_shape(self._names).excused)

    @property
    def unexcused(self) -> int:
        return self._sum_at(_shape(self._names).notice)

    @property
    def rate(self) -> float | None:
        shape = _shape(self._names)
        return attendance_rate(self._sum_at(shape.attended), self.expected, self._sum_at(shape.excused))

    def _key(self) -> tuple[int, ...]:
        return (self.expected, self.not_taken, *(self[v] for v in status_values()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counts) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.items() if v)
        extra = f", {inner}" if inner else ""
        return f"Counts(expected={self.expected}{extra}, not_taken={self.not_taken})"

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.expected + other.expected,
            self.not_taken + other.not_taken,
            **{v: self[v] + other[v] for v in status_values()},
        )


def _counts_from_slice(names: tuple[str, ...], values: Sequence[Any]) -> Counts:
    if len(values) != len(names) + 2:
        raise ValueError(f"Counts.from_columns: {len(values)} values for {len(names) + 2} columns")
    counts = Counts.__new__(Counts)
    counts.expected = values[0]
    counts.not_taken = values[-1]
    counts._names = names
    counts._values = values[1:-1]
    return counts


def attendance_rate(attended: int, expected: int, excused: int) -> float | None:
    denominator = expected - excused
    if denominator <= 0:
        return None
    return attended / denominator


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def count_column_names() -> tuple[str, ...]:
    """The names of `count_columns`, in the same order: expected, each status, not_taken."""
    return ("expected", *status_values(), "not_taken")


def count_columns(status_col: Any, now: datetime) -> list[Any]:
    """SQL aggregate columns (named by `count_column_names`) for a participant status column, in a query that
    joins `training_session`.

    "Not taken" counts only sessions that have begun by `now`: a session not yet held has nothing to take.
    """
    import sqlalchemy as sa

    from zhijin_training.models import TrainingSession

    begun = TrainingSession.starts_at <= now

    def n(value: str) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((status_col == value, 1), else_=0)), 0)

    return [
        sa.func.coalesce(sa.func.sum(sa.case((status_col.is_not(None), 1), else_=0)), 0),
        *(n(spec.value) for spec in status_specs()),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(status_col.is_(None), begun), 1), else_=0)), 0),
    ]


def count_headers(lang: str | None = None) -> tuple[str, ...]:
    """Column headers for `count_values`: 应到, one per status (出勤 迟到 …), 未记录."""
    from zhijin_training.i18n import label, t

    return (
        t("count.expected", lang),
        *(label("status", v, lang) for v in status_values()),
        label("status", None, lang),
    )


def count_values(counts: Counts) -> tuple[int, ...]:
    """The figures under `count_headers`, in the same order."""
    return (counts.expected, *(n for _, n in counts.items()), counts.not_taken)


def counts_from_row(values: Any) -> Counts:
    """Counts from the values of `count_columns`, matched by name (not by the order of Counts' fields)."""
    values = tuple(values)
    names = count_column_names()
    if len(values) != len(names):
        raise ValueError(f"counts_from_row: {len(values)} values for {len(names)} count columns")
    return Counts.from_mapping(dict(zip(names, values, strict=True)))
