"""Issue 10 item 5 (c) and (d): one rule for "below the threshold"; the unit held at the time in cadre ledgers."""

from __future__ import annotations

from datetime import date

from tests.reports.test_reports_arith import Q3
from zhijin_training.services import reports
from zhijin_training.services.context import Context
from zhijin_training.services.rates import Counts
from zhijin_training.sheets.ledger import cadre_ledger
from zhijin_training.timeutil import local_date, quarter_of


def test_overview_and_review_name_the_same_cadres_below_the_threshold_on_the_demo(demo_ctx: Context) -> None:
    from zhijin_training.tui.screens.overview import _quarter_figures

    quarter = quarter_of(local_date(demo_ctx.now()))
    review = reports.quarterly_review(demo_ctx, quarter)
    overview = _quarter_figures(demo_ctx)
    assert overview is not None
    assert review.below, "the demo has cadres below the threshold: the comparison must mean something"
    assert len(overview.below) == len(review.below)
    assert [name for name, _unit, _rate in overview.below] == [c.name for c in review.below]
    assert overview.threshold == review.threshold
    # the overview's office-wide rate is every participant of the quarter, as before
    start, end = review.start, review.end
    everyone = sum((u.counts for u in reports.attendance_by_unit(demo_ctx, start, end)), Counts())
    assert overview.rate == everyone.rate


def test_cadre_rows_note_the_sessions_attended_from_another_unit(world) -> None:
    rows = {r.cadre_id: r for r in reports.attendance_by_cadre(world.ctx, *Q3)}
    # 丁四 moved 牛场镇 -> 桂果镇 on 08-15: S1, S2 in 牛场镇, S3 in 桂果镇; his row shows today's unit
    d = rows[world.d]
    assert d.unit_name == "桂果镇"
    assert d.elsewhere == (("牛场镇", 2),)
    assert all(r.elsewhere == () for cid, r in rows.items() if cid != world.d)
    ledger = cadre_ledger(list(rows.values()), *Q3)
    remarks = {row[2]: row[-1] for row in ledger.rows}
    assert remarks["丁四"] == "其中2场时在牛场镇"
    assert remarks["甲一"] == ""


def test_drill_down_shows_the_unit_held_at_each_session(world) -> None:
    rows = reports.sessions_behind(world.ctx, cadre_id=world.d, start=Q3[0], end=Q3[1])
    assert [(r.unit_name, r.current_unit_name, r.unit_changed) for r in rows] == [
        ("牛场镇", "桂果镇", True),
        ("牛场镇", "桂果镇", True),
        ("桂果镇", "桂果镇", False),
    ]
    assert rows[0].starts_at.date() < date(2026, 8, 15) <= rows[2].starts_at.date()


def test_the_cadre_report_marks_rows_with_sessions_from_another_unit(world) -> None:
    from zhijin_training.tui.screens.reports import row_values

    rows = {r.cadre_id: r for r in reports.attendance_by_cadre(world.ctx, *Q3)}
    assert row_values("cadre", rows[world.d])[1] == "桂果镇 *"
    assert row_values("cadre", rows[world.a])[1] == "城关镇"
