"""A refusal names what was refused in the interface's language: every action passed to Actor.require has
words in both catalogues (else the Chinese text read "ed（editor）不能change the roster")."""

from __future__ import annotations

import re
from pathlib import Path

from zhijin_training.i18n import has_key
from zhijin_training.services.context import Actor
from zhijin_training.services.errors import PermissionDenied, describe

PACKAGE = Path(__file__).resolve().parents[1] / "zhijin_training"
REQUIRE = re.compile(r'\.require\(\s*AccessRole\.[A-Z]+,\s*"([^"]+)"', re.S)


def test_every_required_action_is_worded_in_both_languages() -> None:
    actions = {m for path in PACKAGE.rglob("*.py") for m in REQUIRE.findall(path.read_text("utf-8"))}
    assert len(actions) >= 15  # the scan itself works
    missing = [
        (a, lang) for a in sorted(actions) for lang in ("zh", "en") if not has_key(f"action.{a.replace(' ', '_')}", lang)
    ]
    assert not missing


def test_a_refusal_reads_in_chinese() -> None:
    try:
        Actor("ed", "editor").require("admin", "change the roster")
    except PermissionDenied as exc:
        text = describe(exc, "zh")[1]
    assert text == "ed（编辑）不能修改人员名册：需要管理员权限"
