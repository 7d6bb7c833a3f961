"""Plain-text exports (the absence notice 通报): UTF-8, written whole or not at all, readable by the owner only."""

from __future__ import annotations

from pathlib import Path

PRIVATE = 0o600  # a notice names people: nobody else on the shared server may read it


def write_private_text(path: str | Path, text: str) -> Path:
    """Write `text` to `path` (mode 0600, through a temporary file renamed over it; never through a symlink or
    into a device). safefiles is the one place that writes files with personal data."""
    from zhijin_training.safefiles import write_text

    return write_text(path, text, mode=PRIVATE)
