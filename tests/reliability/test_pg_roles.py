"""Real OS users on a PostgreSQL server set up as docs/server.md says: peer authentication, `db roles`.

Routes × roles: the CLI, Python calling the services with overridden settings (and with a hand-made admin
Context, which no check in the program can stop), and `psql`, for a viewer, an editor, an admin and someone
in no group. Every forbidden write must be refused by the database and change nothing; every allowed write
must be in the audit log with the server-vouched user (session_user), and the hash chain must still verify.

The test starts its own throwaway cluster (initdb as the `postgres` OS user, Unix socket only, pg_hba
`local all all peer`), so the roles it creates never meet the shared test server's databases.

Needs root (useradd, runuser, like CI), the PostgreSQL server binaries and an interpreter the test users may
execute: ZT_TEST_OS_PYTHON (see tests/reliability/test_os_users.py; on this machine the venv's python lives
under /root, so: `python3 -m venv /tmp/zt-pg-venv && uv pip install --python /tmp/zt-pg-venv/bin/python
-c requirements.lock -e '.[postgresql]' && chmod -R a+rX /tmp/zt-pg-venv`). On CI the venv is made from
/usr/bin/python3 in a readable checkout and it runs as is.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import HERMETIC_SITE
from tests.reliability.test_os_users import PYTHON, RUNUSER, TUI_ADD_CADRE, USERADD, USERS, _as, _ensure_users

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")


def _have_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (USERADD and RUNUSER) or not PG_BIN or not _have_postgres_user()
    or not shutil.which("psql"),
    reason="needs root, useradd, runuser, the postgres OS user, PostgreSQL server binaries and psql",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.sock = root / "sock"
        self.url = f"postgresql+psycopg:///zhijin?host={self.sock}&port={port}"
        self.env = {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ZHIJIN_TRAINING_LANG": "en", "HOME": str(root),
            "ZHIJIN_TRAINING_DB": self.url, "ZHIJIN_TRAINING_CONFIG": str(root / "no-config.toml"),
            "PYTHONPATH": str(HERMETIC_SITE), "ZT_TEST_SYSTEM_CONFIG": str(root / "no-system-config.toml"),
        }

    def cli(self, user: str, *args: str) -> subprocess.CompletedProcess[str]:
        return _as(user, PYTHON, "-m", "zhijin_training", *args, env=self.env)

    def psql(self, user: str, statement: str, database: str = "zhijin") -> subprocess.CompletedProcess[str]:
        return _as(user, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", str(self.sock), "-p",
                   str(self.port), "-d", database, "-c", statement, env=self.env)

    def query(self, statement: str) -> list[list[str]]:
        done = self.psql("postgres", statement)
        assert done.returncode == 0, done.stderr
        return [line.split("|") for line in done.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    try:
        _ensure_users()
    except subprocess.CalledProcessError:  # test_os_users on another worker made the same users just now
        time.sleep(2)
        _ensure_users()
    probe = _as("postgres", PYTHON, "-c", "import zhijin_training, psycopg", env={"PATH": "/usr/bin:/bin"})
    if probe.returncode != 0:
        pytest.skip(f"the test users cannot run {PYTHON} with psycopg (set ZT_TEST_OS_PYTHON): "
                    f"{probe.stderr[-200:]}")
    root = Path(tempfile.mkdtemp(prefix="zt-pg-"))
    root.chmod(0o755)
    (root / "sock").mkdir()
    shutil.chown(root / "sock", user="postgres")
    data = root / "data"
    data.mkdir()
    shutil.chown(data, user="postgres")
    srv = Server(root, _free_port())
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    done = _as("postgres", f"{PG_BIN}/initdb", "-D", str(data), "--auth-local=peer", "--auth-host=reject",
               "-U", "postgres", "--encoding=UTF8", "--locale=C.UTF-8", env=env)
    assert done.returncode == 0, done.stderr
    done = _as("postgres", f"{PG_BIN}/pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w", "-o",
               f"-p {srv.port} -k {srv.sock} -c listen_addresses= -c fsync=off", "start", env=env)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {done.stderr[-300:]}")
    try:
        assert srv.psql("postgres", "CREATE DATABASE zhijin", "postgres").returncode == 0
        # the database's owner (here the superuser) initialises, sets up the roles and grants the colleagues
        for step in (("init", "--demo"), ("db", "roles", "setup"), ("db", "roles", "setup")):
            done = srv.cli("postgres", *step)
            assert done.returncode == 0, (step, done.stderr)
        for role in ("viewer", "editor", "admin"):
            done = srv.cli("postgres", "db", "roles", "grant", USERS[role], "--role", role)
            assert done.returncode == 0, done.stderr
        yield srv
    finally:
        _as("postgres", f"{PG_BIN}/pg_ctl", "-D", str(data), "stop", "-m", "immediate", env=env)
        shutil.rmtree(root, ignore_errors=True)


def _last_entry(srv: Server) -> tuple[str, str, str, str, str]:
    row = srv.query("SELECT id, os_user, real_user, entity, coalesce(operation, '') FROM audit_log "
                    "ORDER BY id DESC LIMIT 1")[0]
    return row[0], row[1], row[2], row[3], row[4]


def _marks(srv: Server) -> str:
    return srv.query("SELECT md5(string_agg(id || ':' || coalesce(status, '') || ':' || version, ',' ORDER BY id)) "
                     "FROM participant")[0][0]


# a session of the demo year and a participant of it that the CLI and Python routes mark
SESSION, PERSON = "2", "#3"

PYTHON_BYPASS = """
import sys
from zhijin_training.db import Database
from zhijin_training.services import attendance, roster
from zhijin_training.services.context import Actor, Context, open_context
from zhijin_training.services.errors import DomainError
from zhijin_training.settings import load_settings
settings = load_settings().with_overrides(role="admin", user="{fake}")
routes = {{
    # the program's own door, with the settings overridden: the role comes from the database
    "open_context": lambda: open_context(settings),
    # a Context made by hand: nothing in the program can stop this one, the database must
    "hand_made": lambda: Context(db=Database(settings.db_url), actor=Actor("{fake}", "admin"), settings=settings),
}}
for name, make in routes.items():
    for what, call in (
        ("mark", lambda ctx: attendance.mark(ctx, 2, "#3", attendance.Mark("{status}", correction_reason="py"))),
        ("roster", lambda ctx: roster.add_cadre(ctx, name="旁路{status}", unit="茶店")),
    ):
        try:
            call(make())
            print(name, what, "written")
        except DomainError as exc:
            print(name, what, "refused", exc.code)
