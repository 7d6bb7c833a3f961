"""Every error and skip code the calendar code raises has its words in both catalogues (locale/*.ical.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import zhijin_training

PACKAGE = Path(zhijin_training.__file__).parent
SOURCES = "\n".join(p.read_text("utf-8") for p in sorted((PACKAGE / "ical").glob("*.py")))


def _catalogue(lang: str) -> dict[str, str]:
    return json.loads((PACKAGE / "locale" / f"{lang}.ical.json").read_text("utf-8"))  # type: ignore[no-any-return]


def test_both_languages_have_the_same_keys() -> None:
    assert _catalogue("zh").keys() == _catalogue("en").keys()


def test_every_code_raised_is_worded() -> None:
    errors = set(re.findall(r'(?:ValidationError|NotFoundError)\(\s*"([a-z_.]+)"', SOURCES))
    skips = set(re.findall(r'_Skip\(\s*"([a-z_]+)"', SOURCES)) | set(
        re.findall(r'skip_text\(\s*"([a-z_]+)"', SOURCES)
    )
    skips |= set(re.findall(r'self\.skip\([^)]*?"([a-z_]+)"', SOURCES))
    assert len(errors) > 10 and len(skips) > 15
    for lang in ("zh", "en"):
        words = _catalogue(lang)
        assert not [c for c in errors if f"error.{c}" not in words], lang
        assert not [c for c in skips if f"ical.skip.{c}" not in words], lang
