"""The demo database's quarterly review, checked for two units with independent raw SQL."""

from __future__ import annotations

import sqlalchemy as sa

from zhijin_training.services import reports
from zhijin_training.services.context import Context

# 2026Q3 in Zhijin = [2026-07-01 00:00, 2026-10-01 00:00) local = these naive UTC instants
RAW = """
SELECT p.status, COUNT(*) FROM participant p
JOIN training_session s ON s.id = p.session_id
JOIN unit u ON u.id = p.unit_id
WHERE u.name = :unit AND s.status <> 'cancelled'
  AND s.starts_at >= '2026-06-30 16:00:00' AND s.starts_at < '2026-09-30 16:00:00'
GROUP BY p.status
"""


def raw_rate(ctx: Context, unit: str) -> tuple[dict[str | None, int], float]:
    with ctx.db.engine.connect() as conn:
        tally = {status: n for status, n in conn.execute(sa.text(RAW), {"unit": unit})}
    attended = tally.get("present", 0) + tally.get("late", 0) + tally.get("left_early", 0)
    taken = sum(n for status, n in tally.items() if status is not None)
    return tally, attended / (taken - tally.get("on_leave", 0))


def test_demo_review_matches_raw_sql_for_two_units(demo_ctx: Context) -> None:
    review = reports.quarterly_review(demo_ctx, "2026Q3")
    rows = {r.unit_name: r for r in review.rows}
    for unit in ("城关镇", "八步镇"):
        tally, rate = raw_rate(demo_ctx, unit)
        row = rows[unit]
        assert row.rate == rate
        assert row.counts.expected == sum(n for s, n in tally.items() if s is not None)
        assert row.counts.absent == tally.get("absent", 0)
        assert row.counts.not_taken == tally.get(None, 0)
    # the ranking is by rate, ties share a rank
    rates = [r.rate for r in review.rows if r.rate is not None]
    assert rates == sorted(rates, reverse=True)
    for a, b in zip(review.rows, review.rows[1:], strict=False):
        if a.rate == b.rate:
            assert a.rank == b.rank
