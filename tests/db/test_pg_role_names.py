"""`db roles` names: what reaches CREATE ROLE is a plain login name (always quoted with sql.Identifier too)."""

from __future__ import annotations

import pytest

from zhijin_training.db.pg_roles import GROUPS, RolesError, check_name


@pytest.mark.parametrize("name", ["wangfang", "li_hua", "zt-t-viewer", "a.b", "_x1"])
def test_login_names_accepted(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "Wang", "bad;name", 'x"; DROP ROLE postgres; --', "a b", "1abc", "zt_owner", "zt_admin", "pg_monitor",
     "postgres", "public", "x" * 64, "李华"],
)
def test_bad_login_names_refused_with_a_code(name: str) -> None:
    with pytest.raises(RolesError) as caught:
        check_name(name)
    assert caught.value.code == "pg.bad_name" and caught.value.field == "user"


def test_groups_are_the_app_roles() -> None:
    from zhijin_training.settings import AccessRole

    assert set(GROUPS) == set(AccessRole.ORDER)
