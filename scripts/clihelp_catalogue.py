#!/usr/bin/env python3
"""Write locale/en.clihelp.json from the English of the command modules, and say what the Chinese lacks.

Run after changing a command's or option's help text (tests/cli/test_cli_help.py fails until then):
    .venv/bin/python scripts/clihelp_catalogue.py
English comes from the code; where the code has none, the hand-written entry already in the file is kept.
Then write the Chinese of every key it lists in locale/zh.clihelp.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from zhijin_training.cli.helptext import FRAMEWORK_PREFIX, code_help_texts
from zhijin_training.cli.main import app

LOCALE = Path(__file__).resolve().parent.parent / "zhijin_training" / "locale"


def main() -> int:
    en_path, zh_path = LOCALE / "en.clihelp.json", LOCALE / "zh.clihelp.json"
    old_en: dict[str, str] = json.loads(en_path.read_text("utf-8")) if en_path.exists() else {}
    zh: dict[str, str] = json.loads(zh_path.read_text("utf-8")) if zh_path.exists() else {}
    code = code_help_texts(typer.main.get_command(app))
    new_en = {key: text for key, text in old_en.items() if key.startswith(FRAMEWORK_PREFIX)}
    for key, text in code.items():
        new_en[key] = text or old_en.get(key, "")
    en_path.write_text(json.dumps(new_en, ensure_ascii=False, indent=1) + "\n", "utf-8")

    def show(title: str, keys: list[str]) -> None:
        if keys:
            print(f"{title}:\n  " + "\n  ".join(keys))

    show("English changed (check the Chinese)", [k for k in code if k in old_en and old_en[k] != new_en[k]])
    show("no English words yet (write them in en.clihelp.json)", [k for k, v in new_en.items() if not v])
    show("missing in zh.clihelp.json", [k for k in new_en if k not in zh])
    show("in zh.clihelp.json but no longer in the code", [k for k in zh if k not in new_en])
    return 0


if __name__ == "__main__":
    sys.exit(main())
