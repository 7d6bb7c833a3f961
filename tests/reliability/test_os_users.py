"""Real OS users on a shared SQLite database, set up as docs/server.md says, under umask 022.

Routes × roles: the CLI, Python calling the services with overridden settings, and the sqlite3 shell, for a
viewer, an editor, an admin and someone in no group. On SQLite the file cannot refuse a member of the group:
what the program refuses it refuses with one line; what goes round it is found by `check`.

Needs root (it creates the users with useradd, like CI). ZT_TEST_OS_PYTHON names an interpreter with the
package installed that the test users may execute (default: this one; on CI the venv's python is the system's
/usr/bin/python3 and the checkout is readable, so it runs there). A venv whose python lives under /root (pyenv)
is not executable by them: make one from /usr/bin/python3 (`python3 -m venv /tmp/zt-os-venv`, then
`uv pip install --python /tmp/zt-os-venv/bin/python -c requirements.lock -e .`) and point ZT_TEST_OS_PYTHON at it.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import HERMETIC_SITE

GROUP = "zt-t-office"
USERS = {"viewer": "zt-t-viewer", "editor": "zt-t-editor", "admin": "zt-t-admin", "nobody": "zt-t-nobody"}
PYTHON = os.environ.get("ZT_TEST_OS_PYTHON") or sys.executable
_SBIN = "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"
USERADD, GROUPADD, RUNUSER = (shutil.which(t, path=_SBIN) for t in ("useradd", "groupadd", "runuser"))

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (USERADD and GROUPADD and RUNUSER), reason="needs root, useradd and runuser"
)


def _ensure_users() -> None:
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run([str(GROUPADD), GROUP], check=True)
    for role, user in USERS.items():
        try:
            pwd.getpwnam(user)
        except KeyError:
            extra = [] if role == "nobody" else ["-G", GROUP]
            subprocess.run([str(USERADD), "-M", "-s", "/bin/sh", *extra, user], check=True)


def _as(user: str, *args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = "umask 022; exec " + " ".join(_quote(a) for a in args)
    return subprocess.run(
        [str(RUNUSER), "-u", user, "--", "/bin/sh", "-c", command],
        env=env, capture_output=True, text=True, timeout=120, input=stdin, check=False,
    )


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@pytest.fixture(scope="module")
def office() -> Iterator[tuple[Path, dict[str, str]]]:
    _ensure_users()
    probe = _as(USERS["nobody"], PYTHON, "-c", "import zhijin_training", env={"PATH": "/usr/bin:/bin"})
    if probe.returncode != 0:
        pytest.skip(f"the test users cannot run {PYTHON} (set ZT_TEST_OS_PYTHON): {probe.stderr[-200:]}")
    root = Path(tempfile.mkdtemp(prefix="zt-os-"))
    root.chmod(0o755)
    srv = root / "srv"
    srv.mkdir()
    shutil.chown(srv, group=GROUP)
    srv.chmod(0o2770)  # docs/server.md: install -d -m 2770 -g zhijin /srv/zhijin-training
    config = root / "config.toml"
    config.write_text(
        f'[database]\npath = "{srv / "zhijin.db"}"\n[roles]\nadmins = ["{USERS["admin"]}"]\n'
        f'editors = ["{USERS["editor"]}"]\nviewers = ["{USERS["viewer"]}"]\ndefault = "none"\n',
        encoding="utf-8",
    )
    config.chmod(0o644)
    env = {"PATH": "/usr/bin:/bin", "ZHIJIN_TRAINING_CONFIG": str(config), "LANG": "C.UTF-8",
           "ZHIJIN_TRAINING_LANG": "en", "HOME": str(root),
           # hermetic (tests/conftest.py): this machine's /etc config, whose [roles] would win, stays away
           "PYTHONPATH": str(HERMETIC_SITE), "ZT_TEST_SYSTEM_CONFIG": str(root / "no-system-config.toml")}
    done = _as(USERS["admin"], PYTHON, "-m", "zhijin_training", "init", "--demo", env=env)
    assert done.returncode == 0, done.stderr
    yield srv / "zhijin.db", env
    shutil.rmtree(root, ignore_errors=True)


def _cli(user: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _as(USERS[user], PYTHON, "-m", "zhijin_training", *args, env=env)


def _audit_users(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT os_user, real_user FROM audit_log ORDER BY id DESC LIMIT 3").fetchall()
    finally:
        conn.close()


def _marks(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, status, version FROM participant ORDER BY id").fetchall()
    finally:
        conn.close()


OVERRIDE = (
    "from zhijin_training.settings import load_settings\n"
    "from zhijin_training.services.context import open_context\n"
    "from zhijin_training.services import attendance\n"
    "ctx = open_context(load_settings().with_overrides(role='admin', user='{fake}'))\n"
    "attendance.mark(ctx, 2, '#3', attendance.Mark('absent', correction_reason='x'))\n"
)


def test_routes_by_role_on_sqlite(office: tuple[Path, dict[str, str]]) -> None:
    db, env = office
    outcome: dict[tuple[str, str], str] = {}
    # --- CLI: the program refuses what the role does not allow, in one line
    for role in USERS:
        before = _marks(db)
        status = {"viewer": "absent", "editor": "late", "admin": "left_early", "nobody": "present"}[role]
        done = _cli(role, env, "attendance", "mark", "2", "#3", status, "--correction", f"核对签到表 {role}")
        if role in ("editor", "admin"):
            assert done.returncode == 0, (role, done.stderr)
            assert _audit_users(db)[0][0] == USERS[role]
            outcome[("cli", role)] = "written, audited"
        else:
            assert done.returncode == 1 and done.stderr.count("\n") == 1, (role, done.stderr)
            assert _marks(db) == before
            outcome[("cli", role)] = "refused (one line)"
    assert _cli("admin", env, "check").returncode == 0  # colleagues' WAL/shm never locked the admin out
    # --- Python with overridden settings: SQLite cannot refuse; the audit names the real OS user
    done = _as(USERS["viewer"], PYTHON, "-c", OVERRIDE.format(fake=USERS["admin"]), env=env)
    assert done.returncode == 0, done.stderr
    assert _audit_users(db)[0] == (USERS["admin"], USERS["viewer"])
    outcome[("python", "viewer")] = "written (SQLite), audit names the real user"
    done = _as(USERS["nobody"], PYTHON, "-c", OVERRIDE.format(fake=USERS["admin"]), env=env)
    assert done.returncode != 0
    outcome[("python", "nobody")] = "refused by the OS"
    nobody_cli = _cli("nobody", env, "units", "list")
    assert nobody_cli.returncode == 1 and nobody_cli.stderr.count("\n") == 1, nobody_cli.stderr
    # --- the sqlite3 shell: goes round the program; check finds it and names the row
    if shutil.which("sqlite3"):
        done = _as(USERS["nobody"], "sqlite3", str(db), "UPDATE participant SET status='present' WHERE id=1",
                   env=env)
        assert done.returncode != 0
        outcome[("sqlite3", "nobody")] = "refused by the OS"
        assert _cli("viewer", env, "check").returncode == 0
        done = _as(USERS["viewer"], "sqlite3", str(db),
                   "UPDATE participant SET status='present' WHERE id=(SELECT MIN(id) FROM participant "
                   "WHERE status='absent')", env=env)
        assert done.returncode == 0, done.stderr
        found = _cli("admin", env, "check")
        assert found.returncode == 1 and "changed outside the program: participant #" in found.stdout, found.stdout
        assert "side file" not in found.stdout  # the viewer's shell left no WAL/shm that locks others out
        outcome[("sqlite3", "viewer")] = "written (SQLite), found by check"
        saved = _cli("admin", env, "cadres", "add", "测试新人", "--unit", "茶店")
        assert saved.returncode == 0, saved.stderr
    # --- the TUI (Pilot), as each OS user: add a cadre on the roster screen (an admin's task)
    for role in ("viewer", "editor", "admin"):
        name = f"界面{role}"
        done = _as(USERS[role], PYTHON, "-c", TUI_ADD_CADRE.format(name=name), env=env)
        assert done.returncode == 0, (role, done.stdout[-800:], done.stderr[-800:])
        added = _cli("admin", env, "cadres", "list", "--search", name, "--json")
        if role == "admin":
            assert name in added.stdout and _audit_users(db)[0][0] == USERS["admin"]
            outcome[("tui", role)] = "written, audited"
        else:
            assert name not in added.stdout and "refused" in done.stdout, (role, done.stdout[-400:])
            outcome[("tui", role)] = "refused (message), nothing written"
    assert _cli("admin", env, "check").returncode == 1  # still: the viewer's sqlite3 change above
    print("\n" + "\n".join(f"{route:8} {role:7} {what}" for (route, role), what in sorted(outcome.items())))


TUI_ADD_CADRE = """
import asyncio
from zhijin_training.settings import load_settings
from zhijin_training.services.context import open_context
from zhijin_training.tui.app import ZhijinApp
from zhijin_training.tui.kit.dialogs import FormDialog

async def main():
    app = ZhijinApp(open_context(load_settings()), cursor_blink=False, refresh_seconds=0)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        opened = False
        for keys in (("3",), ("a",), (*"{name}", "ctrl+s")):
            await pilot.pause(0.5)
            await pilot.press(*keys)
            opened = opened or isinstance(app.screen, FormDialog)
        await pilot.pause(1.5)
        texts = [str(n.message) for n in app._notifications]
        texts.append(" ".join(strip.text for strip in app.screen._compositor.render_strips()))
        # a role that may not add sees no add key (the form never opens) or is told by the service, in the form
        refused = not opened or any("admin" in t and ("may not" in t or "不能" in t) for t in texts)
        print("refused" if refused else "no-refusal", "form opened" if opened else "no form", texts)

asyncio.run(main())
"""
