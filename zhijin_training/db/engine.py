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


def _install_sqlite_pragmas(engine: Engine, path: Path | None = None) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        # SQLite creates -wal/-shm with the database's mode minus the umask: under umask 022 that is 0640 and
        # the next colleague cannot write them. Open them under a group-friendly umask, then fix what we own.
        old = os.umask(0o007)
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        finally:
            os.umask(old)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()
        if path is not None:
            share_side_files(path)

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
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _create_private_file(path)
                except OSError as exc:  # a user outside the office's group: one line, not a traceback
                    from zhijin_training.services.safety import DatabaseUnavailable

                    raise DatabaseUnavailable(
                        "storage.cannot_open", path=str(path), reason=exc.strerror or str(exc)
                    ) from None

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
        if not self.is_sqlite:
            _install_server_error_translation(engine, self.url)
        if self.is_sqlite:
            _install_sqlite_pragmas(engine, self.path)
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


DB_MODE = 0o660  # owner and the office's group read and write; nobody else (personal data)
SIDE_FILES = ("-wal", "-shm", "-journal")


def _create_private_file(path: Path) -> None:
    """Create the database file 0660 whatever the umask (the office's group must write it too)."""
    if path.exists():
        return
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL | os.O_NOFOLLOW, DB_MODE)
    try:
        os.fchmod(fd, DB_MODE)  # the umask narrowed the mode given to open()
    finally:
        os.close(fd)


def share_side_files(path: Path) -> None:
    """Give the -wal/-shm files we created the database's group and group read/write."""
    try:
        db_stat = path.stat()
    except OSError:
        return
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        try:
            info = side.lstat()
            if info.st_uid != os.geteuid() or stat.S_ISLNK(info.st_mode):
                continue
            if info.st_gid != db_stat.st_gid:
                os.chown(side, -1, db_stat.st_gid)
            wanted = stat.S_IMODE(info.st_mode) | (stat.S_IMODE(db_stat.st_mode) & 0o660) | 0o600
            if wanted != stat.S_IMODE(info.st_mode):
                os.chmod(side, wanted & ~0o007 | (stat.S_IMODE(info.st_mode) & 0o007))
        except OSError:
            continue


def _install_server_error_translation(engine: Engine, url: str) -> None:
    """An unreachable or refusing database server is one line naming it, not 151 lines of traceback."""
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        original = context.original_exception
        if type(original).__name__ in ("OperationalError", "InterfaceError"):
            from zhijin_training.services.safety import DatabaseUnavailable

            reason = (str(original).strip().splitlines() or ["?"])[0][:300]
            raise DatabaseUnavailable("storage.server_unreachable", url=shown, reason=reason) from None
        # insufficient_privilege: the server's roles refused; 0A000: a viewer's write reached a masked
        # (read-only) view of zt_masked (db/pg_roles.py), which is the same refusal
        if getattr(original, "sqlstate", None) in ("42501", "0A000"):
            from zhijin_training.services.errors import PermissionDenied

            reason = (str(original).strip().splitlines() or ["?"])[0][:300]
            raise PermissionDenied("pg.refused", reason=reason) from None
