"""Where exports go and how a screen asks for a file: one place, so every export behaves the same.

- `export_dir()`: ~/zhijin-exports, the default folder for every file the interface writes;
- `default_path(name)`: a suggested path in that folder, shown as `~/zhijin-exports/<name>` (short enough
  for an 80-column dialog); `/` and control characters in names (a session title) become `_`;
- `ask_save_path(screen, title, default, then)`: asks for the path, creates the folder, asks before
  replacing an existing file, then calls `then(path)`;
- `ask_open_path(screen, title, then)`: asks for a file to read and checks it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhijin_training.i18n import t

EXPORT_FOLDER = "zhijin-exports"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s]+")


def export_dir() -> Path:
    return Path.home() / EXPORT_FOLDER


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip(" .") or "export"


def default_path(name: str) -> str:
    return f"~/{EXPORT_FOLDER}/{safe_name(name)}"


def resolve(text: str) -> Path:
    return Path(text.strip()).expanduser()


def ask_save_path(
    screen: Any, title: str, default: str, then: Callable[[Path], Any], *, note: str = ""
) -> None:
    from zhijin_training.tui.kit.dialogs import Confirm, Field, FormDialog

    fields = [Field("path", t("files.save_to"), required=True, value=default)]

    def chosen(values: dict[str, str] | None) -> None:
        if not values:
            return
        path = resolve(values["path"])
        if path.is_dir():
            screen.notify(t("files.is_folder", path=str(path)), severity="error", markup=False)
            return

        def go(yes: bool | None = True) -> None:
            if not yes:
                return
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                screen.notify(
                    t("files.cannot_write", path=str(path), why=exc.strerror or str(exc)),
                    severity="error",
                    markup=False,
                )
                return
            then(path)

        if path.exists():
            screen.app.push_screen(Confirm(t("files.replace", path=str(path))), go)
        else:
            go()

    screen.app.push_screen(FormDialog(title, fields, note=note or t("files.save_note")), chosen)


def ask_open_path(screen: Any, title: str, then: Callable[[Path], Any], *, note: str = "") -> None:
    from zhijin_training.tui.kit.dialogs import Field, FormDialog

    fields = [Field("path", t("files.open"), required=True, value=f"~/{EXPORT_FOLDER}/")]

    def chosen(values: dict[str, str] | None) -> None:
        if not values:
            return
        path = resolve(values["path"])
        if not path.is_file():
            screen.notify(t("files.missing", path=str(path)), severity="error", markup=False)
            return
        then(path)

    screen.app.push_screen(FormDialog(title, fields, note=note), chosen)
