"""Issue 11: the holes closed — config schema, tamper evidence on SQLite, hostile restores, safe files,
one-line answers to bad command lines."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from reliability.helpers import cli_env, dump, make_private, run_cli
from zhijin_training import settings as settings_mod
from zhijin_training.db import Database
from zhijin_training.db.chain import GENESIS, entry_hash
from zhijin_training.services import audit, maintenance
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import DomainError, PermissionDenied
from zhijin_training.settings import ConfigError, load_settings


# ---------------------------------------------------------------- config schema
@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(path))
    monkeypatch.delenv("ZHIJIN_TRAINING_USER", raising=False)
    monkeypatch.setattr(settings_mod, "SYSTEM_CONFIG", tmp_path / "etc-config.toml")
    return path


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ('[role]\nadmins = ["wang"]\n', "config.unknown_section", "role"),
        ('[office]\nnmae = "x"\n', "config.unknown_key", "nmae"),
        ('[database]\npaht = "/srv/x.db"\n', "config.unknown_key", "paht"),
        ('stray = 1\n', "config.unknown_section", "stray"),
    ],
)
def test_unknown_sections_and_keys_refuse_to_start(config: Path, text: str, code: str, name: str) -> None:
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.code == code
    assert name in (refused.value.params.get("section"), refused.value.params.get("key"))


def test_a_misspelt_roles_section_makes_nobody_admin_on_the_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[role]\nadmins = ["wang"]\n', encoding="utf-8")
    done = run_cli(["units", "list"], env=cli_env(tmp_path / "x.db", ZHIJIN_TRAINING_CONFIG=str(cfg)))
    err = done.stderr.decode()
    assert done.returncode == 1 and err.count("\n") == 1 and "[role]" in err


def test_sections_owned_elsewhere_are_known(config: Path) -> None:
    config.write_text(
        '[keys]\nquit = "ctrl+q"\n[hours]\nper_day = 7.5\n[notice]\nfoo = 1\n'
        '[office]\ncontact = "王芳"\nphone = "0857-1234567"\n',
        encoding="utf-8",
    )
    assert load_settings().extra["hours"]["per_day"] == 7.5
    settings_mod.declare_config_section("feeds", frozenset({"dir"}))
    assert "feeds" in settings_mod.CONFIG_SCHEMA
    del settings_mod.CONFIG_SCHEMA["feeds"]


# ---------------------------------------------------------------- the hash chain
def _chain_table(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, prev_hash, entry_hash FROM audit_log ORDER BY id").fetchall()
    finally:
        conn.close()


def test_every_entry_links_to_the_one_before(demo_ctx: Context, demo_path: Path) -> None:
    rows = _chain_table(demo_path)
    assert rows[0][1] == GENESIS and all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    report = audit.verify_chain(demo_ctx)
    assert report.ok and report.count == len(rows)
    assert audit.replay_check(demo_ctx) == []
    count, digest = audit.receipt(demo_ctx).split(":")
    assert int(count) == len(rows) and rows[-1][2].startswith(digest) and len(digest) == 12


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _check(path: Path, *extra: str) -> tuple[int, str]:
    done = run_cli(["--lang", "en", "check", *extra], make_private(path))
    return done.returncode, done.stdout.decode() + done.stderr.decode()


def test_check_finds_a_mark_changed_with_the_sqlite_shell(demo_path: Path) -> None:
    code, out = _check(demo_path)
    assert code == 0, out
    assert "on SQLite everyone who can open" in out and "PostgreSQL" in out
    _sql(demo_path, "UPDATE participant SET status = 'present' WHERE id = (SELECT MIN(id) FROM participant "
                    "WHERE status = 'absent')")
    code, out = _check(demo_path)
    assert code == 1 and "participant #" in out and "(status" in out, out


def test_check_names_the_first_deleted_audit_entry(demo_path: Path) -> None:
    _sql(demo_path, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE id = 120")
    code, out = _check(demo_path)
    assert code == 1 and "BROKEN at entry #121" in out, out


def test_a_rewritten_log_with_a_recomputed_chain_fails_its_receipt(demo_ctx: Context, demo_path: Path) -> None:
    printed = audit.receipt(demo_ctx)
    demo_ctx.db.dispose()
    code, out = _check(demo_path, "--receipt", printed)
    assert code == 0 and "unchanged since that printout" in out, out
    # a careful colleague rewrites one old mark AND recomputes every hash after it
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    target = conn.execute(
        "SELECT id, entity_id FROM audit_log WHERE entity = 'attendance' AND json_extract(after, '$.status') "
        "= 'absent' ORDER BY id LIMIT 1"
    ).fetchone()
    conn.execute("UPDATE audit_log SET after = json_set(after, '$.status', 'present') WHERE id = ?", (target[0],))
    conn.execute("UPDATE participant SET status = 'present' WHERE id = ?", (target[1],))
    prev = GENESIS
    for row in list(audit.chain_rows(conn)):
        digest = entry_hash(row, prev)
        conn.execute("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE id = ?", (prev, digest, row["id"]))
        prev = digest
    conn.commit()
    conn.close()
    code, out = _check(demo_path, "--receipt", printed)
    assert code == 1 and "does NOT match" in out, out
    bad = run_cli(["check", "--receipt", "abc"], demo_path)
    assert bad.returncode == 1 and bad.stderr.decode().count("\n") == 1


def test_ledgers_and_the_notice_carry_the_receipt(demo_ctx: Context, demo_path: Path, tmp_path: Path) -> None:
    printed = audit.receipt(demo_ctx)
    for args, name in (
        (["report", "attendance", "--year", "2026", "-o"], "a.csv"),
        (["report", "review", "--quarter", "2026Q3", "-o"], "r.xlsx"),
        (["report", "absences", "--year", "2026", "--format", "text", "-o"], "n.txt"),
    ):
        done = run_cli([*args, str(tmp_path / name)], demo_path)
        assert done.returncode == 0, done.stderr.decode()
        target = tmp_path / name
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        if name.endswith(".xlsx"):
            from openpyxl import load_workbook

            texts = [c.value for ws in load_workbook(target).worksheets for c in ws["A"][:3]]
            assert any(printed in str(t) for t in texts)
        else:
            assert printed in target.read_text(encoding="utf-8")


# ---------------------------------------------------------------- hostile restores
def _hostile(good: Path, tmp: Path) -> dict[str, Path]:
    cases = {
        "triggers dropped": ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
        "audit truncated": ["DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE id > 5"],
        "extra trigger": [
            "CREATE TRIGGER sneaky AFTER UPDATE ON participant BEGIN "
            "UPDATE participant SET status = 'present' WHERE id = NEW.id; END"
        ],
        "missing column": ["ALTER TABLE cadre DROP COLUMN note"],
        "audit entry rewritten": [
            "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET os_user = 'nobody' WHERE id = 3"
        ],
    }
    out = {}
    for name, statements in cases.items():
        path = tmp / (name.replace(" ", "-") + ".db")
        path.write_bytes(good.read_bytes())
        _sql(path, *statements)
        out[name] = path
    return out


def test_hostile_restore_files_are_refused_with_the_database_unchanged(ctx: Context, db_path: Path,
                                                                       tmp_path: Path) -> None:
    good = maintenance.backup(ctx.db, tmp_path / "good.db")
    before = dump(db_path)
    for name, path in _hostile(good, tmp_path).items():
        with pytest.raises(DomainError) as refused:
            maintenance.restore(ctx.db, path, user="tester")
        assert refused.value.code in ("restore.schema_differs", "restore.chain_broken"), name
    assert dump(db_path) == before
    assert not list(db_path.parent.glob("*.before-restore-*"))
    report = maintenance.restore(ctx.db, good, user="tester")  # the sound one goes in
    assert report.revision == report.head
    assert audit.verify_chain(ctx).ok


# ---------------------------------------------------------------- files
def test_database_is_group_writable_under_umask_022(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        ctx = Context(db=Database(f"sqlite:///{tmp_path / 'new.db'}"), actor=Actor("t"))
        from zhijin_training.services.seeding import init_database

        init_database(ctx)
        with ctx.db.write() as s:  # keep the WAL around
            s.connection().exec_driver_sql("SELECT 1")
            for suffix in ("", "-wal", "-shm"):
                path = tmp_path / f"new.db{suffix}"
                assert stat.S_IMODE(path.stat().st_mode) == 0o660, (suffix, oct(path.stat().st_mode))
            assert maintenance.side_file_problems(ctx.db) == ()
            os.chmod(tmp_path / "new.db-shm", 0o640)  # what a colleague's umask used to leave behind
            assert len(maintenance.side_file_problems(ctx.db)) == 1
        copy = maintenance.backup(ctx.db, tmp_path / "backups" / "b.db")
        assert stat.S_IMODE(copy.stat().st_mode) == 0o640
        assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) & 0o770 == 0o770
    finally:
        os.umask(old)
        ctx.db.dispose()


def test_backup_and_exports_refuse_symlinks(ctx: Context, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    link = tmp_path / "planted.db"
    link.symlink_to(victim)
    with pytest.raises(DomainError) as refused:
        maintenance.backup(ctx.db, link)
    assert refused.value.code == "file.symlink"
    from zhijin_training.ical.export import write_calendar

    with pytest.raises(DomainError):
        write_calendar(ctx, link)
    assert victim.read_text(encoding="utf-8") == "keep"
    write_calendar(ctx, tmp_path / "out" / "all.ics")
    assert stat.S_IMODE((tmp_path / "out" / "all.ics").stat().st_mode) == 0o600


def test_publish_removes_only_files_it_wrote(ctx: Context, tmp_path: Path) -> None:
    from zhijin_training.ical.feeds import publish

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    foreign = feeds / "unit-999.ics"  # looks like ours, was not written by us
    foreign.write_text("someone else's", encoding="utf-8")
    publish(ctx, feeds)
    publish(ctx, feeds)
    assert foreign.exists()


# ---------------------------------------------------------------- roles and who did it
def test_init_and_upgrade_need_an_administrator(ctx: Context, db_path: Path, tmp_path: Path) -> None:
    from zhijin_training.services.seeding import init_database

    before = dump(db_path)
    with pytest.raises(PermissionDenied):
        init_database(Context(db=ctx.db, actor=Actor("clerk", "viewer")), units="current")
    assert dump(db_path) == before
    cfg = tmp_path / "c.toml"
    cfg.write_text('[roles]\nviewers = ["guest"]\n', encoding="utf-8")
    env = cli_env(db_path, ZHIJIN_TRAINING_CONFIG=str(cfg), ZHIJIN_TRAINING_USER="guest")
    for args in (["init", "--units", "current"], ["init", "--demo"], ["db", "upgrade"]):
        done = run_cli(args, env=env)
        assert done.returncode == 1 and done.stderr.decode().count("\n") == 1, args
    assert dump(db_path) == before
    entries = audit.list_entries(ctx, entity="database")
    assert entries and entries[-1].action == "init"


def test_acting_as_another_user_records_both(ctx: Context) -> None:
    from zhijin_training.services import roster

    helper = Context(db=ctx.db, actor=Actor("lihua", "admin", real_user="wangfang"), clock=ctx.clock)
    roster.add_unit(helper, name="代办测试", kind="township")
    entry = audit.list_entries(ctx, entity="unit", limit=1)[0]
    with ctx.db.read() as s:
        from zhijin_training.models import AuditEntry

        row = s.get(AuditEntry, entry.id)
        from zhijin_training.settings import real_os_user

        assert row is not None and (row.os_user, row.real_user) == ("lihua", real_os_user())
    assert audit.verify_chain(ctx).ok


# ---------------------------------------------------------------- bad command lines
BAD_LINES = [
    ["sessions", "show", "99999999999999999999999"],
    ["report", "attendance", "--year", "-1"],
    ["report", "attendance", "--year", "2026", "-o", "/dev/full"],
    ["export", "ics", "-o", ""],
    ["units", "list", "--search", "茶" * 40_000],
    ["--db", "postgresql+psycopg://zt@127.0.0.1:1/none", "units", "list"],
    ["import", "ics", "/dev/urandom", "--dry-run"],
    ["import", "ics", "/dev/zero", "--dry-run"],
    ["roster", "import", "/dev/urandom"],
    ["restore", "/dev/urandom"],
]


@pytest.mark.parametrize("args", BAD_LINES, ids=lambda a: " ".join(a)[:50])
def test_bad_command_lines_get_one_line_and_exit_1(demo_path: Path, args: list[str]) -> None:
    before = dump(demo_path)
    done = run_cli(args, demo_path, timeout=60)
    err = done.stderr.decode()
    assert done.returncode == 1, (done.returncode, err[-500:])
    assert err.count("\n") == 1 and "Traceback" not in err, err[-500:]
    assert dump(demo_path) == before


def test_chain_and_replay_on_each_engine(engine_ctx: Context) -> None:
    """The chain is built the same way on PostgreSQL (an advisory lock orders concurrent writers)."""
    import threading

    from zhijin_training.services import roster

    unit = roster.list_units(engine_ctx)[0]
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            for i in range(5):
                roster.add_cadre(engine_ctx, name=f"并发{n}-{i}", unit=unit.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit.verify_chain(engine_ctx)
    assert report.ok and report.count > 15
    assert audit.replay_check(engine_ctx) == []
    with engine_ctx.db.write() as s:  # a change behind the services' back
        s.connection().exec_driver_sql("UPDATE cadre SET name = 'x' WHERE id = (SELECT MAX(id) FROM cadre)")
    changed = audit.replay_check(engine_ctx)
    assert [(c.table, c.kind, c.fields) for c in changed] == [("cadre", "changed", ("name",))]
