"""`init`, `db …`, `backup`, `restore`, `check`, `audit …`: looking after the database."""

from __future__ import annotations

from pathlib import Path

import typer

from zhijin_training.cli.common import console, context, fail, opt_date, print_json, print_table, settings
from zhijin_training.db import Database
from zhijin_training.services import audit, maintenance, roster, seeding
from zhijin_training.timeutil import format_local

db_app = typer.Typer(help="数据库 Database schema and migrations.", no_args_is_help=True)
audit_app = typer.Typer(help="操作记录 The audit log (read-only).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
    app.command("init")(init)
    app.command("backup")(backup)
    app.command("check")(check)
    app.command("restore")(restore)


def init(
    demo: bool = typer.Option(False, "--demo", help="add a fictional roster and a year of sessions"),
    units: str = typer.Option("2012", help="2012 (32 townships of the programme) or current (official list)"),
) -> None:
    """Create or upgrade the database and load seed data (safe to run again)."""
    ctx = context(check_schema=False)
    report = seeding.init_database(ctx, units=units, demo=demo)
    console.print(
        f"database {ctx.db.url} at revision {report.revision_after}; units +{report.units_added} "
        f"~{report.units_updated} -{report.units_deactivated}, departments +{report.departments_added}"
        + (f"; demo: {report.cadres} cadres, {report.sessions} sessions" if report.demo else ""),
        markup=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (the database is never rebuilt)."""
    from zhijin_training.db import migrate
    from zhijin_training.services.context import Context, actor_for
    from zhijin_training.settings import AccessRole

    current = settings()
    db = Database(current.db_url)
    actor = actor_for(db, current)
    actor.require(AccessRole.ADMIN, "db upgrade")
    before = migrate.current_revision(db)
    migrate.upgrade(db)
    after = migrate.current_revision(db)
    if after != before and not db.is_sqlite and actor.role == AccessRole.ADMIN:
        _refresh_server_roles(db)
    if after != before:
        from zhijin_training.services.audit import record

        ctx = Context(db=db, actor=actor, settings=current)
        with db.write() as s:
            record(ctx, s, action="upgrade", entity="database", entity_id=None,
                   after={"schema_before": before, "schema": after})
    console.print(f"schema {before or '(empty)'} -> {after}", markup=False)


def _server_roles_line(db: Database) -> str:
    """PostgreSQL: whether the database itself enforces the roles, and who the server says you are."""
    from zhijin_training.db import pg_roles
    from zhijin_training.i18n import t

    with db.engine.connect() as conn:
        found = pg_roles.role_of_session(conn)
    if found is None:
        return t("pg.check_not_set_up")
    return t("pg.check_enforced", user=found[0], role=found[1] or "-")


def _refresh_server_roles(db: Database) -> None:
    """New tables and columns get their owner, rights and triggers (PostgreSQL with `db roles setup` done)."""
    from zhijin_training.db import pg_roles

    with db.engine.connect() as conn:
        if pg_roles.role_of_session(conn) is None:
            return
    raw = db.engine.raw_connection()
    try:
        pg_roles.setup(raw.driver_connection)
    finally:
        raw.close()


@db_app.command("copy")
def db_copy(
    source: str = typer.Argument(..., help="source database file or URL"),
    target: str = typer.Argument(..., help="target URL, e.g. postgresql+psycopg://zt@127.0.0.1/zhijin"),
) -> None:
    """Copy every record to another (empty) database, e.g. from SQLite to PostgreSQL; counts are checked."""
    from zhijin_training.db.engine import url_from_path
    from zhijin_training.services.dbcopy import copy_database

    report = copy_database(Database(url_from_path(source)), Database(url_from_path(target)))
    for table, n in report.counts.items():
        console.print(f"{table}: {n}", markup=False)
    console.print(f"copied {report.total} rows; counts match", markup=False)


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of this program."""
    from zhijin_training.db import migrate

    db = Database(settings().db_url)
    console.print(
        f"database: {migrate.current_revision(db) or '(empty)'}; program: {migrate.head_revision(db)}; "
        f"from {settings().db_source}",
        markup=False,
    )


def backup(file: Path = typer.Argument(..., help="where to write the copy")) -> None:
    """Take a consistent copy of the database while others keep working."""
    target = maintenance.backup(context().db, file)
    console.print(f"backup written to {target}", markup=False, soft_wrap=True)


def restore(file: Path = typer.Argument(..., help="a backup made by `backup`")) -> None:
    """Replace the database with a backup: the file is checked first, the current database is kept aside."""
    from zhijin_training.services.context import Actor
    from zhijin_training.settings import AccessRole

    current = settings()
    Actor(current.user, current.role).require(AccessRole.ADMIN, "restore the database")
    report = maintenance.restore(Database(current.db_url), file, user=current.user)
    console.print(
        f"restored from {report.restored_from} (schema {report.revision})", markup=False, soft_wrap=True
    )
    if report.kept_aside:
        console.print(f"the previous database is kept as {report.kept_aside}", markup=False, soft_wrap=True)
    if report.needs_upgrade:
        console.print(
            "the backup's schema is older: run `zhijin-training db upgrade`", markup=False, soft_wrap=True
        )


def check(
    receipt: str = typer.Option(None, "--receipt", help="N:HASH from a printout: was the log rewritten since?"),
) -> None:
    """Verify integrity, migrations, file permissions, the audit chain and that the data matches the log."""
    from zhijin_training.db.chain import parse_receipt
    from zhijin_training.i18n import t

    wanted = None
    if receipt is not None:
        wanted = parse_receipt(receipt)
        if wanted is None:
            fail("trust.receipt_bad", field="--receipt", value=receipt[:80])
    db = Database(settings().db_url)
    report = maintenance.check(db)
    say = lambda text: console.print(text, markup=False, soft_wrap=True)  # noqa: E731
    say(t("trust.check.integrity", value=report.integrity))
    say(t("trust.check.schema", revision=report.revision, head=report.head))
    if report.permissions:
        say(t("trust.check.permissions", value=report.permissions))
    for side in report.side_files:
        say(t("trust.side_file", path=side))
    if report.chain_broken_at is not None:
        say(t("trust.chain_broken", entry=report.chain_broken_at, count=report.chain_entries))
    elif report.receipt:
        say(t("trust.chain_ok", count=report.chain_entries, receipt=report.receipt))
    for change in report.outside[:50]:
        say(t(f"trust.outside.{change.kind}", table=change.table, id=change.row_id, fields=", ".join(change.fields)))
    if len(report.outside) > 50:
        say(t("trust.outside.more", n=len(report.outside) - 50))
    for d in report.tallies:
        # a per-cadre tally (unit_key -1, 0017) has no period or unit to name
        key = "tallies.differs_cadre" if d.unit_key < 0 else "tallies.differs"
        say(
            t(
                key, table=d.table, period=d.period, cadre=d.cadre_id, unit=d.unit_key,
                column=d.column, stored=d.stored, actual=d.actual,
            )
        )
    if len(report.tallies) >= 20:
        say(t("tallies.more", n=len(report.tallies)))
    elif report.revision == report.head and report.integrity == "ok":
        say(t("tallies.ok"))
    if report.is_sqlite:
        say(t("trust.sqlite_note"))
    elif report.revision == report.head:
        say(_server_roles_line(db))
    failed = not report.ok
    if wanted is not None and report.revision == report.head:
        from zhijin_training.services import audit
        from zhijin_training.services.context import Actor, Context

        proof = audit.check_receipt(Context(db=db, actor=Actor("check", "viewer")), *wanted)
        key = "trust.receipt_same" if proof.matches else "trust.receipt_rewritten"
        say(t(key, count=proof.count, digest=proof.digest, now=proof.entries_now))
        failed = failed or not proof.matches
    if failed:
        raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    session: int = typer.Option(None),
    cadre: str = typer.Option(None),
    from_: str = typer.Option(None, "--from"),
    to: str = typer.Option(None, "--to"),
    limit: int = typer.Option(200),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Who changed what and when, newest first."""
    ctx = context()
    cadre_id = roster.resolve_cadre(ctx, cadre).id if cadre else None
    entries = audit.list_entries(
        ctx,
        session_id=session,
        cadre_id=cadre_id,
        start=opt_date(from_, "--from"),
        end=opt_date(to, "--to"),
        limit=limit,
    )
    if json_:
        print_json(entries)
        return
    print_table(
        "操作记录 Audit",
        ["#", "时间 when", "用户 user", "操作 action", "对象 entity", "场次", "干部", "变化 changes"],
        [
            (
                e.id,
                format_local(e.at, "%Y-%m-%d %H:%M:%S"),
                e.user + (f" ({e.real_user})" if e.real_user else ""),
                e.action,
                f"{e.entity}#{e.entity_id}",
                e.session_id or "",
                e.cadre_id or "",
                "; ".join(f"{k}: {b!s:.20} → {a!s:.20}" for k, (b, a) in list(e.changes.items())[:4])
                + (f" ({e.reason})" if e.reason else ""),
            )
            for e in entries
        ],
    )