"""

PSQL_TRIES = {
    "mark": "UPDATE participant SET status = '{status}' WHERE id = {pid}",
    "roster": "UPDATE cadre SET note = 'psql {role}' WHERE id = 1",
    "audit_delete": "DELETE FROM public.audit_log WHERE id = (SELECT max(id) FROM public.audit_log)",
    "audit_update": "UPDATE public.audit_log SET reason = 'rewritten' WHERE id = 1",
    "audit_truncate": "TRUNCATE public.audit_log",
    "disable_trigger": "ALTER TABLE public.audit_log DISABLE TRIGGER zt_audit_vouch",
    "drop_trigger": "DROP TRIGGER zt_audit_row ON public.participant",
    "phone": "SELECT phone FROM public.cadre LIMIT 1",
}
# what the database lets each role do by psql (everything else must be refused)
PSQL_ALLOWED = {
    "viewer": set(),
    "editor": {"mark", "phone"},
    "admin": {"mark", "roster", "phone"},
    "nobody": set(),
}


def test_routes_by_role_on_postgresql(server: Server) -> None:
    srv = server
    outcome: dict[tuple[str, str], str] = {}
    pid = int(srv.query("SELECT id FROM participant ORDER BY id LIMIT 1 OFFSET 10")[0][0])
    chain_before = int(srv.query("SELECT count(*) FROM audit_log")[0][0])
    statuses = {"viewer": "absent", "editor": "late", "admin": "left_early", "nobody": "present"}
    for role, user in USERS.items():
        status = statuses[role]
        # --- the CLI
        before = srv.query("SELECT count(*), max(id) FROM audit_log")
        done = srv.cli(user, "attendance", "mark", SESSION, PERSON, status, "--correction", f"签到表 {role}")
        if role in ("editor", "admin"):
            assert done.returncode == 0, (role, done.stderr)
            entry = _last_entry(srv)
            assert entry[1:4] == (user, "", "attendance"), entry
            assert not entry[4].startswith("db:")  # the app's entry, vouched; no duplicate from the database
            assert srv.query("SELECT count(*) FROM audit_log")[0][0] == str(int(before[0][0]) + 1)
            outcome[("cli", role)] = "written, audited as the login (one entry)"
        else:
            assert done.returncode == 1 and done.stderr.count("\n") == 1, (role, done.stderr)
            assert srv.query("SELECT count(*), max(id) FROM audit_log") == before
            outcome[("cli", role)] = "refused (one line), nothing written"
        if role == "editor":
            done = srv.cli(user, "cadres", "add", "编辑者新人", "--unit", "茶店")
            assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        # --- Python with overridden settings / a hand-made admin Context
        fake = USERS["admin"] if role != "admin" else "someone-else"
        marks_before = _marks(srv)
        other = {"viewer": "late", "editor": "absent", "admin": "present", "nobody": "late"}[role]  # a change
        done = _as(user, PYTHON, "-c", PYTHON_BYPASS.format(fake=fake, status=other), env=srv.env)
        lines = dict(((p[0], p[1]), " ".join(p[2:])) for p in (line.split() for line in done.stdout.splitlines()))
        if role == "nobody":  # no login on the server: the connection itself is refused, in one line
            assert done.returncode == 0 and all(v.startswith("refused storage.server") for v in lines.values()), (
                done.stdout, done.stderr)
            outcome[("python", role)] = "refused by the server (no login)"
        elif role == "viewer":
            assert lines[("open_context", "mark")] == "refused permission.role_needed", lines
            assert lines[("hand_made", "mark")] == "refused pg.refused", lines
            assert lines[("hand_made", "roster")] == "refused pg.refused", lines
            assert _marks(srv) == marks_before
            outcome[("python", role)] = "refused: by the program (role from the DB), by the database (hand-made)"
        elif role == "editor":
            assert lines[("open_context", "roster")] == "refused permission.role_needed", lines
            assert lines[("hand_made", "roster")] == "refused pg.refused", lines
            assert lines[("hand_made", "mark")] == "written", lines
            # acting as the admin is recorded with the vouched login beside it
            hand = srv.query("SELECT os_user, real_user FROM audit_log WHERE reason = 'py' ORDER BY id DESC LIMIT 1")
            assert hand[0] == [fake, user], hand
            outcome[("python", role)] = "mark written, audited as claimed + real login; roster refused by the DB"
        else:
            assert lines[("hand_made", "roster")] == "written", lines
            assert lines[("open_context", "roster")] == "written", lines
            made = srv.query("SELECT os_user, real_user FROM audit_log WHERE entity = 'cadre' AND action = 'create' "
                             "ORDER BY id DESC LIMIT 2")
            assert made == [[fake, user], [fake, user]], made  # acting as someone: the claim beside the login
            outcome[("python", role)] = "written, audited (a claimed name is kept beside the login)"
        # --- psql, straight to the server
        for what, template in PSQL_TRIES.items():
            count_before = srv.query("SELECT count(*) FROM audit_log")[0][0]
            done = srv.psql(user, template.format(status=status, pid=pid, role=role))
            allowed = what in PSQL_ALLOWED[role]
            assert (done.returncode == 0) == allowed, (role, what, done.stderr)
            if not allowed:
                refusal = done.stderr.lower()
                assert "permission denied" in refusal or "must be owner" in refusal or "does not exist" in refusal, (
                    role, what, done.stderr)
                assert srv.query("SELECT count(*) FROM audit_log")[0][0] == count_before
            elif what in ("mark", "roster"):
                entry = _last_entry(srv)
                entity = "participant" if what == "mark" else "cadre"
                assert entry[1:4] == (user, "", entity) and entry[4].startswith("db:"), entry
        allowed_here = sorted(PSQL_ALLOWED[role]) or ["nothing"]
        outcome[("psql", role)] = f"allowed {', '.join(allowed_here)} (audited as the login); the rest refused"
    # the viewer sees the roster with phones blanked, through the program and through psql
    listed = srv.cli(USERS["viewer"], "cadres", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"phone": ""' in listed.stdout and "138" not in listed.stdout
    assert srv.psql(USERS["viewer"], "SELECT phone FROM cadre LIMIT 1").stdout.strip() == ""
    assert "138" not in srv.psql(USERS["viewer"], "SELECT before::text || after::text FROM audit_log "
                                                   "WHERE entity = 'cadre' LIMIT 20").stdout
    # the chain grew and still verifies, in the database's walk and Python's, for a viewer and an admin
    assert int(srv.query("SELECT count(*) FROM audit_log")[0][0]) > chain_before
    assert srv.query("SELECT first_broken IS NULL FROM zt_chain_verify()") == [["t"]]
    for role in ("viewer", "admin"):
        done = srv.cli(USERS[role], "check")
        assert done.returncode == 0 and "audit chain: ok" in done.stdout, (role, done.stdout, done.stderr)
        assert f"enforced by the database; the server says you are {USERS[role]} ({role})" in done.stdout
    listing = srv.cli("postgres", "db", "roles", "list", "--json")
    assert all(f'"{USERS[r]}"' in listing.stdout for r in ("viewer", "editor", "admin"))
    print("\n" + "\n".join(f"{route:7} {role:7} {what}" for (route, role), what in sorted(outcome.items())))


def test_tui_by_role_on_postgresql(server: Server) -> None:
    """The TUI as each OS user: adding a cadre (an admin's task) is refused with a message or written and audited."""
    srv = server
    for role in ("viewer", "editor", "admin"):
        name = f"界面{role}"
        done = _as(USERS[role], PYTHON, "-c", TUI_ADD_CADRE.format(name=name), env=srv.env)
        assert done.returncode == 0, (role, done.stdout[-800:], done.stderr[-800:])
        rows = srv.query(f"SELECT count(*) FROM cadre WHERE name = '{name}'")
        if role == "admin":
            assert rows == [["1"]] and _last_entry(srv)[1:4] == (USERS["admin"], "", "cadre")
        else:
            # nothing written is the boundary; the refusal text is looked for only where the form never opens
            # (the viewer): under a loaded machine the editor's refusal can come after the script's fixed pauses
            assert rows == [["0"]], (role, done.stdout[-400:])
            if role == "viewer":
                assert "refused" in done.stdout, done.stdout[-400:]


def test_grant_revoke_and_names(server: Server) -> None:
    srv = server
    assert srv.cli("postgres", "db", "roles", "grant", "bad;name", "--role", "viewer").returncode == 1
    assert srv.cli("postgres", "db", "roles", "grant", USERS["nobody"], "--role", "boss").returncode == 1
    # a staff admin is not the database's owner: it may not hand out roles
    done = srv.cli(USERS["admin"], "db", "roles", "grant", USERS["nobody"], "--role", "admin")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert srv.cli("postgres", "db", "roles", "grant", USERS["nobody"], "--role", "editor").returncode == 0
    assert srv.query(f"SELECT pg_has_role('{USERS['nobody']}', 'zt_editor', 'MEMBER')") == [["t"]]
    assert srv.cli("postgres", "db", "roles", "grant", USERS["nobody"], "--role", "viewer").returncode == 0
    assert srv.query(f"SELECT pg_has_role('{USERS['nobody']}', 'zt_editor', 'MEMBER')") == [["f"]]
    done = srv.cli("postgres", "db", "roles", "revoke", USERS["nobody"])
    assert done.returncode == 0, done.stderr
    # out of every group: not even CONNECT (granted to zt_viewer only)
    refused = srv.cli(USERS["nobody"], "units", "list")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "permission denied for database" in refused.stderr, refused.stderr
    srv.psql("postgres", f'DROP ROLE "{USERS["nobody"]}"')
