"""Database locations: a URL stays a URL, anything else is a SQLite file path (no SQLAlchemy import here)."""

from __future__ import annotations

import os
from pathlib import Path


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
    location = rest.split("?", 1)[0]
    # sqlite:///file:/path?mode=ro&uri=true names the same file through SQLite's URI syntax
    return Path(location.removeprefix("file:"))
