"""The attendance status table (enums.STATUS_SPECS) drives the counters, report columns and ledger headers.

The second half adds a status the way a maintainer would — one spec and its two catalogue labels — and
checks that everything generated from the table follows without another edit.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.services.helpers import lecture, secretaries, session_on
from zhijin_training import enums, i18n
from zhijin_training.enums import AttendanceStatus, Counting, StatusSpec, status_spec, status_values
from zhijin_training.services import attendance, reports
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.rates import Counts, count_columns, count_headers, count_values, counts_from_row
from zhijin_training.services.validation import parse_status
from zhijin_training.sheets import ledger

ONLINE = StatusSpec("online", "o", "blue", Counting.ATTENDED)  # 线上参加: watched at a branch venue online


def test_the_table_matches_the_stored_enum_and_the_rate_rule() -> None:
    assert status_values() == tuple(s.value for s in AttendanceStatus)
    assert [s.value for s in enums.statuses_where(attended=True)] == ["present", "late", "left_early"]
    assert [s.value for s in enums.statuses_where(excused=True)] == ["on_leave"]
    assert [s.value for s in enums.statuses_where(in_notice=True)] == ["absent"]
    assert (
        status_spec("on_leave").needs == ("leave_reason", "approved_by")
        and status_spec("on_leave").in_advance
    )
    assert status_spec("deputy").needs == ("deputy_name",) and status_spec("deputy").absent
    keys = [s.key for s in enums.status_specs()]
    assert len(set(keys)) == len(keys)  # one key letter per status
    with pytest.raises(KeyError):
        status_spec("nap")


def test_counts_are_keyed_by_status_not_by_position() -> None:
    c = Counts(expected=5, on_leave=1, present=3, absent=1)
    assert c["present"] == c.present == 3 and c.on_leave == 1 and c.late == 0
    assert c.attended == 3 and c.excused == 1 and c.unexcused == 1 and c.rate == 3 / 4
    assert counts_from_row([5, 3, 0, 0, 1, 1, 0, 0]) == c  # the SQL columns' order is the table's order
    with pytest.raises(TypeError):
        Counts(expected=1, nap=1)
    with pytest.raises(ValueError):
        counts_from_row([1, 2, 3])  # a column missing is refused, not shifted
    assert count_headers("zh") == ("应到", "出勤", "迟到", "早退", "请假", "缺席", "代会", "未记录")
    assert count_values(c) == (5, 3, 0, 0, 1, 1, 0, 0)


def test_counts_from_sql_columns_read_like_counts_built_by_name() -> None:
    """The reports' fast constructor keeps the row's slice: the same counts, the same width check."""
    c = Counts.from_columns((5, 3, 0, 0, 1, 1, 0, 0))
    by_name = Counts(expected=5, on_leave=1, present=3, absent=1)
    assert (
        c == by_name
        and hash(c) == hash(by_name)
        and c + by_name == Counts(expected=10, present=6, on_leave=2, absent=2)
    )
    assert c.present == c["present"] == 3 and c["nap"] == 0 and c.rate == 3 / 4
    with pytest.raises(AttributeError):
        _ = c.nap
    with pytest.raises(ValueError):
        Counts.from_columns((1, 2, 3))


def test_unknown_status_is_a_coded_error() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_status("nap")
    assert exc.value.code == "value.unknown" and exc.value.field == "status"
    assert exc.value.params["allowed"] == list(status_values())
    assert parse_status("请假").value == "on_leave" and parse_status("On leave").value == "on_leave"


@pytest.fixture
def with_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new status: one spec in the table and its label in each catalogue — nothing else."""
    monkeypatch.setattr(enums, "STATUS_SPECS", (*enums.STATUS_SPECS, ONLINE))
    monkeypatch.setitem(i18n._catalogue("zh"), "status.online", "线上")
    monkeypatch.setitem(i18n._catalogue("en"), "status.online", "Online")


@pytest.mark.usefixtures("with_online")
def test_a_new_status_is_counted_and_shown_everywhere(ctx: Context) -> None:
    assert "online" in status_values()
    c = Counts(expected=4, online=2, present=1, absent=1)
    assert c.online == 2 and c.attended == 3 and c.rate == 3 / 4
    assert len(count_columns(sa.column("status"), ctx.now())) == len(count_headers()) == 9
    assert count_headers("zh")[-2:] == ("线上", "未记录") and count_headers("en")[-2] == "Online"
    assert count_values(c) == (4, 1, 0, 0, 0, 1, 0, 2, 0)

    # end to end: take it, count it in a session, a cadre report and a ledger
    people = secretaries(ctx, 2)
    day = date(2026, 11, 20)
    session = session_on(ctx, lecture(ctx).id, day, participants=[p.id for p in people])
    attendance.mark(ctx, session.id, people[0].id, attendance.Mark("线上"))  # by its label, too
    attendance.mark(ctx, session.id, people[1].id, attendance.Mark("absent"))
    sheet = attendance.session_attendance(ctx, session.id)
    assert sheet.counts == Counts(expected=2, online=1, absent=1)
    rows = {r.cadre_id: r for r in reports.attendance_by_cadre(ctx, day, day + timedelta(days=1))}
    assert rows[people[0].id].counts == Counts(expected=1, online=1) and rows[people[0].id].counts.rate == 1.0
    book = ledger.cadre_ledger(list(rows.values()), day, day)
    headers = [col.header for col in book.columns]
    assert "线上" in headers
    online_col = headers.index("线上")
    assert sorted(row[online_col] for row in book.rows) == [0, 1]


@pytest.mark.usefixtures("with_online")
def test_a_new_status_that_needs_a_field_is_checked(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_venue = StatusSpec("online", "o", "blue", Counting.ATTENDED, needs=("note",))
    monkeypatch.setattr(enums, "STATUS_SPECS", (*enums.STATUS_SPECS[:-1], needs_venue))
    people = secretaries(ctx, 1)
    session = session_on(ctx, lecture(ctx).id, date(2026, 11, 20), participants=[people[0].id])
    with pytest.raises(ValidationError) as exc:
        attendance.mark(ctx, session.id, people[0].id, attendance.Mark("online"))
    assert exc.value.code == "attendance.detail_required" and exc.value.field == "note"
