"""Shared fixtures: migrated databases copied from per-run templates, a fixed clock, a named actor."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from zhijin_training.db import Database
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.seeding import init_database
from zhijin_training.settings import AccessRole, Settings

# Tuesday 24 November 2026, 10:00 in Zhijin
FIXED_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

# ---------------------------------------------------------------- hermetic: not this machine's settings
HERMETIC_SITE = (
    Path(__file__).parent / "hermetic"
)  # its sitecustomize redirects SYSTEM_CONFIG in subprocesses
_MACHINE_VARS = (
    "ZHIJIN_TRAINING_CONFIG",
    "ZHIJIN_TRAINING_DB",
    "ZHIJIN_TRAINING_LANG",
    "ZHIJIN_TRAINING_USER",
    "LANGUAGE",
    "LC_ALL",
    "LC_MESSAGES",
)


@pytest.fixture(scope="session")
def no_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config path that does not exist: stands in for /etc/zhijin-training/config.toml and for the user's."""
    return tmp_path_factory.mktemp("no-config") / "config.toml"


@pytest.fixture(autouse=True)
def hermetic_machine(monkeypatch: pytest.MonkeyPatch, no_config: Path) -> Iterator[None]:
    """Every test sees a clean machine: no system config (in this process and in every process it starts), no
    config, database, user or language from the environment, a neutral locale, and Chinese as the language.
    A test that needs one of these sets it itself (monkeypatch, or the env of its subprocess)."""
    import zhijin_training.settings as settings_mod
    from zhijin_training import i18n

    for var in _MACHINE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(settings_mod, "SYSTEM_CONFIG", no_config)
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(no_config))
    monkeypatch.setenv("ZT_TEST_SYSTEM_CONFIG", str(no_config))
    monkeypatch.setenv("LANG", "C.UTF-8")
    python_path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(HERMETIC_SITE), python_path) if p))
    i18n.set_lang("zh")  # a test that ran --lang en in-process must not leave English behind
    yield
    i18n.set_lang("zh")


def hermetic_env(**extra: str) -> dict[str, str]:
    """A minimal environment for a subprocess built from scratch that still keeps the machine's config away."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", str(HERMETIC_SITE)),
        "ZT_TEST_SYSTEM_CONFIG": os.environ.get("ZT_TEST_SYSTEM_CONFIG", "/nonexistent/config.toml"),
    }
    env.update(extra)
    return env


def make_settings(path: Path, user: str = "tester", role: str = AccessRole.ADMIN) -> Settings:
    return Settings(db_url=f"sqlite:///{path}", db_source="test", user=user, role=role)


def make_ctx(
    path: Path, user: str = "tester", role: str = AccessRole.ADMIN, now: datetime = FIXED_NOW
) -> Context:
    settings = make_settings(path, user, role)
    return Context(
        db=Database(settings.db_url), actor=Actor(user, role), settings=settings, clock=lambda: now
    )


def _copy_db(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated database with the 2012 units and the departments, built once per test run (per worker)."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    ctx = make_ctx(path)
    init_database(ctx)
    _checkpoint(ctx.db)
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database (fictional roster, a year of sessions) as of FIXED_NOW."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    ctx = make_ctx(path)
    init_database(ctx, demo=True)
    _checkpoint(ctx.db)
    return path


def _checkpoint(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()


@pytest.fixture
def db_path(seeded_template: Path, tmp_path: Path) -> Path:
    return _copy_db(seeded_template, tmp_path / "zt.db")


@pytest.fixture
def ctx(db_path: Path) -> Iterator[Context]:
    """A context on a fresh seeded database: admin user 'tester', clock fixed at FIXED_NOW."""
    context = make_ctx(db_path)
    yield context
    context.db.dispose()


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    return _copy_db(demo_template, tmp_path / "demo.db")


@pytest.fixture
def demo_ctx(demo_path: Path) -> Iterator[Context]:
    context = make_ctx(demo_path)
    yield context
    context.db.dispose()


# ---------------------------------------------------------------- PostgreSQL
# Set ZT_TEST_PG_URL to an admin URL of a throwaway server (.ci/run starts one with scripts/pg-test-server.sh):
# the database-facing tests then run on both engines.
PG_URL = os.environ.get("ZT_TEST_PG_URL", "")
ENGINES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
_counter = itertools.count()


def pg_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def pg_create(admin: sa.Engine, name: str, template: str | None = None) -> str:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return pg_url(name)


def pg_drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_seeded_template(pg_admin: sa.Engine, worker_id: str) -> str:
    """Name of a migrated and seeded PostgreSQL database to copy per test (one per xdist worker)."""
    name = f"zt_tpl_{worker_id}_{os.getpid()}"
    url = pg_create(pg_admin, name)
    ctx = make_ctx_url(url)
    init_database(ctx)
    ctx.db.dispose()  # a template must have no connections
    return name


def make_ctx_url(
    url: str, user: str = "tester", role: str = AccessRole.ADMIN, now: datetime = FIXED_NOW
) -> Context:
    settings = Settings(db_url=url, db_source="test", user=user, role=role)
    return Context(db=Database(url), actor=Actor(user, role), settings=settings, clock=lambda: now)


@pytest.fixture(params=ENGINES)
def engine_ctx(request: pytest.FixtureRequest, tmp_path: Path, seeded_template: Path) -> Iterator[Context]:
    """A fresh seeded database on each engine under test (SQLite always, PostgreSQL when configured)."""
    if request.param == "sqlite":
        context = make_ctx(_copy_db(seeded_template, tmp_path / "zt.db"))
        yield context
        context.db.dispose()
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    template: str = request.getfixturevalue("pg_seeded_template")
    name = f"{template}_t{next(_counter)}"
    context = make_ctx_url(pg_create(admin, name, template))
    yield context
    context.db.dispose()
    pg_drop(admin, name)
