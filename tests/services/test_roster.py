from __future__ import annotations

from datetime import date

import pytest

from tests.errors import raises_code
from tests.services.helpers import lecture, secretaries, session_on
from zhijin_training.models import Participant
from zhijin_training.services import roster
from zhijin_training.services.context import Context
from zhijin_training.services.errors import AmbiguousError, ConflictError, NotFoundError, ValidationError


def test_unit_search_by_part_of_name(ctx: Context) -> None:
    assert roster.resolve_unit(ctx, "茶店").name == "茶店布依族苗族彝族乡"
    assert roster.resolve_unit(ctx, "520524204").name == "茶店布依族苗族彝族乡"
    with pytest.raises(AmbiguousError):
        roster.resolve_unit(ctx, "苗族")  # many ethnic townships


def test_cadre_search_finds_unit_and_post(ctx: Context) -> None:
    roster.add_cadre(ctx, name="王芳", unit="茶店", post_title="乡党委书记", role="township_secretary")
    roster.add_cadre(ctx, name="李强", unit="猫场镇", post_title="镇长", role="other")
    assert [c.name for c in roster.list_cadres(ctx, search="茶店")] == ["王芳"]
    assert [c.name for c in roster.list_cadres(ctx, search="镇长")] == ["李强"]
    assert roster.count_cadres(ctx, search="乡党委") == 1


def test_search_treats_like_wildcards_literally(ctx: Context) -> None:
    roster.add_cadre(ctx, name="王_芳", unit="茶店")
    roster.add_cadre(ctx, name="王某芳", unit="茶店")
    assert [c.name for c in roster.list_cadres(ctx, search="王_")] == ["王_芳"]


def test_same_name_needs_unit_or_id(ctx: Context) -> None:
    a = roster.add_cadre(ctx, name="张伟", unit="茶店")
    b = roster.add_cadre(ctx, name="张伟", unit="猫场镇")
    with raises_code(AmbiguousError, "cadre.ambiguous", field="cadre", ref="张伟", count=2):
        roster.resolve_cadre(ctx, "张伟")
    assert roster.resolve_cadre(ctx, "张伟@猫场").id == b.id
    assert roster.resolve_cadre(ctx, f"#{a.id}").id == a.id


def test_move_keeps_post_history(ctx: Context) -> None:
    c = roster.add_cadre(
        ctx,
        name="赵敏",
        unit="茶店",
        post_title="副书记",
        role="deputy_party_building",
        since=date(2025, 1, 1),
    )
    moved = roster.move_cadre(
        ctx,
        c.id,
        unit="猫场镇",
        post_title="镇党委书记",
        role="township_secretary",
        effective=date(2026, 7, 1),
        expected_version=c.version,
    )
    assert moved.unit_name == "猫场镇" and moved.role == "township_secretary"
    history = roster.post_history(ctx, c.id)
    assert [(p.unit_name, p.start_date, p.end_date) for p in history] == [
        ("茶店布依族苗族彝族乡", date(2025, 1, 1), date(2026, 6, 30)),
        ("猫场镇", date(2026, 7, 1), None),
    ]
    with pytest.raises(ValidationError):
        roster.move_cadre(ctx, c.id, unit="茶店", post_title="x", role="other", effective=date(2026, 7, 1))


def test_stale_version_is_refused(ctx: Context) -> None:
    c = roster.add_cadre(ctx, name="钱七", unit="茶店")
    roster.update_cadre(ctx, c.id, phone="13800000000", expected_version=c.version)
    with raises_code(ConflictError, "conflict.changed", entity="cadre", entity_id=c.id):
        roster.update_cadre(ctx, c.id, phone="13900000000", expected_version=c.version)


@pytest.mark.parametrize("bad", ["", "   ", "a\x1b[31mb", "x" * 101])
def test_bad_names_are_refused(ctx: Context, bad: str) -> None:
    with pytest.raises(ValidationError):
        roster.add_cadre(ctx, name=bad, unit="茶店")
    assert roster.count_cadres(ctx) == 0


def test_bad_phone_and_unknown_unit(ctx: Context) -> None:
    with raises_code(ValidationError, "phone.invalid", field="phone", value="call me"):
        roster.add_cadre(ctx, name="甲", unit="茶店", phone="call me")
    with raises_code(NotFoundError, "reference.no_match", field="unit", entity="unit", ref="不存在乡"):
        roster.add_cadre(ctx, name="甲", unit="不存在乡")


def test_unit_in_use_cannot_be_deleted(ctx: Context) -> None:
    unit = roster.resolve_unit(ctx, "茶店")
    roster.add_cadre(ctx, name="甲", unit=unit.id)
    with raises_code(ValidationError, "unit.in_use", field="unit", count=2):  # the cadre and his post
        roster.delete_unit(ctx, unit.id)
    roster.set_unit_active(ctx, unit.id, False)
    assert roster.resolve_unit(ctx, unit.id).active is False


def test_participant_unit_follows_post_held_on_the_day(ctx: Context) -> None:
    [c] = secretaries(ctx, 1)
    p = lecture(ctx)
    before = session_on(ctx, p.id, date(2026, 6, 10))
    roster.move_cadre(
        ctx,
        c.id,
        unit="猫场镇",
        post_title="镇党委书记",
        role="township_secretary",
        effective=date(2026, 7, 1),
    )
    after = session_on(ctx, p.id, date(2026, 7, 10))
    with ctx.db.read() as s:
        from sqlmodel import select

        units = {r.session_id: r.unit_id for r in s.exec(select(Participant)).all()}
    assert units[before.id] == c.unit_id
    assert units[after.id] == roster.resolve_unit(ctx, "猫场镇").id


def test_deactivated_cadre_leaves_default_audience(ctx: Context) -> None:
    a, _b = secretaries(ctx, 2)
    roster.set_cadre_active(ctx, a.id, False)
    s = session_on(ctx, lecture(ctx).id, date(2026, 12, 4))
    assert s.participant_count == 1


def test_cadre_and_unit_names_read_at_once(ctx: Context) -> None:
    people = secretaries(ctx, 2)
    names = roster.cadre_names(ctx, [people[0].id, people[1].id, people[0].id, 10**9])
    assert names == {p.id: p.name for p in people}  # an id that is not there is left out
    assert roster.cadre_names(ctx, []) == {}
    units = roster.unit_names(ctx)
    assert units == {u.id: u.name for u in roster.list_units(ctx)}
