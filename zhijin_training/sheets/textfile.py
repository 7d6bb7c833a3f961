"""Plain-text exports (the absence notice 通报): UTF-8, written whole or not at all, readable by the owner only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600  # a notice names people: nobody else on the shared server may read it


def write_private_text(path: str | Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder (mode 0600), then rename it over."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    try:
        os.fchmod(fd, PRIVATE)  # before a byte is written (mkstemp already makes it 0600; say it anyway)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        os.chmod(target, PRIVATE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
