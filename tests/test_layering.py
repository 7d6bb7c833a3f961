"""The domain never imports the UI: each core module is imported in a fresh interpreter and checked."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import zhijin_training

CORE_PACKAGES = (
    "zhijin_training.services",
    "zhijin_training.ical",
    "zhijin_training.sheets",
    "zhijin_training.db",
)
UI = ("textual", "typer", "rich")


def core_modules() -> list[str]:
    names = [
        "zhijin_training.models",
        "zhijin_training.settings",
        "zhijin_training.timeutil",
        "zhijin_training.i18n",
        "zhijin_training.textsafe",
    ]
    for info in pkgutil.walk_packages(zhijin_training.__path__, "zhijin_training."):
        if info.name.startswith(CORE_PACKAGES) and ".migrations" not in info.name:
            names.append(info.name)
    return names


def test_core_never_imports_ui() -> None:
    modules = core_modules()
    assert "zhijin_training.services.schedule" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {UI!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core modules pulled in UI libraries: {out.stdout}"
