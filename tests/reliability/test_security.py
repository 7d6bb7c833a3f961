"""Roles from the system config, private file modes, an append-only audit log, reasons for corrections."""

from __future__ import annotations

import grp
import json
import os
import re
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from reliability.helpers import ROOT, cli_env, dump, make_private, run_cli
from zhijin_training import settings as settings_mod
from zhijin_training.db import Database
from zhijin_training.services import attendance, maintenance, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import PermissionDenied, ValidationError
from zhijin_training.settings import AccessRole, ConfigError, load_settings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(path))
    monkeypatch.delenv("ZHIJIN_TRAINING_USER", raising=False)
    monkeypatch.setattr(settings_mod, "SYSTEM_CONFIG", tmp_path / "etc-config.toml")
    return path


def _as(ctx: Context, role: str) -> Context:
    return Context(db=ctx.db, actor=Actor(f"a-{role}", role), clock=ctx.clock)


def test_roles_from_users_and_groups(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    my_group = grp.getgrgid(os.getgid()).gr_name
    config.write_text(
        f'[roles]\nadmins = ["wang"]\neditors = ["@{my_group}", "li"]\nviewers = ["zhao"]\ndefault = "none"\n',
        encoding="utf-8",
    )
    assert load_settings().role == AccessRole.EDITOR  # the real OS user, through its group
    for user, role in (("wang", "admin"), ("li", "editor"), ("zhao", "viewer")):
        monkeypatch.setenv("ZHIJIN_TRAINING_USER", user)
        assert load_settings().role == role
    monkeypatch.setenv("ZHIJIN_TRAINING_USER", "stranger")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.code == "config.no_role" and refused.value.params["user"] == "stranger"


@pytest.mark.parametrize(
    "table",
    ['default = "superuser"', 'admins = "wang"', "owners = []", "roles = 3"],
)
def test_bad_roles_tables_are_refused(config: Path, table: str) -> None:
    config.write_text(("[roles]\n" if "roles =" not in table else "") + table + "\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings()


def test_acting_as_another_user_needs_admin(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A viewer cannot become an admin by setting ZHIJIN_TRAINING_USER."""
    config.write_text('[roles]\nadmins = ["wang"]\nviewers = ["clerk"]\n', encoding="utf-8")
    monkeypatch.setattr(settings_mod, "real_uid", lambda: 4242)  # not root, not the config's owner
    monkeypatch.setattr(settings_mod, "real_os_user", lambda: "clerk")
    assert load_settings().role == AccessRole.VIEWER
    monkeypatch.setenv("ZHIJIN_TRAINING_USER", "wang")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.code == "config.act_as_needs_admin"
    monkeypatch.setattr(settings_mod, "real_os_user", lambda: "wang")
    monkeypatch.setenv("ZHIJIN_TRAINING_USER", "clerk")
    assert load_settings().user == "clerk"  # an admin may act as someone else (tests, scripts)


def test_system_roles_win_over_a_users_own_config(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc-config.toml").write_text(
        '[roles]\nadmins = ["wang"]\ndefault = "viewer"\n', encoding="utf-8"
    )
    config.write_text('[roles]\nadmins = ["clerk"]\n', encoding="utf-8")
    monkeypatch.setattr(settings_mod, "real_os_user", lambda: "clerk")
    assert load_settings().role == AccessRole.VIEWER


def test_viewer_cannot_change_anything(ctx: Context, db_path: Path) -> None:
    unit = roster.list_units(ctx)[0]
    cadre = roster.add_cadre(ctx, name="王五", unit=unit.id)
    sid = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=_programme(ctx), first_day=date(2026, 11, 2), participants=(cadre.id,)
        ),
        force=True,
    ).id
    before = dump(db_path)
    viewer = _as(ctx, "viewer")
    attempts = [
        lambda: roster.add_unit(viewer, name="x", kind="township"),
        lambda: roster.set_unit_active(viewer, unit.id, False),
        lambda: roster.add_cadre(viewer, name="x", unit=unit.id),
        lambda: roster.update_cadre(viewer, cadre.id, name="y"),
        lambda: roster.move_cadre(
            viewer, cadre.id, unit=unit.id, post_title="p", role="other", effective=date(2027, 1, 1)
        ),
        lambda: roster.set_cadre_active(viewer, cadre.id, False),
        lambda: schedule.create_session(
            viewer, schedule.SessionDraft(programme=_programme(ctx), first_day=date(2026, 11, 6))
        ),
        lambda: schedule.update_session(
            viewer, sid, schedule.SessionChanges(note="x"), expected_version=None
        ),
        lambda: schedule.cancel_session(viewer, sid, expected_version=None),
        lambda: attendance.mark(viewer, sid, cadre.id, attendance.Mark("present")),
        lambda: attendance.mark_many(viewer, sid, {cadre.id: attendance.Mark("present")}),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="viewer"):
            attempt()
    assert dump(db_path) == before


def _programme(ctx: Context) -> int:
    from reliability.helpers import lecture_programme

    return lecture_programme(ctx)


def test_editor_takes_attendance_but_cannot_change_the_roster(ctx: Context, db_path: Path) -> None:
    unit = roster.list_units(ctx)[0]
    cadre = roster.add_cadre(ctx, name="赵六", unit=unit.id)
    editor = _as(ctx, "editor")
    before = dump(db_path)
    for attempt in (
        lambda: roster.add_unit(editor, name="x", kind="township"),
        lambda: roster.add_cadre(editor, name="x", unit=unit.id),
        lambda: roster.update_cadre(editor, cadre.id, phone="13800000000"),
        lambda: roster.set_cadre_active(editor, cadre.id, False),
    ):
        with pytest.raises(PermissionDenied, match="editor"):
            attempt()
    assert dump(db_path) == before
    sid = schedule.create_session(
        editor,
        schedule.SessionDraft(
            programme=_programme(ctx), first_day=date(2026, 11, 2), participants=(cadre.id,)
        ),
        force=True,
    ).id
    assert attendance.mark(editor, sid, cadre.id, attendance.Mark("present")).status == "present"
    assert roster.add_unit(_as(ctx, "admin"), name="管理员可以", kind="township").name == "管理员可以"


def test_cli_refuses_a_viewer_with_one_line(demo_path: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[roles]\nviewers = ["guest"]\ndefault = "none"\n', encoding="utf-8")
    before = dump(demo_path)
    env = cli_env(demo_path, ZHIJIN_TRAINING_CONFIG=str(cfg), ZHIJIN_TRAINING_USER="guest")
    done = run_cli(["cadres", "add", "李四", "--unit", "茶店"], env=env)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "guest" in err and "查看" in err and err.count("\n") == 1
    assert dump(demo_path) == before


def test_database_wal_and_backups_are_not_world_readable(tmp_path: Path) -> None:
    old = os.umask(0)  # even with a careless umask
    try:
        ctx = Context(db=Database(f"sqlite:///{tmp_path / 'new.db'}"), actor=Actor("t"))
        from zhijin_training.services.seeding import init_database

        init_database(ctx)
        with ctx.db.write() as s:  # keep a WAL around
            s.connection().exec_driver_sql("CREATE TABLE IF NOT EXISTS t_probe(x)")
        copy = maintenance.backup(ctx.db, tmp_path / "backups" / "copy.db")
    finally:
        os.umask(old)
    for path in [tmp_path / "new.db", tmp_path / "new.db-wal", tmp_path / "new.db-shm", copy]:
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0, f"{path}: {oct(path.stat().st_mode)}"
    assert maintenance.permission_warning(ctx.db) is None
    (tmp_path / "new.db").chmod(0o644)
    warning = maintenance.permission_warning(ctx.db)
    assert warning is not None and "chmod o-rwx" in warning
    ctx.db.dispose()


def test_audit_log_cannot_be_edited(ctx: Context, db_path: Path) -> None:
    roster.add_unit(ctx, name="审计测试", kind="township")
    conn = sqlite3.connect(db_path)
    for sql in ("UPDATE audit_log SET os_user = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()
    # no code path of the program updates or deletes audit entries
    pattern = re.compile(
        r"(update|delete)\s*\(\s*AuditEntry|(UPDATE|DELETE\s+FROM)\s+audit_log|delete\(entry", re.I
    )
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "zhijin_training").rglob("*.py")
        if "migrations" not in p.parts and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_attendance_corrections_need_a_reason(ctx: Context) -> None:
    cadre = roster.add_cadre(ctx, name="钱七", unit=roster.list_units(ctx)[0].id)
    sid = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=_programme(ctx), first_day=date(2026, 11, 20), participants=(cadre.id,)
        ),
        force=True,
    ).id
    attendance.mark(ctx, sid, cadre.id, attendance.Mark("absent"))
    other = Context(db=ctx.db, actor=Actor("li", "editor"), clock=ctx.clock)
    with pytest.raises(ValidationError) as refused:
        attendance.mark(other, sid, cadre.id, attendance.Mark("present"))
    assert refused.value.code == "attendance.correction_required" and refused.value.field == "reason"
    fixed = attendance.mark(other, sid, cadre.id, attendance.Mark("present", correction_reason="补交请假条"))
    assert fixed.status == "present"
    from zhijin_training.services import audit

    latest = audit.list_entries(ctx, session_id=sid, cadre_id=cadre.id)[0]
    assert (latest.user, latest.reason) == ("li", "补交请假条")


def test_audit_list_command(demo_path: Path) -> None:
    make_private(demo_path)
    clerk = Context(db=Database(f"sqlite:///{demo_path}"), actor=Actor("li", "editor"))
    attendance.mark(clerk, 2, "#3", attendance.Mark("absent", correction_reason="核对签到表"))
    clerk.db.dispose()
    listed = run_cli(
        [
            "audit",
            "list",
            "--session",
            "2",
            "--cadre",
            "#3",
            "--from",
            "2026-01-01",
            "--to",
            "2099-12-31",
            "--json",
        ],
        demo_path,
    )
    assert listed.returncode == 0, listed.stderr.decode()
    entries = json.loads(listed.stdout)
    assert entries and all(e["session_id"] == 2 and e["cadre_id"] == 3 for e in entries)
    assert entries[0]["reason"] == "核对签到表"
    table = run_cli(["audit", "list", "--session", "2"], env=cli_env(demo_path, COLUMNS="300"))
    assert table.returncode == 0 and "核对签到表" in table.stdout.decode()
    bad = run_cli(["audit", "list", "--from", "2026-02-30"], demo_path)
    assert bad.returncode == 1 and "2026-02-30" in bad.stderr.decode()
