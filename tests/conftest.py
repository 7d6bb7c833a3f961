"""Shared fixtures: migrated databases copied from per-run templates, a fixed clock, a named actor."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhijin_training.db import Database
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.seeding import init_database
from zhijin_training.settings import AccessRole, Settings

# Tuesday 24 November 2026, 10:00 in Zhijin
FIXED_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def make_settings(path: Path, user: str = "tester", role: str = AccessRole.ADMIN) -> Settings:
    return Settings(db_url=f"sqlite:///{path}", db_source="test", user=user, role=role)


def make_ctx(path: Path, user: str = "tester", role: str = AccessRole.ADMIN,
             now: datetime = FIXED_NOW) -> Context:
    settings = make_settings(path, user, role)
    return Context(db=Database(settings.db_url), actor=Actor(user, role), settings=settings, clock=lambda: now)


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
