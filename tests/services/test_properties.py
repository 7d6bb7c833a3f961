"""Property tests of the small pure pieces every figure rests on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhijin_training.enums import status_values
from zhijin_training.services.rates import Counts, attendance_rate
from zhijin_training.services.validation import clean_text
from zhijin_training.textsafe import neutralise_formula, printable
from zhijin_training.timeutil import (
    format_local,
    local_date,
    local_midnight,
    parse_date,
    parse_local_datetime,
    quarter_bounds,
    quarter_of,
    to_local,
    to_utc,
)

counts = st.builds(
    lambda expected, not_taken, figures: Counts(expected, not_taken, **figures),
    st.integers(0, 500),
    st.integers(0, 500),
    st.fixed_dictionaries({v: st.integers(0, 500) for v in status_values()}),
)


@given(counts)
def test_rate_is_a_fraction_or_undefined(c: Counts) -> None:
    expected = sum(n for _, n in c.items())
    c = Counts(expected, c.not_taken, **dict(c.items()))
    rate = c.rate
    if expected - c.on_leave == 0:
        assert rate is None
    else:
        assert rate is not None and 0.0 <= rate <= 1.0


@given(st.integers(0, 100), st.integers(0, 100))
def test_leave_is_excused(attended: int, leave: int) -> None:
    assert attendance_rate(attended, attended + leave, leave) == (1.0 if attended else None)


@given(counts, counts)
def test_counts_add_fieldwise(a: Counts, b: Counts) -> None:
    total = a + b
    assert total.expected == a.expected + b.expected and total.attended == a.attended + b.attended


@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2100, 1, 1)))
def test_local_utc_round_trip(naive: datetime) -> None:
    instant = to_utc(naive)  # naive means Shanghai wall time
    assert instant.tzinfo is not None and to_local(instant).replace(tzinfo=None) == naive
    assert instant.utcoffset() == timedelta(0)
    assert naive - instant.replace(tzinfo=None) == timedelta(hours=8)  # no DST since 1991


@given(st.dates(min_value=date(1992, 1, 1), max_value=date(2100, 1, 1)))
def test_date_parsing_and_midnight(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert local_date(local_midnight(day)) == day
    assert parse_local_datetime(f"{day.isoformat()} 15:00") == local_midnight(day) + timedelta(hours=15)
    start, end = quarter_bounds(quarter_of(day))
    assert start <= day <= end


def test_historic_dst_is_respected() -> None:
    # China observed DST in summer 1986–1991: 1990-07-01 12:00 local was 03:00 UTC
    assert to_utc(datetime(1990, 7, 1, 12, 0)) == datetime(1990, 7, 1, 3, 0, tzinfo=UTC)
    assert format_local(datetime(1990, 7, 1, 3, 0, tzinfo=UTC)) == "1990-07-01 12:00"


@given(st.text())
def test_printable_never_contains_control_characters(text: str) -> None:
    shown = printable(text)
    assert "\x1b" not in shown and "\x00" not in shown and "\r" not in shown and "\n" not in shown


@given(st.text(min_size=1))
def test_formulas_are_neutralised(text: str) -> None:
    out = neutralise_formula(text)
    assert isinstance(out, str)
    assert not out.startswith(("=", "+", "-", "@"))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co")), max_size=50))
def test_clean_text_keeps_ordinary_text(text: str) -> None:
    assert clean_text(text, "f") == text.strip()
