"""Reading and writing files with personal data on a shared server — the one place that does it.

Writes go to a temporary file beside the target and are renamed over it (readers see the old file or the new
one), are created without group-write or world bits (exports 0600), and refuse a target that is a symlink,
a folder or not a regular file (`-o /dev/full`, a link planted by another user). Reads check the size limit
before reading anything and never read from a device, a pipe or a folder (`import ics /dev/urandom`).
Folders the program creates for the office (backups, feeds) are group-writable and keep the setgid bit of
their parent; the personal export folder `~/zhijin-exports` is 0700.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zhijin_training.services.errors import ValidationError

EXPORT_MODE = 0o600  # exports: the person who made them only
PRIVATE_DIR_MODE = 0o700  # ~/zhijin-exports
GROUP_DIR_MODE = 0o770  # backups/, feeds/: the office's group works there together
EXPORTS_DIR = Path("~/zhijin-exports")


class FileRefused(ValidationError):
    """A file that cannot be read or written as asked; nothing was written."""


def exports_dir() -> Path:
    return ensure_dir(EXPORTS_DIR.expanduser(), PRIVATE_DIR_MODE)


def ensure_dir(path: Path, mode: int = GROUP_DIR_MODE) -> Path:
    """Create a missing folder (and its parents) with exactly `mode` whatever the umask; keep setgid."""
    path = Path(path)
    if path.is_symlink():
        raise FileRefused("file.symlink", path=str(path))
    if path.is_dir():
        return path
    if path.exists():
        raise FileRefused("file.not_a_folder", path=str(path))
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        for folder in reversed(missing):
            folder.mkdir()
            inherit = os.stat(folder.parent).st_mode & stat.S_ISGID
            os.chmod(folder, mode | inherit)
    except OSError as exc:
        raise FileRefused("file.cannot_create_folder", path=str(path), reason=exc.strerror or str(exc)) from None
    return path


def check_target(path: str | Path) -> Path:
    """The file to write, or FileRefused: empty names, folders, symlinks and devices are refused."""
    if not str(path).strip() or str(path) in (".", ".."):
        raise FileRefused("file.empty_name", field="output")
    target = Path(path).expanduser()
    if target.is_symlink():
        raise FileRefused("file.symlink", field="output", path=str(target))
    if target.is_dir():
        raise FileRefused("file.is_folder", field="output", path=str(target))
    if target.exists() and not target.is_file():
        raise FileRefused("file.not_regular", field="output", path=str(target))
    return target


@contextmanager
def replacing(path: str | Path, *, mode: int = EXPORT_MODE, dir_mode: int = PRIVATE_DIR_MODE) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; on success it is renamed over `path` with `mode`."""
    target = check_target(path)
    ensure_dir(target.parent, dir_mode)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise FileRefused("file.write_failed", path=str(target), reason=exc.strerror or str(exc)) from None
    os.close(fd)  # mkstemp creates it 0600 and O_EXCL: nobody else's file, nobody else can read it
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        check_target(target)  # planted while we wrote?
        os.replace(tmp, target)
    except OSError as exc:
        raise FileRefused("file.write_failed", path=str(target), reason=exc.strerror or str(exc)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_bytes(path: str | Path, data: bytes, *, mode: int = EXPORT_MODE, durable: bool = False,
                dir_mode: int = PRIVATE_DIR_MODE) -> Path:
    with replacing(path, mode=mode, dir_mode=dir_mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path).expanduser()


def write_text(path: str | Path, text: str, *, mode: int = EXPORT_MODE, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding), mode=mode, durable=True)


def check_readable(path: str | Path, limit: int) -> Path:
    """Refuse a missing file, a folder, a device or pipe, or one larger than `limit`, before reading it."""
    source = Path(path).expanduser()
    try:
        info = source.stat()
    except FileNotFoundError:
        raise FileRefused("file.missing", field="file", file=str(source)) from None
    except OSError as exc:
        raise FileRefused("file.read_failed", path=str(source), reason=exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused("file.is_folder", field="file", path=str(source))
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("file.not_regular", field="file", path=str(source))
    if info.st_size > limit:
        raise _too_large(source, info.st_size, limit)
    return source


def read_limited(path: str | Path, limit: int) -> bytes:
    """The whole file, never more than `limit` bytes (a file that grows while read is refused too)."""
    source = check_readable(path, limit)
    try:
        with open(source, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped for a device after the check
                raise FileRefused("file.not_regular", field="file", path=str(source))
            data = fh.read(limit + 1)
    except OSError as exc:
        raise FileRefused("file.read_failed", path=str(source), reason=exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise _too_large(source, len(data), limit)
    return data


def _too_large(source: Path, size: int, limit: int) -> FileRefused:
    # the parameters of the shared catalogue's text (errors topic), as roster_io gives them too
    return FileRefused(
        "file.too_large", field="file", file=str(source), size_mb=round(size / 2**20, 1), limit_mb=limit // 2**20
    )
