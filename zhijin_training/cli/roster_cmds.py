"""`units …` and `cadres …`: the roster from the command line."""

from __future__ import annotations

import typer

from zhijin_training.cli.common import context, opt_date, print_json, print_table, say
from zhijin_training.i18n import label
from zhijin_training.services import roster

units_app = typer.Typer(
    help="乡镇（街道）与县直部门 Township-level units and county departments.", no_args_is_help=True
)
cadres_app = typer.Typer(help="干部名册 The cadre roster.", no_args_is_help=True)


@units_app.command("list")
def units_list(
    kind: str = typer.Option("township", help="township (乡镇/街道, the default), department, or all"),
    search: str = typer.Option(None, "--search", "-s", help="part of a name, e.g. 茶店"),
    all_: bool = typer.Option(False, "--all", help="include inactive (historic) units"),
    json_: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List units (township-level first, in official order)."""
    units = roster.list_units(
        context(), kind=None if kind == "all" else kind, active_only=not all_, search=search
    )
    if json_:
        print_json(units)
        return
    print_table(
        f"单位 Units ({len(units)})",
        ["#", "名称 name", "类别 kind", "代码 code", "状态 active"],
        [
            (u.id, u.name, u.subkind or label("unit_kind", u.kind), u.code or "", "" if u.active else "停用")
            for u in units
        ],
    )


@units_app.command("add")
def units_add(
    name: str,
    kind: str = typer.Option("township", help="township or department"),
    subkind: str = typer.Option("", help="乡 / 镇 / 街道"),
    code: str = typer.Option(None, help="official statistical code"),
) -> None:
    """Add a unit."""
    unit = roster.add_unit(context(), name=name, kind=kind, subkind=subkind, code=code)
    say("cli.added_unit", id=unit.id)


@units_app.command("deactivate")
def units_deactivate(ref: str) -> None:
    """Stop offering a unit (history keeps it; units are never deleted while referred to)."""
    ctx = context()
    unit = roster.resolve_unit(ctx, ref)
    roster.set_unit_active(ctx, unit.id, False, expected_version=unit.version)
    say("cli.deactivated_unit", id=unit.id)


@cadres_app.command("list")
def cadres_list(
    search: str = typer.Option(None, "--search", "-s", help="name, unit, post, number or phone"),
    unit: str = typer.Option(None, help="unit id, code or name"),
    role: str = typer.Option(None, help="township_secretary, deputy_party_building, department_head, other"),
    all_: bool = typer.Option(False, "--all", help="include inactive cadres"),
    json_: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List cadres, ordered by unit."""
    ctx = context()
    unit_id = roster.resolve_unit(ctx, unit).id if unit else None
    cadres = roster.list_cadres(ctx, search=search, unit_id=unit_id, role=role, active_only=not all_)
    if json_:
        print_json(cadres)
        return
    print_table(
        f"干部 Cadres ({len(cadres)})",
        ["#", "姓名 name", "单位 unit", "职务 post", "角色 role", "电话 phone"],
        [(c.id, c.name, c.unit_name, c.post_title, label("role", c.role), c.phone) for c in cadres],
    )


@cadres_app.command("add")
def cadres_add(
    name: str,
    unit: str = typer.Option(..., help="unit id, code or name"),
    post: str = typer.Option("", help="post title, e.g. 乡党委书记"),
    role: str = typer.Option(
        "other", help="township_secretary, deputy_party_building, department_head, other"
    ),
    phone: str = typer.Option(""),
    ref: str = typer.Option(None, help="the office's person number"),
    note: str = typer.Option(""),
    since: str = typer.Option(None, help="post held since (date)"),
) -> None:
    """Add a cadre with their current post."""
    cadre = roster.add_cadre(
        context(),
        name=name,
        unit=unit,
        post_title=post,
        role=role,
        phone=phone,
        ref=ref,
        note=note,
        since=opt_date(since, "--since"),
    )
    say("cli.added_cadre", id=cadre.id)


@cadres_app.command("move")
def cadres_move(
    cadre: str = typer.Argument(..., help="#id, person number or name@unit"),
    unit: str = typer.Option(..., help="new unit"),
    post: str = typer.Option(..., help="new post title"),
    role: str = typer.Option(..., help="new role"),
    effective: str = typer.Option(..., "--from", help="first day in the new post"),
) -> None:
    """Move a cadre to another post (promotion, transfer); post history is kept."""
    ctx = context()
    person = roster.resolve_cadre(ctx, cadre)
    roster.move_cadre(
        ctx,
        person.id,
        unit=unit,
        post_title=post,
        role=role,
        effective=opt_date(effective, "--from"),
        expected_version=person.version,
    )  # type: ignore[arg-type]
    say("cli.moved_cadre", id=person.id)


@cadres_app.command("deactivate")
def cadres_deactivate(cadre: str, on: str = typer.Option(None, help="last day (default today)")) -> None:
    """Deactivate a cadre (retired, left the county); attendance history stays."""
    ctx = context()
    person = roster.resolve_cadre(ctx, cadre)
    roster.set_cadre_active(ctx, person.id, False, expected_version=person.version, on=opt_date(on, "--on"))
    say("cli.deactivated_cadre", id=person.id)


@cadres_app.command("history")
def cadres_history(cadre: str, json_: bool = typer.Option(False, "--json")) -> None:
    """The posts a cadre held, with dates."""
    ctx = context()
    person = roster.resolve_cadre(ctx, cadre)
    posts = roster.post_history(ctx, person.id)
    if json_:
        print_json(posts)
        return
    print_table(
        f"{person.name} 任职经历 post history",
        ["单位 unit", "职务 post", "从 from", "至 to"],
        [(p.unit_name, p.post_title, p.start_date, p.end_date or "") for p in posts],
    )
