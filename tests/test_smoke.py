from zhijin_training.services import roster, schedule
from zhijin_training.services.context import Context


def test_seeded_has_32_townships(ctx: Context) -> None:
    assert len(roster.list_units(ctx, kind="township")) == 32


def test_demo_has_sessions(demo_ctx: Context) -> None:
    assert len(schedule.list_sessions(demo_ctx)) > 20
