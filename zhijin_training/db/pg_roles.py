"""PostgreSQL as the shared server's boundary: roles, rights and an audit written by the database itself.

`setup` (run by the database's owner or a superuser, e.g. `sudo -u postgres`) makes:
- `zt_owner` (NOLOGIN) owning every table, sequence, view and function, so no staff login can ALTER, DROP,
  TRUNCATE or DISABLE TRIGGER anything;
- group roles `zt_viewer` ⊂ `zt_editor` ⊂ `zt_admin` with exactly the app's rights. Viewers read everything
  but the phone column (a column-level GRANT; their search_path starts at `zt_masked`, whose views show the
  roster and the audit log with phones blanked, so the app still runs for them);
- triggers owned by zt_owner: every INSERT into audit_log is vouched (the server's `session_user`, the
  server's clock, the hash chain of db/chain.py computed in plpgsql under one lock), and every change of a
  unit, cadre, programme, session or participant that no audit entry of the same transaction describes
  (psql, a script) gets an entry written by the database at commit.

Staff are login roles that are members of exactly one group: `grant`, `revoke`, `list`. Names are validated
and always passed through psycopg's `sql.Identifier`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zhijin_training.services.errors import DomainError

OWNER = "zt_owner"
MASKED_SCHEMA = "zt_masked"
GROUPS = {"viewer": "zt_viewer", "editor": "zt_editor", "admin": "zt_admin"}
ROLE_ORDER = ("admin", "editor", "viewer")  # highest first: a person's role is the highest group they are in

# what each group may change (on top of what the group below it may); everything is readable by viewers
EDITOR_TABLES = (
    "programme", "programme_audience", "series", "training_session", "itinerary_item", "participant",
    "external_training",
)
# hours_rule (0012): the rules the 学时 tallies follow, written by set_rule beside app_setting; roster_stamp
# (0015): moved by the roster's own writes (its triggers, and the services that re-attribute participations)
ADMIN_TABLES = (
    "unit", "cadre", "post", "app_setting", "calendar_day", "cadre_rank", "hours_rule", "roster_stamp",
)
PHONE_COLUMNS = {"cadre": ("phone",)}
# the tables whose changes the database audits by itself, and the audit entity names the app uses for them
AUDITED = {
    "unit": ("unit",),
    "cadre": ("cadre",),
    "programme": ("programme",),
    "training_session": ("session",),
    "participant": ("participant", "attendance"),
}
CHAIN_LOCK = 7_011_011  # the same advisory lock key as services/audit.py

_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")


class RolesError(DomainError):
    """`db roles …` cannot do what was asked (worded from `error.pg.*` in locale/*.pg.json)."""

    title_code = "title.pg"
    default_code = "pg.failed"


def check_name(name: str) -> str:
    """A login name the way Debian's adduser allows them; never "zt_…" (those are ours) nor "postgres"."""
    if not _NAME.match(name) or name.startswith(("zt_", "pg_")) or name in ("postgres", "public"):
        raise RolesError("pg.bad_name", field="user", name=name[:80])
    return name


def _sql() -> Any:
    from psycopg import sql

    return sql


def _canon_function() -> str:
    # Python's json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")) of a JSON value:
    # keys in code-point order (COLLATE "C" on UTF-8), compact, strings escaped as to_json escapes them
    return r"""
CREATE OR REPLACE FUNCTION public.zt_canon(j jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
SELECT CASE jsonb_typeof(j)
  WHEN 'object' THEN '{' || coalesce((SELECT string_agg(to_json(k)::text || ':' || public.zt_canon(v), ','
                                              ORDER BY k COLLATE "C") FROM jsonb_each(j) AS e(k, v)), '') || '}'
  WHEN 'array' THEN '[' || coalesce((SELECT string_agg(public.zt_canon(v), ',' ORDER BY n)
                                     FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, n)), '') || ']'
  ELSE j::text END
$f$;

CREATE OR REPLACE FUNCTION public.zt_audit_hash(e public.audit_log, prev text) RETURNS text
LANGUAGE sql IMMUTABLE AS $f$
SELECT encode(sha256(convert_to(public.zt_canon(
  jsonb_build_object(
    'at', to_char(e.at, 'YYYY-MM-DD"T"HH24:MI:SS.US'), 'os_user', e.os_user,
    'real_user', coalesce(e.real_user, ''), 'action', e.action, 'entity', e.entity, 'entity_id', e.entity_id,
    'session_id', e.session_id, 'cadre_id', e.cadre_id, 'before', e.before::jsonb, 'after', e.after::jsonb,
    'reason', coalesce(e.reason, ''), 'prev_hash', prev)
  || CASE WHEN e.operation IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('operation', e.operation) END
), 'UTF8')), 'hex')
$f$;
"""


def _trigger_functions() -> str:
    entities = " ".join(
        f"WHEN '{table}' THEN ARRAY[{', '.join(repr(e) for e in names)}]" for table, names in AUDITED.items()
    )
    return rf"""
CREATE OR REPLACE FUNCTION public.zt_audit_vouch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE
  prev text;
  claimed text := coalesce(nullif(NEW.os_user, ''), session_user);
BEGIN
  PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
  -- the chain's order is the id order: take the id only once the lock is held
  NEW.id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
  NEW.at := (now() AT TIME ZONE 'UTC');
  NEW.os_user := claimed;
  NEW.real_user := CASE WHEN claimed = session_user THEN '' ELSE session_user END;
  SELECT a.entry_hash INTO prev FROM public.audit_log a ORDER BY a.id DESC LIMIT 1;
  NEW.prev_hash := coalesce(prev, repeat('0', 64));
  NEW.entry_hash := public.zt_audit_hash(NEW, NEW.prev_hash);
  RETURN NEW;
END
$f$;

CREATE OR REPLACE FUNCTION public.zt_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE
  old_j jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - 'created_at' - 'updated_at' END;
  new_j jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - 'created_at' - 'updated_at' END;
  row_j jsonb := coalesce(new_j, old_j);
  row_id bigint := (row_j->>'id')::bigint;
  names text[] := CASE TG_TABLE_NAME {entities} END;
  acting text := coalesce(nullif(current_setting('zhijin.acting_as', true), ''), session_user);
BEGIN
  -- the app wrote its own entry for this row in this transaction (vouched by zt_audit_vouch): nothing to add
  IF EXISTS (SELECT 1 FROM public.audit_log a WHERE a.at = (now() AT TIME ZONE 'UTC')
             AND a.xmin = pg_current_xact_id()::xid AND a.entity = ANY(names) AND a.entity_id = row_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO public.audit_log (at, os_user, real_user, action, entity, entity_id, session_id, cadre_id,
                                before, after, reason, prev_hash, entry_hash, operation)
  VALUES (now(), acting, '', CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
          names[1], row_id,
          CASE WHEN TG_TABLE_NAME = 'training_session' THEN row_id ELSE (row_j->>'session_id')::bigint END,
          CASE WHEN TG_TABLE_NAME = 'cadre' THEN row_id ELSE (row_j->>'cadre_id')::bigint END,
          old_j::json, new_j::json, '', '', '', 'db:' || pg_current_xact_id()::text);
  RETURN NULL;
END
$f$;

CREATE OR REPLACE FUNCTION public.zt_chain_verify(stop_at bigint DEFAULT NULL)
RETURNS TABLE(entries bigint, last_hash text, first_broken bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  e public.audit_log;
  prev text := repeat('0', 64);
  n bigint := 0;
BEGIN
  FOR e IN SELECT * FROM public.audit_log ORDER BY id LOOP
    IF e.prev_hash IS DISTINCT FROM prev THEN
      RETURN QUERY SELECT n, prev, e.id::bigint, 'link'::text; RETURN;
    END IF;
    IF e.entry_hash IS DISTINCT FROM public.zt_audit_hash(e, prev) THEN
      RETURN QUERY SELECT n, prev, e.id::bigint, 'hash'::text; RETURN;
    END IF;
    prev := e.entry_hash;
    n := n + 1;
    EXIT WHEN stop_at IS NOT NULL AND n >= stop_at;
  END LOOP;
  RETURN QUERY SELECT n, prev, NULL::bigint, ''::text;
END
$f$;
"""


def _tables(cur: Any) -> list[str]:
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [r[0] for r in cur.fetchall()]


def _columns(cur: Any, table: str) -> list[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in cur.fetchall()]


def _role_exists(cur: Any, name: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    return cur.fetchone() is not None


@dataclass(frozen=True)
class SetupReport:
    tables: int
    audited: tuple[str, ...]


def setup(conn: Any) -> SetupReport:
    """Create or bring up to date the roles, ownership, rights and audit triggers (idempotent)."""
    sql = _sql()
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(7011012)")  # two setups at once would race on CREATE ROLE
        tables = _tables(cur)
        missing = [t for t in ("audit_log", "alembic_version", *AUDITED) if t not in tables]
        if missing:
            raise RolesError("pg.not_initialised", table=missing[0])
        for role in (OWNER, *GROUPS.values()):
            if not _role_exists(cur, role):
                cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier("zt_viewer"), sql.Identifier("zt_editor")))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier("zt_editor"), sql.Identifier("zt_admin")))
        db_name = conn.info.dbname
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db_name)))
        cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO zt_viewer").format(sql.Identifier(db_name)))
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cur.execute("GRANT USAGE ON SCHEMA public TO zt_viewer")
        # everything the schema holds belongs to the role nobody logs in as
        for table in tables:
            cur.execute(sql.SQL("ALTER TABLE public.{} OWNER TO zt_owner").format(sql.Identifier(table)))
        cur.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
        )
        for (seq,) in cur.fetchall():
            cur.execute(sql.SQL("ALTER SEQUENCE public.{} OWNER TO zt_owner").format(sql.Identifier(seq)))
        cur.execute(_canon_function())
        cur.execute(_trigger_functions())
        cur.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        )
        for (signature,) in cur.fetchall():
            cur.execute(sql.SQL("ALTER FUNCTION {} OWNER TO zt_owner").format(sql.SQL(signature)))
            cur.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(sql.SQL(signature)))
        # the tallies (migration 0009) are kept by triggers; staff may not write the tallies themselves, so the
        # trigger functions run with their owner's rights (a mark by an editor still updates them)
        cur.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE '%\\_tally\\_%'"
        )
        for (signature,) in cur.fetchall():
            cur.execute(sql.SQL("ALTER FUNCTION {} SECURITY DEFINER SET search_path = public, pg_temp").format(
                sql.SQL(signature)))
        cur.execute("GRANT EXECUTE ON FUNCTION public.zt_chain_verify(bigint) TO zt_viewer")
        cur.execute("GRANT EXECUTE ON FUNCTION public.zt_canon(jsonb) TO zt_viewer")
        # rights: start from nothing, then exactly what each group needs
        for table in tables:
            ident = sql.Identifier(table)
            cur.execute(sql.SQL("REVOKE ALL ON public.{} FROM PUBLIC, zt_viewer, zt_editor, zt_admin").format(ident))
            hidden = PHONE_COLUMNS.get(table, ())
            if table == "audit_log":
                pass  # viewers read it through zt_masked.audit_log (snapshots without phones)
            elif hidden:
                shown = [c for c in _columns(cur, table) if c not in hidden]
                cur.execute(sql.SQL("GRANT SELECT ({}) ON public.{} TO zt_viewer").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in shown), ident))
            else:
                cur.execute(sql.SQL("GRANT SELECT ON public.{} TO zt_viewer").format(ident))
            if hidden or table == "audit_log":
                cur.execute(sql.SQL("GRANT SELECT ON public.{} TO zt_editor").format(ident))
            if table in EDITOR_TABLES:
                cur.execute(sql.SQL("GRANT INSERT, UPDATE, DELETE ON public.{} TO zt_editor").format(ident))
            elif table in ADMIN_TABLES:
                cur.execute(sql.SQL("GRANT INSERT, UPDATE, DELETE ON public.{} TO zt_admin").format(ident))
        # the app writes its entries (the vouching trigger rewrites who, when and the chain); never changes them
        cur.execute("GRANT INSERT ON public.audit_log TO zt_editor")
        cur.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO zt_viewer")
        _masked_views(cur, sql)
        # the triggers (owned by zt_owner with their tables: a staff login cannot disable or drop them)
        cur.execute("DROP TRIGGER IF EXISTS zt_audit_vouch ON public.audit_log")
        cur.execute(
            "CREATE TRIGGER zt_audit_vouch BEFORE INSERT ON public.audit_log "
            "FOR EACH ROW EXECUTE FUNCTION public.zt_audit_vouch()"
        )
        for table in AUDITED:
            ident = sql.Identifier(table)
            cur.execute(sql.SQL("DROP TRIGGER IF EXISTS zt_audit_row ON public.{}").format(ident))
            cur.execute(sql.SQL(
                "CREATE CONSTRAINT TRIGGER zt_audit_row AFTER INSERT OR UPDATE OR DELETE ON public.{} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.zt_audit_row()"
            ).format(ident))
    conn.commit()
    return SetupReport(len(tables), tuple(AUDITED))


def _masked_views(cur: Any, sql: Any) -> None:
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION zt_owner").format(sql.Identifier(MASKED_SCHEMA)))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO zt_viewer").format(sql.Identifier(MASKED_SCHEMA)))
    for table, hidden in PHONE_COLUMNS.items():
        cols = [
            sql.SQL("''::text AS {}").format(sql.Identifier(c)) if c in hidden else sql.Identifier(c)
            for c in _columns(cur, table)
        ]
        cur.execute(sql.SQL("DROP VIEW IF EXISTS {}.{}").format(sql.Identifier(MASKED_SCHEMA), sql.Identifier(table)))
        cur.execute(sql.SQL("CREATE VIEW {}.{} AS SELECT {} FROM public.{}").format(
            sql.Identifier(MASKED_SCHEMA), sql.Identifier(table), sql.SQL(", ").join(cols), sql.Identifier(table)))
    masked: list[Any] = []
    for c in _columns(cur, "audit_log"):
        if c in ("before", "after"):
            masked.append(sql.SQL(
                "CASE WHEN json_typeof({c}) = 'object' THEN ({c}::jsonb - 'phone')::json ELSE {c} END AS {c}"
            ).format(c=sql.Identifier(c)))
        else:
            masked.append(sql.Identifier(c))
    cur.execute(sql.SQL("DROP VIEW IF EXISTS {}.audit_log").format(sql.Identifier(MASKED_SCHEMA)))
    cur.execute(sql.SQL("CREATE VIEW {}.audit_log AS SELECT {} FROM public.audit_log").format(
        sql.Identifier(MASKED_SCHEMA), sql.SQL(", ").join(masked)))
    cur.execute(sql.SQL("ALTER VIEW {}.audit_log OWNER TO zt_owner").format(sql.Identifier(MASKED_SCHEMA)))
    for table in (*PHONE_COLUMNS, "audit_log"):
        ident = sql.SQL("{}.{}").format(sql.Identifier(MASKED_SCHEMA), sql.Identifier(table))
        cur.execute(sql.SQL("ALTER VIEW {} OWNER TO zt_owner").format(ident))
        cur.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(ident))
        cur.execute(sql.SQL("GRANT SELECT ON {} TO zt_viewer").format(ident))


def _require_setup(cur: Any) -> None:
    if not all(_role_exists(cur, r) for r in GROUPS.values()):
        raise RolesError("pg.not_set_up")


def grant(conn: Any, user: str, role: str) -> None:
    """Make `user` a login (peer authentication: no password) in exactly the group of `role`."""
    sql = _sql()
    check_name(user)
    if role not in GROUPS:
        raise RolesError("pg.bad_role", field="role", role=role[:40], known=", ".join(GROUPS))
    with conn.cursor() as cur:
        _require_setup(cur)
        ident = sql.Identifier(user)
        if not _role_exists(cur, user):
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        else:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (user,))
            if cur.fetchone()[0]:
                raise RolesError("pg.superuser", name=user)
        for other in GROUPS.values():
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), ident))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[role]), ident))
        db = sql.Identifier(conn.info.dbname)
        if role == "viewer":  # the app then reads the masked roster; psql users too
            cur.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = zt_masked, public").format(ident, db))
        else:
            cur.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} RESET search_path").format(ident, db))
    conn.commit()


def revoke(conn: Any, user: str) -> bool:
    """Take `user` out of every zt_ group (the login stays, with no rights on our tables). False: not a member."""
    sql = _sql()
    check_name(user)
    with conn.cursor() as cur:
        _require_setup(cur)
        if not _role_exists(cur, user):
            raise RolesError("pg.no_such_user", field="user", name=user)
        was = bool(_groups_of(cur, user))
        for group in GROUPS.values():
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(user)))
        cur.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} RESET search_path").format(
            sql.Identifier(user), sql.Identifier(conn.info.dbname)))
    conn.commit()
    return was


def _groups_of(cur: Any, user: str) -> list[str]:
    cur.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s AND g.rolname = ANY(%s)",
        (user, list(GROUPS.values())),
    )
    return [r[0] for r in cur.fetchall()]


@dataclass(frozen=True)
class LoginRole:
    name: str
    role: str  # admin / editor / viewer, "" for a login in none of our groups
    superuser: bool


def list_logins(conn: Any) -> list[LoginRole]:
    with conn.cursor() as cur:
        _require_setup(cur)
        cur.execute("SELECT rolname, rolsuper FROM pg_roles WHERE rolcanlogin AND rolname NOT LIKE 'pg\\_%' ORDER BY 1")
        rows = cur.fetchall()
        out = []
        for name, superuser in rows:
            groups = _groups_of(cur, name)
            role = next((r for r in ROLE_ORDER if GROUPS[r] in groups), "")
            out.append(LoginRole(name, role, bool(superuser)))
    return out


def role_of_session(connection: Any) -> tuple[str, str | None] | None:
    """(session_user, its app role or None) when the roles are set up on this database, else None.

    A superuser (the database's owner at setup) administers; anyone else gets the highest zt_ group they are a
    member of — the server vouches for the name (peer authentication), no config file can raise it.
    """
    row = connection.exec_driver_sql(
        "SELECT session_user::text, to_regprocedure('public.zt_chain_verify(bigint)') IS NOT NULL "
        "AND to_regrole('zt_admin') IS NOT NULL, "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = session_user)"
    ).one()
    user, set_up, superuser = row
    if not set_up:
        return None
    if superuser:
        return user, "admin"
    for role in ROLE_ORDER:
        if connection.exec_driver_sql(
            f"SELECT pg_has_role(session_user, '{GROUPS[role]}', 'MEMBER')"
        ).scalar():
            return user, role
    return user, None
