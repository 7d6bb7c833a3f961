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
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhijin_training.db.urls import is_sqlite_url, sqlite_path, url_from_path

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

__all__ = ["BUSY_TIMEOUT_MS", "Database", "is_sqlite_url", "sqlite_path", "url_from_path"]

BUSY_TIMEOUT_MS = 30_000


def is_read_only_url(url: str) -> bool:
    return "mode=ro" in url.partition("?")[2]


def _install_sqlite_pragmas(engine: Engine) -> None:
    from sqlalchemy import event

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
        self._echo = echo
        if is_sqlite_url(url):
            path = sqlite_path(url)
            if path is not None and not is_read_only_url(url):
                path.parent.mkdir(parents=True, exist_ok=True)
                _create_private_file(path)

    @cached_property
    def engine(self) -> Engine:
        """Created on first use: SQLAlchemy is imported only then, so the interface can appear first."""
        import sqlalchemy as sa

        kwargs: dict[str, Any] = {"echo": self._echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
        engine = sa.create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_pragmas(engine)
            # a locked, full, read-only or damaged file becomes one clear StorageError (a DomainError)
            from zhijin_training.services.safety import install_error_translation

            install_error_translation(engine, self.path)
        return engine

    @cached_property
    def _write_engine(self) -> Engine:
        return self.engine.execution_options(zt_write=True)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite_url(self.url)

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any error."""
        # SQLite: BEGIN IMMEDIATE serialises writers. PostgreSQL: READ COMMITTED, and the services lock
        # the rows they change (SELECT … FOR UPDATE) before checking their version.
        from sqlmodel import Session

        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        if "engine" in self.__dict__:  # never create an engine just to throw it away
            self.engine.dispose()


def _create_private_file(path: Path) -> None:
    """Create the database file readable by owner and group only (personal data)."""
    if path.exists():
        return
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP)
    os.close(fd)
