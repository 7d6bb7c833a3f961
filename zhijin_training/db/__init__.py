"""Engine, sessions and migrations. Knows nothing of the UI."""

from zhijin_training.db.engine import Database, is_sqlite_url, url_from_path

__all__ = ["Database", "is_sqlite_url", "url_from_path"]
