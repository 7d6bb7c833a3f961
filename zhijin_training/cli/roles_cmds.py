"""`db roles setup|grant|revoke|list`: the PostgreSQL role boundary (db/pg_roles.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer

from zhijin_training.cli.common import print_json, print_table, say, settings
from zhijin_training.db import Database

roles_app = typer.Typer(
    help="数据库角色 PostgreSQL roles: who may read, edit, administer (run as the database's owner).",
    no_args_is_help=True,
)
T = TypeVar("T")


@contextmanager
def _server() -> Iterator[Any]:
    """A plain psycopg connection to the configured PostgreSQL database as the person running us."""
    from zhijin_training.db import pg_roles

    db = Database(settings().db_url)
    if db.is_sqlite:
        raise pg_roles.RolesError("pg.needs_postgresql", url=db.url)
    raw = db.engine.raw_connection()
    try:
        yield raw.driver_connection
    finally:
        raw.close()
        db.dispose()


def _run(action: Callable[[Any], T]) -> T:
    import psycopg

    from zhijin_training.db import pg_roles

    with _server() as conn:
        try:
            return action(conn)
        except psycopg.Error as exc:  # not the database's owner, or not allowed to create roles: one line
            conn.rollback()
            reason = (str(exc).strip().splitlines() or ["?"])[0][:300]
            raise pg_roles.RolesError("pg.failed", reason=reason) from None


@roles_app.command("setup")
def roles_setup() -> None:
    """Create the owner and group roles, hand every table to the owner, grant exactly the app's rights and
    install the audit triggers (safe to run again; after every `db upgrade` too)."""
    from zhijin_training.db import pg_roles

    report = _run(pg_roles.setup)
    say("pg.setup_done", tables=report.tables, audited=", ".join(report.audited))


@roles_app.command("grant")
def roles_grant(
    user: str = typer.Argument(..., help="the colleague's login name (their Linux user name)"),
    role: str = typer.Option(..., "--role", help="viewer, editor or admin"),
) -> None:
    """Let USER log in (peer authentication: no password) with exactly this role."""
    from zhijin_training.db import pg_roles

    _run(lambda conn: pg_roles.grant(conn, user, role))
    say("pg.granted", user=user, role=role)


@roles_app.command("revoke")
def roles_revoke(user: str = typer.Argument(..., help="the login name")) -> None:
    """Take USER out of every group: they can no longer read or change anything."""
    from zhijin_training.db import pg_roles

    was = _run(lambda conn: pg_roles.revoke(conn, user))
    say("pg.revoked" if was else "pg.revoked_none", user=user)


@roles_app.command("list")
def roles_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every login role of the server and its group."""
    from zhijin_training.db import pg_roles

    logins = _run(pg_roles.list_logins)
    if as_json:
        print_json([{"user": r.name, "role": r.role, "superuser": r.superuser} for r in logins])
        return
    print_table(
        "roles", ["user", "role", "superuser"],
        ([r.name, r.role or "-", "yes" if r.superuser else ""] for r in logins),
    )
