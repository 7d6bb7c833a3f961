"""Storage faults said plainly: a locked, full, read-only or damaged database becomes one clear DomainError.

SQLite reports these as `sqlite3.OperationalError` / `DatabaseError` with terse texts ("database or disk is
full"). The engine hands every DBAPI error to `translate()` (through SQLAlchemy's handle_error event), so a
service, the CLI and the TUI all see a `StorageError` that says what happened, that nothing was saved (the
transaction rolled back) and what to do. `retry_on_busy` re-runs a whole write transaction when another
writer held the lock for longer than the busy timeout.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from zhijin_training.services.errors import DomainError

T = TypeVar("T")


class StorageError(DomainError):
    """The database file could not be used as asked; the change (if any) was rolled back."""


class DatabaseBusy(StorageError):
    """Another writer held the lock for longer than the busy timeout."""


class DiskFull(StorageError):
    """SQLITE_FULL: the disk (or the database's size limit) is full."""


class DatabaseReadOnly(StorageError):
    """SQLITE_READONLY: the file, its directory or the connection is read-only."""


class DiskIOError(StorageError):
    """SQLITE_IOERR: the operating system failed a read or write."""


class DatabaseCorrupt(StorageError):
    """SQLITE_CORRUPT / SQLITE_NOTADB: the file is damaged or not a database."""


class DatabaseUnavailable(StorageError):
    """SQLITE_CANTOPEN: the file or its directory cannot be opened."""


# SQLite primary result codes (the low byte of an extended code)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26

_BY_TEXT: tuple[tuple[str, int], ...] = (
    ("database is locked", _BUSY),
    ("database table is locked", _LOCKED),
    ("database or disk is full", _FULL),
    ("readonly database", _READONLY),
    ("read-only", _READONLY),
    ("disk i/o error", _IOERR),
    ("malformed", _CORRUPT),
    ("file is not a database", _NOTADB),
    ("unable to open database file", _CANTOPEN),
)


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for needle, value in _BY_TEXT:
        if needle in text:
            return value
    return None


def translate(exc: BaseException, path: Path | str | None = None) -> StorageError | None:
    """The StorageError for a SQLite fault, or None when `exc` is not one (e.g. a constraint)."""
    if isinstance(exc, StorageError):
        return exc
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return None
    code = _code(exc)
    where = str(path) if path else "—"
    detail = str(exc)
    if code in (_BUSY, _LOCKED):
        return DatabaseBusy("storage.busy", where=where)
    if code == _FULL:
        return DiskFull("storage.full", where=where, detail=detail)
    if code == _READONLY:
        return DatabaseReadOnly("storage.read_only", where=where, detail=detail)
    if code == _IOERR:
        return DiskIOError("storage.io_error", where=where, detail=detail)
    if code in (_CORRUPT, _NOTADB):
        return DatabaseCorrupt("storage.corrupt", where=where, detail=detail)
    if code == _CANTOPEN:
        return DatabaseUnavailable("storage.cannot_open", path=where, reason=detail)
    return None


def install_error_translation(engine: Any, path: Path | None) -> None:
    """Raise a StorageError instead of SQLAlchemy's wrapped DBAPI error, everywhere the engine is used."""
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        translated = translate(context.original_exception, path)
        if translated is not None:
            raise translated from context.original_exception


def retry_on_busy(transaction: Callable[[], T], *, attempts: int = 3, pause: float = 0.5) -> T:
    """Run a whole write transaction again when it gave up waiting for the lock.

    Only safe for a callable that is one transaction (it rolled back completely before raising).
    """
    for attempt in range(1, attempts + 1):
        try:
            return transaction()
        except DatabaseBusy:
            if attempt == attempts:
                raise
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")
