"""The database handle: one engine, read and write sessions, SQLite tuned for a shared server.

SQLite runs in WAL mode (readers never block the writer), with a busy timeout (a second writer waits
instead of failing) and foreign keys on. Write transactions start with BEGIN IMMEDIATE so two processes
never both read, then both try to upgrade to a write lock and deadlock into "database is locked".
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def url_from_path(path: str | os.PathLike[str]) -> str:
    """A database given as a URL stays one; anything else is a SQLite file path."""
    text = str(path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    if not is_sqlite_url(url):
        return None
    rest = url.split("///", 1)[1] if "///" in url else ""
    if not rest or rest == ":memory:":
        return None
    # a URI filename (sqlite:///file:/path?mode=ro&uri=true) names the same file
    return Path(rest.split("?", 1)[0].removeprefix("file:"))


def is_read_only_url(url: str) -> bool:
    return "mode=ro" in url.partition("?")[2]


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("zt_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """Owns the engine. `read()` and `write()` hand out SQLModel sessions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if is_sqlite_url(url):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
            path = sqlite_path(url)
            if path is not None and not is_read_only_url(url):
                path.parent.mkdir(parents=True, exist_ok=True)
                _create_private_file(path)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(url, **kwargs)
        self._write_engine = self.engine.execution_options(zt_write=True)
        if is_sqlite_url(url):
            _install_sqlite_pragmas(self.engine)
            # lazy: a locked, full, read-only or damaged file becomes one clear StorageError (a DomainError)
            from zhijin_training.services.safety import install_error_translation

            install_error_translation(self.engine, self.path)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite_url(self.url)

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any error."""
        # SQLite: BEGIN IMMEDIATE serialises writers. PostgreSQL: READ COMMITTED, and the services lock
        # the rows they change (SELECT … FOR UPDATE) before checking their version.
        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def _create_private_file(path: Path) -> None:
    """Create the database file readable by owner and group only (personal data)."""
    if path.exists():
        return
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP)
    os.close(fd)
